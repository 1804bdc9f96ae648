"""Today (the home page): view data from services/today.py, nothing else."""

from __future__ import annotations

from typing import ClassVar, TypedDict

import reflex as rx

from pazpaz.i18n import msg, nmsg
from pazpaz.services import today
from pazpaz.services.appointments import STATUS_LABELS
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState


class AppointmentItem(TypedDict):
    id: str
    client_id: str
    client_name: str
    time: str  # "10:00 - 11:00" (en dash), the practice's zone
    status: str  # "scheduled" ...
    status_label: str  # "Scheduled" ...
    service: str
    location_kind: str  # "clinic" | "home" | "online" | ""
    location_name: str
    address: str  # home visits only
    map_url: str  # https maps search of the address ("" without one)
    video_url: str  # online sessions only, http(s) links only
    is_next: bool
    is_past: bool


class GapItem(TypedDict):
    text: str  # "11:00 - 12:30 free (1 h 30 min)"
    minutes: int


class DraftItem(TypedDict):
    id: str
    client_name: str
    date: str  # "30 Nov 2026" or ""
    href: str  # /notes/<id>


class ChecklistEntry(TypedDict):
    key: str  # service | location | client | appointment | assistant | two_step
    label: str
    done: bool
    href: str


def appointment_item(item: today.TodayAppointment, status_label: str) -> AppointmentItem:
    return AppointmentItem(
        id=str(item.id), client_id=str(item.client_id), client_name=item.client_name, time=item.time_text,
        status=item.status, status_label=status_label, service=item.service_name,
        location_kind=item.location_kind, location_name=item.location_name, address=item.address,
        map_url=item.map_url, video_url=item.video_url, is_next=item.is_next, is_past=item.is_past)


class TodayState(SessionState):
    FAILURES: ClassVar[Failures] = Failures(fields=None)

    loaded: bool = False
    day_text: str = ""  # "Mon 30 Nov"
    appointments: list[AppointmentItem] = []
    appointments_text: str = ""  # "1 appointment", "3 appointments"
    gaps: list[GapItem] = []
    drafts: list[DraftItem] = []  # owner only; always [] for an assistant
    drafts_text: str = ""  # "1 note in draft"
    checklist: list[ChecklistEntry] = []  # [] once every step is done, and for an assistant
    checklist_text: str = ""  # "2 of 6 done"
    error: str = ""

    @rx.event
    @handler
    async def load(self):
        actor = await self._actor()
        view = await self._call(today.today, actor, language=self.language)
        self.day_text = view.day_text
        self.appointments = [appointment_item(a, self._t(STATUS_LABELS.get(a.status, a.status)))
                             for a in view.appointments]
        self.appointments_text = self._t(nmsg("{count} appointment", "{count} appointments", len(view.appointments)))
        self.gaps = [GapItem(text=g.text, minutes=g.minutes) for g in view.gaps]
        self.drafts = [DraftItem(id=str(d.id), client_name=d.client_name, date=d.date_text, href=f"/notes/{d.id}")
                       for d in view.drafts]
        self.drafts_text = self._t(nmsg("{count} note in draft", "{count} notes in draft", len(view.drafts)))
        self.checklist = [ChecklistEntry(key=c.key, label=self._t(c.label), done=c.done, href=c.href)
                          for c in view.checklist]
        self.checklist_text = self._t(msg("{done} of {total} done", done=sum(c.done for c in view.checklist),
                                          total=len(view.checklist)))
        self.error, self.loaded = "", True
