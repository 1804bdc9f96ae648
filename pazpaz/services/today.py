"""Today, the home page: the day's appointments in order with the next one marked, where to
go (a home visit's address with a map link, an online session's video link), the free time
between appointments, notes still in draft, and, while a practice is new, a first-run
checklist that ticks itself off from the real data.

Times, days and the gaps' words come back in the reader's language (`language`, the tab's);
the checklist steps are msgids the state translates (docs/ARCHITECTURE.md "Translation layer").

"Today" and the day's bounds are the practice's (its time zone, DST-correct); "now" is
services/clock.py. Assistants get the schedule only: no drafts (clinical content) and no
checklist (it is about setting up the practice). One audit row per read, ids and counts only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote, urlsplit

from sqlalchemy import func
from sqlmodel import Session, select

from pazpaz import i18n
from pazpaz.i18n import N_, msg
from pazpaz.models import (
    ACTIVE_STATUSES,
    Appointment,
    Client,
    Invitation,
    Location,
    Service,
    SoapNote,
    User,
)
from pazpaz.services import appointments, audit, clock, crypto, formatting, workspaces
from pazpaz.services.recurrence import place
from pazpaz.services.scope import Actor, workspace_session

MAP_SEARCH = "https://www.google.com/maps/search/?api=1&query="
MAX_DRAFTS = 20
DASH = "\u2009\u2013\u2009"  # thin spaces around an en dash: "10:00 - 11:00"
# A gap shorter than this is changing rooms, not free time.
MIN_GAP = timedelta(minutes=5)


@dataclass(frozen=True)
class TodayAppointment:
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    starts_at: datetime
    ends_at: datetime
    time_text: str  # "10:00 to 11:00" joined by an en dash
    status: str
    service_name: str
    location_kind: str  # "clinic" | "home" | "online" | ""
    location_name: str
    address: str  # a home visit's address (the location's, or the client's)
    map_url: str  # a maps search of that address ("" without one)
    video_url: str  # an online session's link, only if it is an http(s) URL
    is_next: bool  # the one under way, or else the next to start
    is_past: bool


@dataclass(frozen=True)
class Gap:
    starts_at: datetime
    ends_at: datetime
    minutes: int
    text: str  # "11:00-12:30 free (1 h 30 min)", with an en dash


@dataclass(frozen=True)
class DraftNote:
    id: uuid.UUID
    client_name: str
    session_date: date | None
    date_text: str


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    href: str


@dataclass(frozen=True)
class TodayView:
    day: date
    day_text: str
    appointments: list[TodayAppointment]
    gaps: list[Gap]
    drafts: list[DraftNote]  # always [] for an assistant
    checklist: list[ChecklistItem]  # [] for an assistant and once every item is done


CHECKLIST = (
    ("service", N_("Add a service"), "/settings"),
    ("location", N_("Add a location"), "/settings"),
    ("client", N_("Add a client"), "/clients/new"),
    ("appointment", N_("Book an appointment"), "/calendar"),
    ("assistant", N_("Invite an assistant"), "/settings"),
    ("two_step", N_("Turn on two-step sign-in"), "/settings/security"),
)


def map_url(address: str) -> str:
    return MAP_SEARCH + quote(" ".join(address.split()), safe="") if address.strip() else ""


def safe_link(link: str) -> str:
    """Only an http(s) link becomes clickable (a javascript: "link" never does)."""
    link = (link or "").strip()
    parts = urlsplit(link)
    return link if parts.scheme in ("http", "https") and parts.netloc else ""


def duration_text(minutes: int, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return i18n.translate(language, msg("{minutes} min", minutes=rest))
    if not rest:
        return i18n.translate(language, msg("{hours} h", hours=hours))
    return i18n.translate(language, msg("{hours} h {minutes} min", hours=hours, minutes=rest))


def _span(start: datetime, end: datetime, zone: str, language: str) -> str:
    return (f"{formatting.format_time(start, language=language, zone=zone)}{DASH}"
            f"{formatting.format_time(end, language=language, zone=zone)}")


def _day_bounds(day: date, zone) -> tuple[datetime, datetime]:
    return place(datetime.combine(day, time()), zone), place(datetime.combine(day + timedelta(days=1), time()), zone)


def _next_id(views: list[appointments.AppointmentView], now: datetime) -> uuid.UUID | None:
    for view in views:
        if view.status in ACTIVE_STATUSES and view.ends_at > now:
            return view.id
    return None


def _appointment(view: appointments.AppointmentView, zone: str, next_id: uuid.UUID | None,
                 now: datetime, language: str) -> TodayAppointment:
    address = view.where if view.location_kind == "home" else ""
    return TodayAppointment(
        id=view.id, client_id=view.client_id, client_name=view.client_name, starts_at=view.starts_at,
        ends_at=view.ends_at, time_text=_span(view.starts_at, view.ends_at, zone, language), status=view.status,
        service_name=view.service_name, location_kind=view.location_kind, location_name=view.location_name,
        address=address, map_url=map_url(address),
        video_url=safe_link(view.where) if view.location_kind == "online" else "",
        is_next=view.id == next_id, is_past=view.ends_at <= now,
    )


def gaps(items: list[TodayAppointment], zone: str, language: str = i18n.DEFAULT_LANGUAGE) -> list[Gap]:
    """Free time between the day's active appointments (overlaps merged), in real minutes:
    across a DST change the clock may jump, the time between does not."""
    # In UTC: Python subtracts two datetimes of one zone on the wall clock, DST or not.
    found: list[Gap] = []
    busy_until: datetime | None = None
    for item in sorted((i for i in items if i.status in ACTIVE_STATUSES), key=lambda i: i.starts_at.astimezone(UTC)):
        start, end = item.starts_at.astimezone(UTC), item.ends_at.astimezone(UTC)
        if busy_until is not None and start - busy_until >= MIN_GAP:
            minutes = int((start - busy_until).total_seconds() // 60)
            found.append(Gap(busy_until, start, minutes, i18n.translate(language, msg(
                "{span} free ({duration})", span=_span(busy_until, start, zone, language),
                duration=duration_text(minutes, language)))))
        busy_until = end if busy_until is None else max(busy_until, end)
    return found


def _drafts(session: Session, actor: Actor, language: str) -> list[DraftNote]:
    rows = session.exec(select(SoapNote).where(SoapNote.status == "draft")
                        .order_by(SoapNote.session_date, SoapNote.created_at).limit(MAX_DRAFTS)).all()
    clients = {c.id: c for c in session.exec(select(Client).where(Client.id.in_({r.client_id for r in rows})))}
    drafts = []
    for row in rows:
        client = clients.get(row.client_id)
        name = (f"{crypto.unseal(session, client, 'first_name_enc') or ''} "
                f"{crypto.unseal(session, client, 'last_name_enc') or ''}").strip() if client else ""
        drafts.append(DraftNote(row.id, name, row.session_date,
                                formatting.format_date(row.session_date, language=language)
                                if row.session_date else ""))
    return drafts


def _count(session: Session, model: type, *clauses) -> int:
    return session.exec(select(func.count()).select_from(model).where(*clauses)).one()


def checklist(session: Session, actor: Actor) -> list[ChecklistItem]:
    """The first-run steps, each done when the data says so (never a flag to forget)."""
    owner = session.exec(select(User).where(User.id == actor.user_id)).one()
    done = {
        "service": _count(session, Service, Service.active) > 0,
        "location": _count(session, Location, Location.active) > 0,
        "client": _count(session, Client) > 0,
        "appointment": _count(session, Appointment) > 0,
        "assistant": _count(session, User, User.role == "assistant") + _count(session, Invitation) > 0,
        "two_step": owner.totp_enabled_at is not None,
    }
    return [ChecklistItem(key, label, done[key], href) for key, label, href in CHECKLIST]


def today(actor: Actor, *, language: str = i18n.DEFAULT_LANGUAGE) -> TodayView:
    with workspace_session(actor) as session:
        zone = workspaces.time_zone(session, actor.workspace_id)
        now = clock.now()
        day = now.astimezone(zone).date()
        start, end = _day_bounds(day, zone)
        rows = session.exec(appointments._joined()  # the calendar's own joins and decryption
                            .where(Appointment.starts_at >= start, Appointment.starts_at < end)
                            .order_by(Appointment.starts_at, Appointment.id)).all()
        views = appointments._views(session, actor.workspace_id, rows, zone)
        next_id = _next_id(views, now)
        items = [_appointment(v, str(zone), next_id, now, language) for v in views]
        drafts = _drafts(session, actor, language) if actor.is_owner else []
        steps = checklist(session, actor) if actor.is_owner else []
        if all(step.done for step in steps):
            steps = []
        audit.record(session, "today.read", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="appointment", context=actor.context,
                     details={"appointments": len(items), "drafts": len(drafts), "checklist_open": len(steps)})
        return TodayView(day, formatting.format_day(day, language=language), items, gaps(items, str(zone), language),
                         drafts, steps)
