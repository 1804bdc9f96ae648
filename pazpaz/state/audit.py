"""The audit log page (owner only): filters, pages, CSV export."""

from __future__ import annotations

import asyncio

import reflex as rx

from pazpaz.api.auth import signin_redirect
from pazpaz.services import audit_log
from pazpaz.services.audit_log import AuditFilter
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.state.session import SessionState

FILTER_FIELDS = ("start", "end", "user_id", "entity_type", "action")


class AuditState(SessionState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    users: list[list[str]] = []
    entity_types: list[str] = []
    actions: list[str] = []
    filters: dict[str, str] = {}
    not_found: bool = False
    error: str = ""

    def _filter(self) -> AuditFilter:
        return AuditFilter(**{k: self.filters.get(k, "") for k in FILTER_FIELDS})

    async def _refresh(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/audit"))
        try:
            result = await asyncio.to_thread(audit_log.list_events, actor, self._filter(), self.page)
        except NotFound:
            self.not_found, self.rows = True, []
            return None
        except ValidationFailed as invalid:
            self.error = "; ".join(invalid.errors.values())
            return None
        self.not_found, self.error = False, ""
        self.rows = [row.__dict__ for row in result.rows]
        self.total, self.page, self.pages = result.total, result.page, result.pages
        self.users = [[uid, name] for uid, name in result.users]
        self.entity_types, self.actions = result.entity_types, result.actions
        return None

    @rx.event
    async def load(self):
        self.filters, self.page = {}, 1
        return await self._refresh()

    @rx.event
    async def apply(self, form_data: dict):
        self.filters = {k: str(form_data.get(k, "")) for k in FILTER_FIELDS}
        self.page = 1
        return await self._refresh()

    @rx.event
    async def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        return await self._refresh()

    @rx.event
    async def export(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/audit"))
        try:
            data = await asyncio.to_thread(audit_log.export_csv, actor, self._filter())
        except (NotFound, ValidationFailed):
            self.not_found = True
            return None
        return rx.download(data=data, filename="pazpaz-audit-log.csv", mime_type="text/csv")
