"""The audit log page (owner only): filters, pages, CSV export."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from pazpaz.services import audit_log
from pazpaz.services.audit_log import AuditFilter
from pazpaz.services.errors import NotFound
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState

FILTER_FIELDS = ("start", "end", "user_id", "entity_type", "action")


class AuditState(SessionState):
    # Filter errors read as one line above the table; "not found" is the owner-only refusal.
    FAILURES: ClassVar[Failures] = Failures(fields=None, invalid=None, not_found="not_found")

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

    async def _refresh(self) -> None:
        actor = await self._actor()
        try:
            result = await self._call(audit_log.list_events, actor, self._filter(), self.page)
        except NotFound:
            self.rows = []
            raise
        self.not_found, self.error = False, ""
        self.rows = [row.__dict__ for row in result.rows]
        self.total, self.page, self.pages = result.total, result.page, result.pages
        self.users = [[uid, name] for uid, name in result.users]
        self.entity_types, self.actions = result.entity_types, result.actions

    @rx.event
    @handler
    async def load(self):
        self.filters, self.page = {}, 1
        await self._refresh()

    @rx.event
    @handler
    async def apply(self, form_data: dict):
        self.filters = {k: str(form_data.get(k, "")) for k in FILTER_FIELDS}
        self.page = 1
        await self._refresh()

    @rx.event
    @handler
    async def go_to_page(self, page: int):
        self.page = max(1, min(int(page), self.pages))
        await self._refresh()

    @rx.event
    @handler
    async def export(self):
        actor = await self._actor()
        data = await self._call(audit_log.export_csv, actor, self._filter())
        return rx.download(data=data, filename="pazpaz-audit-log.csv", mime_type="text/csv")
