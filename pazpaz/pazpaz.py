"""Builds the Reflex app: pages and the HTTP routes mounted in front of it."""

from __future__ import annotations

import logging

import reflex as rx

from pazpaz import models  # noqa: F401  (tables must be imported to be registered)
from pazpaz.api.app import build_api
from pazpaz.pages.home import home_page, section_page
from pazpaz.pages.signin import signin_page
from pazpaz.pages.signup import signup_page
from pazpaz.settings import get_settings
from pazpaz.state.session import SessionState
from pazpaz.state.signin import SignInState
from pazpaz.state.signup import SignUpState

logging.basicConfig(level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")

app = rx.App(
    api_transformer=build_api(),
    head_components=[rx.el.meta(name="referrer", content="same-origin")],
)

app.add_page(signin_page, route="/signin", title="Sign in · PazPaz", on_load=SignInState.load)
app.add_page(signup_page, route="/signup", title="Create your practice · PazPaz", on_load=SignUpState.load)
app.add_page(home_page, route="/", title="PazPaz", on_load=SessionState.require_signed_in)
app.add_page(lambda: section_page("Calendar", "The calendar and appointments"), route="/calendar",
             title="Calendar · PazPaz", on_load=SessionState.require_signed_in)
app.add_page(lambda: section_page("Clients", "Client records"), route="/clients",
             title="Clients · PazPaz", on_load=SessionState.require_signed_in)
app.add_page(lambda: section_page("Settings", "Practice settings"), route="/settings",
             title="Settings · PazPaz", on_load=SessionState.require_signed_in)
