"""Client pages: the list, the create / edit form and the detail view."""

from __future__ import annotations

import asyncio
import logging
import uuid

import reflex as rx

from pazpaz.api.auth import signin_redirect
from pazpaz.services import appointments, clients, soap_notes
from pazpaz.services.clients import ClientInput, ClientView, ListQuery
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.state.session import SessionState

log = logging.getLogger("pazpaz.state.clients")
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


def _row(view: ClientView) -> dict[str, str]:
    return {
        "id": str(view.id),
        "name": view.full_name,
        "phone": view.phone,
        "email": view.email,
        "last_visit": view.last_visit.strftime("%Y-%m-%d") if view.last_visit else "",
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

    async def _refresh(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/clients"))
        query = ListQuery(search=self.search, sort=self.sort, page=self.page, archived=self.show_archived)
        try:
            result = await asyncio.to_thread(clients.list_clients, actor, query)
        except ServiceError as refused:
            self.error = str(refused)
            return None
        self.error = ""
        self.rows = [_row(v) for v in result.items]
        self.total, self.pages, self.page = result.total, result.pages, result.page
        return None

    @rx.event
    async def load(self):
        # A fresh visit starts unfiltered, so nobody wonders where a client went.
        self.page, self.search, self.show_archived = 1, "", False
        return await self._refresh()

    @rx.event
    async def set_search(self, value: str):
        self.search = value[:100]
        self.page = 1
        return await self._refresh()

    @rx.event
    async def set_sort(self, value: str):
        self.sort = value if value in clients.SORTS else "name"
        self.page = 1
        return await self._refresh()

    @rx.event
    async def set_show_archived(self, value: bool):
        self.show_archived = bool(value)
        self.page = 1
        return await self._refresh()

    @rx.event
    async def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        return await self._refresh()


class ClientState(SessionState):
    """One client: detail view and the create / edit form."""

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

    async def _load(self, client_id: uuid.UUID | None):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        self.field_errors, self.error, self.not_found = {}, "", False
        if client_id is None:
            self.not_found = True
            return None
        try:
            view = await asyncio.to_thread(clients.get_client, actor, client_id)
        except NotFound:
            self.not_found = True
            self.client = {}
            return None
        self.client = {name: getattr(view, name) or "" for name in FORM_FIELDS}
        self.client.update(id=str(view.id), name=view.full_name,
                           last_visit=view.last_visit.strftime("%Y-%m-%d") if view.last_visit else "")
        self.intake_visible = view.intake_notes is not None
        self.archived = view.archived
        self.form_key = str(view.id)
        self.visits = [
            {"when": v.starts_at.strftime("%Y-%m-%d %H:%M"), "status": v.status, "service": v.service_name}
            for v in await asyncio.to_thread(appointments.client_appointments, actor, client_id)
        ]
        self.notes = [] if not actor.is_owner else [
            {"id": str(n.id), "status": n.status, "date": n.session_date.isoformat() if n.session_date else "",
             "versions": str(n.versions)}
            for n in await asyncio.to_thread(soap_notes.client_notes, actor, client_id)
        ]
        return None

    @rx.event
    async def new_note(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        try:
            note_id = await asyncio.to_thread(soap_notes.create_for_client, actor, uuid.UUID(self.client["id"]))
        except (NotFound, KeyError, ValueError):
            self.error = "Session notes are for the practice owner."
            return None
        return rx.redirect(f"/notes/{note_id}")

    @rx.event
    async def load(self):
        self.form_key = ""  # the edit form appears once this client is loaded (see the page)
        return await self._load(client_id_from_path(self.router.url.path))

    @rx.event
    async def load_new(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/clients/new"))
        self.client, self.field_errors, self.error, self.not_found = {}, {}, "", False
        self.intake_visible = actor.is_owner
        # A stable key: changing it would remount the form and wipe what was already typed.
        self.form_key = "new"
        return None

    @rx.event
    async def save(self, form_data: dict):
        actor = await self.actor()
        if actor is None:
            yield rx.redirect(signin_redirect(self.router.url.path))
            return
        values = {name: str(form_data.get(name, "")) for name in FORM_FIELDS}
        if not actor.is_owner:
            values["intake_notes"] = None
        data = ClientInput(**values)
        client_id = self.client.get("id")
        self.saving = True
        yield
        try:
            if client_id:
                await asyncio.to_thread(clients.update_client, actor, uuid.UUID(client_id), data)
            else:
                client_id = str(await asyncio.to_thread(clients.create_client, actor, data))
        except ValidationFailed as invalid:
            self.field_errors = invalid.errors
            self.error = "Please correct the highlighted fields. Nothing was saved."
            return
        except NotFound:
            self.not_found = True
            return
        except ServiceError as refused:
            self.error = str(refused)
            return
        except Exception as error:
            log.error("saving a client failed (%s)", type(error).__name__)
            self.error = "The client could not be saved. Please try again."
            return
        finally:
            self.saving = False
        yield rx.redirect(f"/clients/{client_id}")

    @rx.event
    async def set_archived(self, archived: bool):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        try:
            await asyncio.to_thread(clients.set_archived, actor, uuid.UUID(self.client["id"]), archived)
        except (NotFound, KeyError, ValueError):
            self.not_found = True
            return None
        self.archived = archived
        return rx.toast.success("Client archived." if archived else "Client restored.")
