"""Builds the Reflex app: pages and the HTTP routes mounted in front of it."""

from __future__ import annotations

import logging

import reflex as rx

from pazpaz import models  # noqa: F401  (tables must be imported to be registered)
from pazpaz.api.app import PazPazApp, build_api
from pazpaz.api.uploads import guard_uploads
from pazpaz.components.connection import connection_overlay
from pazpaz.components.i18n import page_title_text
from pazpaz.i18n import N_
from pazpaz.infra.memory import settle_gc_at_start
from pazpaz.pages.audit import audit_page
from pazpaz.pages.calendar import calendar_page
from pazpaz.pages.clients import client_detail_page, client_edit_page, client_new_page, clients_page
from pazpaz.pages.more import more_page
from pazpaz.pages.notes import note_page
from pazpaz.pages.security import security_page
from pazpaz.pages.settings import settings_page
from pazpaz.pages.signin import signin_page
from pazpaz.pages.signup import signup_page
from pazpaz.pages.today import today_page
from pazpaz.settings import get_settings
from pazpaz.state import binding
from pazpaz.state.audit import AuditState
from pazpaz.state.calendar import CalendarState
from pazpaz.state.catalog import CatalogState
from pazpaz.state.clients import ClientListState, ClientState
from pazpaz.state.files import FilesState
from pazpaz.state.handler import use_worker_threads
from pazpaz.state.notes import NoteState
from pazpaz.state.plan import PlanState, TimelineState
from pazpaz.state.security import SecurityState
from pazpaz.state.session import SessionState
from pazpaz.state.signin import SignInState
from pazpaz.state.signup import SignUpState
from pazpaz.state.team import TeamState
from pazpaz.state.today import TodayState

logging.basicConfig(level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")

app = PazPazApp(
    # Our routes first, then the /_upload guard around everything (docs/ARCHITECTURE.md).
    api_transformer=[build_api(), guard_uploads],
    stylesheets=["/calendar.css", "/app.css"],
    head_components=[rx.el.meta(name="referrer", content="same-origin")],
    toaster=None,  # no toasts in the app; Reflex's region had an English label (components/connection.py)
)
app.app_wraps[(5, "Overlay")] = lambda stateful: connection_overlay() if stateful else None
# Every tab's state is checked against its connection's session cookie before any event.
binding.install(app)
app.register_lifespan_task(use_worker_threads)
app.register_lifespan_task(settle_gc_at_start)

app.add_page(signin_page, route="/signin", title=page_title_text(N_("Sign in")), on_load=SignInState.load)
app.add_page(signup_page, route="/signup", title=page_title_text(N_("Create your practice")), on_load=SignUpState.load)
app.add_page(today_page, route="/", title=page_title_text(N_("Today")), on_load=TodayState.load)
app.add_page(calendar_page, route="/calendar", title=page_title_text(N_("Calendar")), on_load=CalendarState.load)
app.add_page(clients_page, route="/clients", title=page_title_text(N_("Clients")), on_load=ClientListState.load)
app.add_page(client_new_page, route="/clients/new", title=page_title_text(N_("New client")),
             on_load=ClientState.load_new)
app.add_page(client_detail_page, route="/clients/[client_id]", title=page_title_text(N_("Client")),
             on_load=[ClientState.load, FilesState.load, PlanState.load, TimelineState.load])
app.add_page(client_edit_page, route="/clients/[client_id]/edit", title=page_title_text(N_("Edit client")),
             on_load=ClientState.load)
app.add_page(note_page, route="/notes/[note_id]", title=page_title_text(N_("Session note")),
             on_load=[NoteState.load, FilesState.load])
app.add_page(settings_page, route="/settings", title=page_title_text(N_("Settings")),
             on_load=[TeamState.load, CatalogState.load])
app.add_page(security_page, route="/settings/security", title=page_title_text(N_("Security")),
             on_load=SecurityState.load)
app.add_page(more_page, route="/more", title=page_title_text(N_("More")), on_load=SessionState.require_signed_in)
app.add_page(audit_page, route="/audit", title=page_title_text(N_("Audit log")), on_load=AuditState.load)

