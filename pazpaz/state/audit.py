"""The audit log page (owner only): filters, pages, CSV export."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from pazpaz.i18n import N_, nmsg
from pazpaz.services import audit_log
from pazpaz.services.audit_actions import readable
from pazpaz.services.audit_log import AuditFilter, AuditRow
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState

FILTER_FIELDS = ("start", "end", "user_id", "entity_type", "action")
# The Entity type filter's words; a type missing here (a new one) shows its code.
ENTITY_LABELS = {
    "api_token": N_("API token"), "appointment": N_("Appointment"), "attachment": N_("File"),
    "audit_event": N_("Audit log"), "backup": N_("Backup"), "calendar_feed": N_("Calendar feed"),
    "client": N_("Client"), "client_response": N_("Client's answer"), "export": N_("Export"),
    "invitation": N_("Invitation"), "location": N_("Location"), "service": N_("Service"),
    "session": N_("Session"), "soap_note": N_("Note"), "user": N_("User"), "workspace": N_("Practice"),
    "workspace_key": N_("Practice key"),
}


def row_item(row: AuditRow) -> dict[str, str]:
    """One row of the page: "when" (formatted), "who", "what", "record", plus the codes and ids
    (user, action, entity_type, entity_id, ip) the filters and the CSV use."""
    return {"when": row.when_text, "who": row.who, "what": row.what, "record": row.record, "user": row.user,
            "action": row.action, "entity_type": row.entity_type, "entity_id": row.entity_id, "ip": row.ip}


class AuditState(SessionState):
    # Filter errors go to their fields (field_errors: "start", "end", "user_id") and read as one
    # line above the table; "not found" is the owner-only refusal.
    FAILURES: ClassVar[Failures] = Failures(fields="field_errors", invalid=None, not_found="not_found")

    rows: list[dict[str, str]] = []
    total: int = 0
    total_text: str = ""  # "1 event", "1,204 events"
    page: int = 1
    pages: int = 1
    users: list[list[str]] = []
    entity_types: list[str] = []
    entity_choices: list[list[str]] = []  # [code, words] for the Entity type filter
    actions: list[str] = []
    action_choices: list[list[str]] = []  # [code, readable words] for the Action filter
    field_errors: dict[str, str] = {}
    filters: dict[str, str] = {}
    not_found: bool = False
    error: str = ""

    def _filter(self) -> AuditFilter:
        return AuditFilter(**{k: self.filters.get(k, "") for k in FILTER_FIELDS})

    async def _refresh(self) -> None:
        actor = await self._actor()
        try:
            result = await self._call(audit_log.list_events, actor, self._filter(), self.page, language=self.language)
        except NotFound:
            self.rows = []
            raise
        except ValidationFailed:
            # A refused filter (To before From) shows no stale rows under it.
            self.rows, self.total, self.page, self.pages = [], 0, 1, 1
            raise
        self.not_found, self.error, self.field_errors = False, "", {}
        self.rows = [row_item(row) for row in result.rows]
        self.total, self.page, self.pages = result.total, result.page, result.pages
        self.total_text = self._t(nmsg("{count} event", "{count} events", result.total))
        self.users = [[uid, name] for uid, name in result.users]
        self.entity_types, self.actions = result.entity_types, result.actions
        self.entity_choices = sorted(([e, self._t(ENTITY_LABELS[e]) if e in ENTITY_LABELS else e]
                                      for e in result.entity_types), key=lambda c: c[1])
        self.action_choices = sorted(([a, readable(a, self.language)] for a in result.actions), key=lambda c: c[1])

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
        data = await self._call(audit_log.export_csv, actor, self._filter(), language=self.language)
        return rx.download(data=data, filename="pazpaz-audit-log.csv", mime_type="text/csv")
