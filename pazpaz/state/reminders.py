"""Settings > Reminders, Daily agenda and Scheduled jobs; the client page's reminder line;
the calendar's badge of cancellations by clients. Thin: each handler calls a service."""

from __future__ import annotations

import functools
import uuid

import reflex as rx

from pazpaz.i18n import N_, msg
from pazpaz.services import agenda, jobs, reminders
from pazpaz.services.errors import NotFound
from pazpaz.services.reminders import OFFSET_CHOICES, ReminderSettings
from pazpaz.services.scope import Actor
from pazpaz.state.handler import handler, page_id
from pazpaz.state.session import SessionState

OFFSET_LABELS = {48 * 60: N_("48 hours before"), 24 * 60: N_("24 hours before"), 4 * 60: N_("4 hours before"),
                 2 * 60: N_("2 hours before"), 60: N_("1 hour before")}



class ReminderSettingsState(SessionState):
    can_manage: bool = False
    reminders_enabled: bool = False
    offsets: list[dict[str, str]] = []
    sender_name: str = ""
    message: str = ""
    cancel_window: str = "24"
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    agenda_enabled: bool = False
    agenda_hour: str = "19"
    agenda_full_names: bool = False
    job_rows: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}
    error: str = ""
    form_key: str = "0"

    async def _refresh(self, actor: Actor) -> None:
        data = await self._call(reminders.get_settings_for, actor)
        self.reminders_enabled, self.sender_name, self.message = data.enabled, data.sender_name, data.message
        self.cancel_window, self.quiet_start, self.quiet_end = (str(data.cancel_window_hours), data.quiet_start,
                                                                data.quiet_end)
        self.offsets = [{"value": str(o), "label": self._t(OFFSET_LABELS[o]),
                         "checked": "yes" if o in data.offsets_minutes else ""} for o in OFFSET_CHOICES]
        mine = await self._call(agenda.get_settings_for, actor)
        self.agenda_enabled, self.agenda_hour, self.agenda_full_names = mine.enabled, str(mine.hour), mine.full_names
        try:
            rows = await self._call(jobs.status, actor)
        except NotFound:
            self.can_manage, self.job_rows = False, []
        else:
            self.can_manage = True
            never = self._t(N_("never"))
            self.job_rows = [{"kind": r.kind, "label": self._t(r.label),
                              "last_run": self._datetime(r.last_run) or never,
                              "never_run": "" if r.last_run else "yes",
                              "last_success": self._datetime(r.last_success) or never, "result": self._t(r.result),
                              "error": self._t(msg("{error} at {when}", error=r.last_error,
                                                   when=self._datetime(r.last_error_at))) if r.last_error else ""}
                             for r in rows]
        self.form_key = str(uuid.uuid4())  # remount the forms with the stored values

    @rx.event
    @handler
    async def load(self):
        self.field_errors, self.error = {}, ""
        await self._refresh(await self._actor())

    @rx.event
    @handler
    async def save_reminders(self, form_data: dict):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        offsets = tuple(o for o in OFFSET_CHOICES if form_data.get(f"offset_{o}"))
        try:
            window = int(str(form_data.get("cancel_window", "")).strip() or "0")
        except ValueError:
            window = -1
        data = ReminderSettings(enabled=bool(form_data.get("reminders_enabled")), offsets_minutes=offsets,
                                sender_name=str(form_data.get("sender_name", "")).strip(),
                                message=str(form_data.get("reminder_message", "")).strip(),
                                cancel_window_hours=window,
                                quiet_start=str(form_data.get("quiet_start", "")).strip(),
                                quiet_end=str(form_data.get("quiet_end", "")).strip())
        await self._call(reminders.save_settings, actor, data)
        await self._refresh(actor)
        self._notify(N_("Reminder settings saved."))

    @rx.event
    @handler
    async def save_agenda(self, form_data: dict):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        try:
            hour = int(str(form_data.get("agenda_hour", "19")))
        except ValueError:
            hour = -1
        await self._call(agenda.save_settings, actor, agenda.AgendaSettings(
            enabled=bool(form_data.get("agenda_enabled")), hour=hour,
            full_names=bool(form_data.get("agenda_full_names"))))
        await self._refresh(actor)
        self._notify(N_("Daily agenda saved."))


class ClientReminderState(SessionState):
    """The reminder line on a client's page."""

    reminder_text: str = ""
    opted_out: bool = False
    has_email: bool = False
    error: str = ""
    _client: str = ""  # the client the card was loaded for (server-side only)

    async def _refresh(self, actor: Actor, client_id: uuid.UUID) -> None:
        status = await self._call(reminders.client_status, actor, client_id)
        self.reminder_text, self.opted_out, self.has_email = self._t(status.text), status.opted_out, status.has_email

    @rx.event
    @handler(fields=None, invalid=None, not_found_says=N_("Client not found."))
    async def load(self, client_id: str):
        self.error = ""
        self._client = str(_client_id(client_id))
        await self._refresh(await self._actor(), _client_id(self._client))

    @rx.event
    @handler(fields=None, invalid=None, not_found_says=N_("Client not found."))
    async def set_opt_out(self, opt_out: bool):
        actor = await self._actor()
        client_id = _client_id(self._client)
        await self._call(reminders.set_client_opt_out, actor, client_id, bool(opt_out))
        await self._refresh(actor, client_id)
        self._notify(N_("Reminders turned off for this client.") if opt_out
                     else N_("Reminders turned on for this client."))


class CancellationBadgeState(SessionState):
    """Appointments cancelled by clients through a reminder link, not yet acknowledged."""

    unseen: int = 0
    error: str = ""

    @rx.event
    @handler(fields=None, invalid=None)
    async def load(self):
        self.unseen = await self._call(reminders.unseen_cancellations, await self._actor())

    @rx.event
    @handler(fields=None, invalid=None)
    async def mark_seen(self):
        actor = await self._actor()
        await self._call(reminders.mark_cancellations_seen, actor)
        self.unseen = 0


_client_id = functools.partial(page_id, missing=N_("Client not found."))
