"""Client pages: the list, the create / edit form and the detail view."""

from __future__ import annotations

import uuid
from typing import ClassVar

import reflex as rx

from pazpaz.i18n import N_, nmsg
from pazpaz.services import appointments, clients, soap_notes
from pazpaz.services import formatting as fmt
from pazpaz.services.clients import ClientInput, ClientView, ListQuery
from pazpaz.services.errors import NotFound
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState

FORM_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth", "address", "emergency_contact",
               "intake_notes")


def client_id_from_path(path: str) -> uuid.UUID | None:
    """/clients/<uuid>[/edit] -> uuid; anything else -> None (shown as not found)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "clients":
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


def _row(view: ClientView, language: str = "en", zone: str = "UTC") -> dict[str, str]:
    return {
        "id": str(view.id),
        "name": view.full_name,
        "phone": view.phone,
        "email": view.email,
        "last_visit": fmt.format_date(view.last_visit, language=language, zone=zone) if view.last_visit else "",
    }


class ClientListState(SessionState):
    search: str = ""
    sort: str = "name"
    page: int = 1
    show_archived: bool = False
    rows: list[dict[str, str]] = []
    total: int = 0
    pages: int = 1
    error: str = ""

    async def _refresh(self) -> None:
        actor = await self._actor()
        query = ListQuery(search=self.search, sort=self.sort, page=self.page, archived=self.show_archived)
        result = await self._call(clients.list_clients, actor, query)
        self.error = ""
        self.rows = [_row(v, self.language, self.time_zone) for v in result.items]
        self.total, self.pages, self.page = result.total, result.pages, result.page

    @rx.event
    @handler
    async def load(self):
        # A fresh visit starts unfiltered, so nobody wonders where a client went.
        self.page, self.search, self.show_archived = 1, "", False
        await self._refresh()

    @rx.event
    @handler
    async def set_search(self, value: str):
        self.search = value[:100]
        self.page = 1
        await self._refresh()

    @rx.event
    @handler
    async def set_sort(self, value: str):
        self.sort = value if value in clients.SORTS else "name"
        self.page = 1
        await self._refresh()

    @rx.event
    @handler
    async def set_show_archived(self, value: bool):
        self.show_archived = bool(value)
        self.page = 1
        await self._refresh()

    @rx.event
    @handler
    async def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        await self._refresh()


class ClientState(SessionState):
    """One client: detail view and the create / edit form."""

    FAILURES: ClassVar[Failures] = Failures(not_found="not_found")

    client: dict[str, str] = {}
    intake_visible: bool = False
    archived: bool = False
    not_found: bool = False
    field_errors: dict[str, str] = {}
    error: str = ""
    saving: bool = False
    form_key: str = "new"
    notes: list[dict[str, str]] = []
    visits: list[dict[str, str]] = []

    async def _load(self, client_id: uuid.UUID | None) -> None:
        actor = await self._actor()
        self.field_errors, self.error, self.not_found = {}, "", False
        if client_id is None:
            raise NotFound(N_("Client not found."))
        try:
            view = await self._call(clients.get_client, actor, client_id)
        except NotFound:
            self.client = {}
            raise
        self.client = {name: getattr(view, name) or "" for name in FORM_FIELDS}
        self.client.update(id=str(view.id), name=view.full_name,
                           last_visit=self._date(view.last_visit))
        self.intake_visible = view.intake_notes is not None
        self.archived = view.archived
        self.form_key = str(view.id)
        self.visits = [
            {"when": self._datetime(v.starts_at), "status": v.status,
             "service": v.service_name}
            for v in await self._call(appointments.client_appointments, actor, client_id)
        ]
        self.notes = [] if not actor.is_owner else [
            {"id": str(n.id), "status": n.status, "date": self._date(n.session_date),
             "versions": str(n.versions),
             "versions_text": self._t(nmsg("{count} version", "{count} versions", n.versions))}
            for n in await self._call(soap_notes.client_notes, actor, client_id)
        ]

    def _client_id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.client.get("id", ""))
        except ValueError:
            raise NotFound(N_("Client not found.")) from None

    @rx.event
    @handler
    async def new_note(self):
        actor = await self._actor()
        try:
            note_id = await self._call(soap_notes.create_for_client, actor, self._client_id())
        except NotFound:
            self.error = self._t(N_("Session notes are for the practice owner."))
            return None
        return rx.redirect(f"/notes/{note_id}")

    @rx.event
    @handler
    async def load(self):
        self.form_key = ""  # the edit form appears once this client is loaded (see the page)
        await self._load(client_id_from_path(self.router.url.path))

    @rx.event
    @handler
    async def load_new(self):
        actor = await self._actor()
        self.client, self.field_errors, self.error, self.not_found = {}, {}, "", False
        self.intake_visible = actor.is_owner
        # A stable key: changing it would remount the form and wipe what was already typed.
        self.form_key = "new"

    @rx.event
    @handler
    async def save(self, form_data: dict):
        actor = await self._actor()
        values = {name: str(form_data.get(name, "")) for name in FORM_FIELDS}
        if not actor.is_owner:
            values["intake_notes"] = None
        data = ClientInput(**values)
        client_id = self.client.get("id")
        self.saving = True
        yield
        try:
            if client_id:
                await self._call(clients.update_client, actor, uuid.UUID(client_id), data)
            else:
                client_id = str(await self._call(clients.create_client, actor, data))
        finally:
            self.saving = False
        yield rx.redirect(f"/clients/{client_id}")

    @rx.event
    @handler
    async def set_archived(self, archived: bool):
        actor = await self._actor()
        await self._call(clients.set_archived, actor, self._client_id(), archived)
        self.archived = archived
        self._notify(N_("Client archived.") if archived else N_("Client restored."))
