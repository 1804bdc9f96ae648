"""The calendar: what FullCalendar shows, the booking form with its live conflict check,
and the actions on one appointment. Every handler re-derives the actor from the cookie."""

from __future__ import annotations

import functools
import time
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import reflex as rx

from pazpaz.i18n import N_, msg, translate
from pazpaz.services import appointments, catalog, clients, clock, soap_notes
from pazpaz.services import formatting as fmt
from pazpaz.services.appointments import AppointmentInput, AppointmentView, ConflictsFound
from pazpaz.services.conflicts import Conflict
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.recurrence import Recurrence
from pazpaz.services.scope import Actor
from pazpaz.state.handler import handler, page_id
from pazpaz.state.session import SessionState

STATUS_COLOURS = {"scheduled": "#2563eb", "confirmed": "#0d9488", "attended": "#15803d",
                  "cancelled": "#9ca3af", "no_show": "#b45309"}
KIND_LABELS = {"clinic": N_("Clinic"), "home": N_("Home visit"), "online": N_("Online"), "": ""}
EMPTY_FORM = {"id": "", "client_id": "", "service_id": "", "location_id": "", "start": "", "end": "",
              "notes": "", "repeat": "none", "interval_weeks": "1", "ends": "count", "count": "6", "until": "",
              "scope": "this", "series": ""}


def wall(value: datetime) -> str:
    """Workspace-local wall-clock text without an offset (FullCalendar runs in "UTC")."""
    # isoformat, not strftime: glibc's strftime re-reads the time zone (tzset) on every call,
    # and a week move formats a few hundred of these.
    return value.replace(tzinfo=None).isoformat(timespec="seconds")


def floating(value: str) -> str:
    """FullCalendar's "2026-12-01T10:00:00Z" back to the wall-clock "2026-12-01T10:00"."""
    return value.replace("Z", "")[:16]


def event_of(view: AppointmentView, language: str = "en") -> dict[str, str]:
    colour = STATUS_COLOURS.get(view.status, "#2563eb")
    kind = translate(language, KIND_LABELS.get(view.location_kind, ""))
    title = view.client_name + (f" · {view.service_name}" if view.service_name else "") + (f" · {kind}" if kind else "")
    return {
        "id": str(view.id), "title": title, "start": wall(view.starts_at), "end": wall(view.ends_at),
        "color": colour,  # background and border
        # One string (FullCalendar splits it on spaces), not a list: each event's objects are
        # unpickled with the tab's state on every calendar event (docs/ARCHITECTURE.md "Calendar time").
        "classNames": f"status-{view.status} where-{view.location_kind}" if view.location_kind
        else f"status-{view.status}",
    }


# The time grid shows these hours unless an appointment of the loaded window lies outside
# them: then it stretches to the whole hour that holds it (a 06:15 or a 21:30 home visit
# must not vanish from the week, docs/ARCHITECTURE.md "Calendar time").
DAY_HOURS = (7, 21)


def grid_hours(events: list[dict]) -> tuple[str, str]:
    """FullCalendar's slotMinTime / slotMaxTime for these events (wall-time "start" / "end")."""
    first, last = DAY_HOURS
    for event in events:
        starts, ends = datetime.fromisoformat(event["start"]), datetime.fromisoformat(event["end"])
        if ends.date() > starts.date():  # its end shows in the next day's column, from 00:00
            first, last = 0, 24
            continue
        first = min(first, starts.hour)
        last = max(last, ends.hour + (1 if ends.minute or ends.second else 0))
    return f"{first:02d}:00:00", f"{min(last, 24):02d}:00:00"


def merge_range(events: list[dict], fresh: list[dict], first: date, days: int) -> list[dict]:
    """The loaded window's events with [first, first + days) replaced by a fresh read of it."""
    begin, end = first.isoformat(), (first + timedelta(days=days)).isoformat()
    moved_in = {event["id"] for event in fresh}  # from a week either side: not kept twice
    kept = [event for event in events if not begin <= event["start"][:10] < end and event["id"] not in moved_in]
    return in_order(kept + fresh)


def in_order(events: list[dict]) -> list[dict]:
    """One order for a full read and a merged one, so unchanged data compares equal (no delta)."""
    return sorted(events, key=lambda event: (event["start"], event["id"]))


# Week and day views read the BLOCK_DAYS block (counted from a fixed Monday) that holds the
# visible range, plus a range either side: "next week" then reads the same window 3 times
# in 4, gets the same events, and nothing is sent or redrawn (docs/ARCHITECTURE.md "Calendar time").
BLOCK_DAYS = 28
BLOCK_EPOCH = date(2000, 1, 3)


# The window's events go to the browser in WEEK_SLOTS vars, one per week (counted from the
# Monday BLOCK_EPOCH, modulo WEEK_SLOTS; a week starts on the language's first day): Reflex
# sends a var whole whenever it changes, so a new window sends only the weeks it brings in, and
# the browser replaces only the slots whose list is a new object (docs/ARCHITECTURE.md
# "Calendar time"). 13: a read covers at most 84 days, 13 weeks, each in a slot of its own
# (more would share a slot: still shown).
WEEK_SLOTS = 13
# A range read less than this long ago is not read again when the calendar asks for it: opening
# the page, load reads the opening week and the calendar's own dates_set asks for the same week
# NAV_READ_DELAY_MS after drawing it (docs/ARCHITECTURE.md "Calendar time").
JUST_READ_SECONDS = 2.0


def week_slots(events: list[dict], language: str) -> list[list[dict]]:
    """The events by week slot (each slot in the events' order). Weeks start on the language's
    first day, as the calendar's and the read window's do: a new window then leaves the shown
    week's slot as it was."""
    slots: list[list[dict]] = [[] for _ in range(WEEK_SLOTS)]
    for event in events:
        week = opening_week(date.fromisoformat(event["start"][:10]), language)
        slots[(week - BLOCK_EPOCH).days // 7 % WEEK_SLOTS].append(event)
    return slots


def range_key(first: date, days: int) -> str:
    """A range as the state keeps it ("first day+days": the loaded window, the range last read)."""
    return f"{first.isoformat()}+{days}"


def read_window(first: date, days: int) -> tuple[date, int]:
    """(first day, days) to read for a visible range: it and one range either side, so
    "previous" and "next" draw their appointments at once while the fresh read is on its way."""
    span = min(days, 14)
    if days > 7:  # month and longer views: a block would pass the read's 84-day limit
        return first - timedelta(days=span), days + 2 * span
    # Blocks start on the week's first day (Monday or Sunday, as the practice's week does).
    epoch = BLOCK_EPOCH + timedelta(days=(first.weekday() - BLOCK_EPOCH.weekday()) % 7 if days == 7 else 0)
    block = first - timedelta(days=(first - epoch).days % BLOCK_DAYS)
    end = max(block + timedelta(days=BLOCK_DAYS), first + timedelta(days=days)) + timedelta(days=span)
    start = block - timedelta(days=span)
    return start, (end - start).days


_appointment_id = functools.partial(page_id, missing=N_("That appointment no longer exists."))


def opening_week(day: date, language: str) -> date:
    """The first day of the week view that holds `day`: the week starts on the language's first
    day, as the calendar's does (components/fullcalendar.first_day)."""
    return day - timedelta(days=(day.weekday() - _first_week_day(language)) % 7)


@functools.lru_cache(maxsize=16)
def _first_week_day(language: str) -> int:  # 0 = Monday; once per language (week_slots: every event)
    return fmt.babel_locale(language).first_week_day


def conflict_row(conflict: Conflict, zone: str, language: str = "en") -> dict[str, str]:
    day = fmt.format_day(conflict.starts_at.astimezone(ZoneInfo(zone)).date(), language=language)
    start, end = (fmt.format_time(conflict.starts_at, language=language, zone=zone),
                  fmt.format_time(conflict.ends_at, language=language, zone=zone))
    return {"id": str(conflict.appointment_id), "when": f"{day} {start}–{end}",
            "who": conflict.client_initials}


class CalendarState(SessionState):
    clients: list[list[str]] = []
    services: list[list[str]] = []
    locations: list[list[str]] = []
    form: dict[str, str] = dict(EMPTY_FORM)
    form_open: bool = False
    field_errors: dict[str, str] = {}
    conflicts: list[dict[str, str]] = []
    error: str = ""
    selected: dict[str, str] = {}
    detail_open: bool = False
    jump_date: str = ""
    slot_min: str = f"{DAY_HOURS[0]:02d}:00:00"
    slot_max: str = f"{DAY_HOURS[1]:02d}:00:00"
    # Bumped when FullCalendar may show something the server doesn't have (a drag the server
    # refused): it rides on every event so that read differs and is drawn. Plain navigation
    # keeps it, so a read that brings the same events changes nothing on screen.
    _redraw: int = 0
    _window: str = ""  # the read window CalendarShownState holds ("first day+days"), for the merge
    # The visible range's length; its first day is CalendarShownState.range_start. Backend-only:
    # a change of this state's public vars re-renders every part of the page bound to it.
    _range_days: int = 7
    # The visible range last read ("first day+days") and when (wall clock: a tab's next event
    # may run in another process): a dates_set for it right after is not read again.
    _read_range: str = ""
    _read_at: float = 0.0

    async def _reload(self, actor: Actor, visible_only: bool = False) -> None:
        """Read the window around the visible range. visible_only (a week move): when the window
        is the one already loaded, read just the visible range and merge it in; the weeks either
        side were read with the window and are read again when they are shown
        (docs/ARCHITECTURE.md "Calendar time")."""
        shown = await self.get_state(CalendarShownState)
        if not shown.range_start:
            return
        visible = date.fromisoformat(shown.range_start)
        first_day, days = read_window(visible, self._range_days)
        window = range_key(first_day, days)
        partial = visible_only and window == self._window
        read_first, read_days = (visible, self._range_days) if partial else (first_day, days)
        views = await self._call(appointments.schedule, actor, read_first, read_days)
        self._read_range, self._read_at = range_key(visible, self._range_days), time.time()
        shown.nav_version += 1
        fresh = [{**event_of(v, self.language), "extendedProps": {"redraw": self._redraw}} for v in views]
        loaded = shown._loaded()
        events = merge_range(loaded, fresh, visible, self._range_days) if partial else in_order(fresh)
        self._window = window
        if events == loaded:  # an unchanged list sends no delta and draws nothing
            return
        shown._show(events)
        hours = grid_hours(events)
        if hours != (self.slot_min, self.slot_max):
            self.slot_min, self.slot_max = hours

    @rx.event
    @handler(fields=None, invalid=None)  # no form here: a refused read is said in one line
    async def load(self):
        actor = await self._actor()
        self.form_open = self.detail_open = False
        self.error = ""
        choices = await self._call(clients.client_choices, actor)
        self.clients = [[str(cid), name] for cid, name in choices]
        booking = await self._call(catalog.booking_choices, actor)
        self.services = [[str(s.id), self._t(msg("{name} ({minutes} min)", name=s.name, minutes=s.duration_minutes))]
                         for s in booking.services]
        self.locations = [[str(loc.id), f"{loc.name} ({self._t(KIND_LABELS[loc.kind])})"]
                          for loc in booking.locations]
        # Opening the page, the week the calendar opens on is read now: the calendar's own
        # dates_set comes only NAV_READ_DELAY_MS after it is drawn (pages/calendar.py) and then
        # finds it loaded. A reconnect runs load again with the calendar still showing its
        # range (kept: `left` clears it only when the calendar leaves the page).
        shown = await self.get_state(CalendarShownState)
        if not shown.range_start:
            opens_on = date.fromisoformat(self.jump_date) if self.jump_date else clock.today(ZoneInfo(self.time_zone))
            shown.range_start, self._range_days = opening_week(opens_on, self.language).isoformat(), 7
        await self._reload(actor)
        linked = self.router.url.query_parameters.get("appointment", "")
        if linked:  # the link back from a calendar feed event (services/calendar_feed.py)
            view = await self._show_detail(actor, linked)
            self.jump_date = view.starts_at.date().isoformat()
        booking_for = self.router.url.query_parameters.get("book", "")
        if booking_for and booking_for in {cid for cid, _ in self.clients}:  # "Book" on a client's page
            self._open_form(self._next_hour())
            self.form = {**self.form, "client_id": booking_for}

    @rx.event
    @handler(fields=None, invalid=None)  # no form here: a refused read is said in one line
    async def dates_set(self, start: str, end: str, view_type: str):
        """FullCalendar moved (prev / next / today / view change): read that range."""
        if not self.router.url.path.startswith("/calendar"):
            return  # sent after a delay, and the calendar has left the page since: nothing to show
        actor = await self._actor()
        first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
        shown = await self.get_state(CalendarShownState)
        shown.range_start, self._range_days = first.isoformat(), max(1, (last - first).days)
        if self._just_read(range_key(first, self._range_days)):
            return  # the calendar's first dates_set after load (or a rebuilt calendar on the same range)
        await self._reload(actor, visible_only=True)

    def _just_read(self, visible: str) -> bool:
        return visible == self._read_range and 0 <= time.time() - self._read_at < JUST_READ_SECONDS

    @rx.event
    @handler
    async def left(self):
        """The calendar left the page: its events go from the tab's state (no client names kept),
        and the next visit opens on the calendar's opening week (load)."""
        shown = await self.get_state(CalendarShownState)
        shown.range_start, self._window, self._read_range = "", "", ""
        shown._show([])

    @rx.event
    @handler
    def jump_to(self, value: str):
        """Go to a date: the calendar is re-created there (its key is the date)."""
        try:
            self.jump_date = date.fromisoformat(value).isoformat()
        except ValueError:
            return  # a half-typed date: keep the calendar where it is

    # ---- booking form ---------------------------------------------------------------

    def _open_form(self, start: str) -> None:
        self.form = {**EMPTY_FORM, "start": start}
        self.field_errors, self.conflicts, self.error = {}, [], ""
        self.form_open, self.detail_open = True, False

    @rx.event
    @handler
    def new_at(self, date_str: str):
        """A click on an empty slot (or day) opens the form there."""
        self._open_form(floating(date_str) if "T" in date_str else f"{date_str[:10]}T09:00")

    @rx.event
    @handler
    def new_now(self):
        self._open_form(self._next_hour())

    def _next_hour(self) -> str:
        now = datetime.now(ZoneInfo(self.time_zone)).replace(minute=0, second=0, microsecond=0)
        return (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    @rx.event
    @handler
    def close_form(self):
        self.form_open = False

    @rx.event
    @handler
    async def set_field(self, name: str, value: str):
        if name not in EMPTY_FORM:
            return
        self.form = {**self.form, name: str(value)}
        if name in ("start", "end", "service_id"):
            await self._check_live(await self._actor())

    async def _check_live(self, actor: Actor) -> None:
        exclude = uuid.UUID(self.form["id"]) if self.form.get("id") else None
        try:
            found = await self._call(appointments.check_times, actor, self.form["start"], self.form["end"],
                                     "", self.form["service_id"], exclude)
        except (ValueError, ServiceError):
            found = []  # a half-typed time: nothing to warn about yet, and no error while typing
        self.conflicts = [conflict_row(c, self.time_zone, self.language) for c in found]

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.time_zone))

    def _input(self) -> AppointmentInput:
        f = self.form
        return AppointmentInput(client_id=f["client_id"], start=f["start"], end=f["end"],
                                service_id=f["service_id"], location_id=f["location_id"], notes=f["notes"])

    def _recurrence(self) -> Recurrence | None:
        f = self.form
        if f["repeat"] != "weekly" or f.get("id"):
            return None
        try:
            interval = int(f["interval_weeks"] or 1)
            count = int(f["count"]) if f["ends"] == "count" else None
            until = date.fromisoformat(f["until"]) if f["ends"] == "until" else None
        except ValueError:
            raise ValidationFailed({"count": N_("Enter how many times, or a valid end date.")}) from None
        return Recurrence(interval_weeks=interval, count=count, until=until)

    @rx.event
    @handler
    async def save(self, override: bool = False):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        try:
            if self.form.get("id"):
                await self._call(appointments.update_appointment, actor, uuid.UUID(self.form["id"]),
                                 self._input(), self.form["scope"] or "this", override)
            else:
                await self._call(appointments.create_appointment, actor, self._input(), self._recurrence(),
                                 override)
        except ConflictsFound as found:
            self.conflicts = [conflict_row(c, self.time_zone, self.language) for c in found.conflicts]
            self.error = self._t(N_("This time overlaps other appointments. Choose another time or press Book anyway."))
            return None
        self.form_open, self.conflicts = False, []
        await self._reload(actor)
        self._notify(N_("Appointment saved."))

    @rx.event
    @handler
    async def book_anyway(self):
        return await self.save(override=True)

    # ---- one appointment ----------------------------------------------------------------

    @rx.event
    @handler(fields=None, invalid=None)  # no form here: a refused read is said in one line
    async def open_event(self, appointment_id: str):
        await self._show_detail(await self._actor(), appointment_id)

    async def _show_detail(self, actor: Actor, appointment_id: str) -> AppointmentView:
        view = await self._call(appointments.get_appointment, actor, _appointment_id(appointment_id))
        self.selected = {
            "id": str(view.id), "client": view.client_name, "client_id": str(view.client_id),
            "when": (f"{fmt.format_long_date(view.starts_at, language=self.language, zone=self.time_zone)}, "
                     f"{fmt.format_time(view.starts_at, language=self.language, zone=self.time_zone)}–"
                     f"{fmt.format_time(view.ends_at, language=self.language, zone=self.time_zone)}"),
            "status": view.status, "service": view.service_name, "location": view.location_name,
            "where": view.where, "notes": view.notes or "", "series": "yes" if view.series_id else "",
            "start": view.starts_at.strftime("%Y-%m-%dT%H:%M"), "end": view.ends_at.strftime("%Y-%m-%dT%H:%M"),
            "service_id": str(view.service_id or ""), "location_id": str(view.location_id or ""),
        }
        self.detail_open, self.error = True, ""
        return view

    @rx.event
    @handler
    async def write_note(self):
        actor = await self._actor()
        try:
            note_id, marked = await self._call(soap_notes.open_for_appointment, actor,
                                               _appointment_id(self.selected.get("id", "")))
        except NotFound:
            self.error = self._t(N_("Session notes are for the practice owner."))
            return None
        self.detail_open = False
        return rx.redirect(f"/notes/{note_id}" + ("?attended=1" if marked else ""))

    @rx.event
    @handler
    def close_detail(self):
        self.detail_open = False

    @rx.event
    @handler
    def edit_selected(self):
        s = self.selected
        self.form = {**EMPTY_FORM, "id": s["id"], "client_id": s["client_id"], "service_id": s["service_id"],
                     "location_id": s["location_id"], "start": s["start"], "end": s["end"], "notes": s["notes"],
                     "series": s["series"]}
        self.field_errors, self.conflicts, self.error = {}, [], ""
        self.detail_open, self.form_open = False, True

    @rx.event
    @handler(fields=None, invalid=None)  # the detail dialog has no fields: say what was refused
    async def change_status(self, status: str, scope: str = "this"):
        actor = await self._actor()
        try:
            await self._call(appointments.set_status, actor, _appointment_id(self.selected.get("id", "")),
                             status, scope)
        except ConflictsFound:
            self.error = self._t(N_("Restoring it would overlap another appointment; move it first."))
            return None
        self.detail_open = False
        await self._reload(actor)
        self._notify(N_("Appointment updated."))

    @rx.event
    @handler
    async def moved(self, appointment_id: str, start: str, end: str):
        """Drag and drop: same conflict check; a refused move puts the event back and says why."""
        actor = await self._actor()
        try:
            await self._call(appointments.move_appointment, actor, _appointment_id(appointment_id),
                             floating(start), floating(end) if end else "")
        except ConflictsFound as found:
            self.error = self._t(msg("Not moved: that time overlaps {overlaps} appointment(s). "
                                      "Open the appointment and use Edit to book it anyway.",
                                      overlaps=len(found.conflicts)))
        except ServiceError as refused:
            self.error = self._t(refused.message())
        else:
            self.error = ""
        self._redraw += 1  # FullCalendar shows the drop: draw the server's answer over it
        await self._reload(actor)


class CalendarShownState(CalendarState):
    """What the calendar shows: the loaded window's events (by week slot), the visible range's
    first day and a counter every read bumps (tests, the load harness and the browser bench wait
    on it). A substate of its own because a change of a state's public vars re-renders every part of the
    page bound to that state: a week move (or a new window's events) then re-renders the calendar
    card and its events hook, not the ~60 parts of the forms and dialogs bound to CalendarState
    (docs/ARCHITECTURE.md "Calendar time")."""

    # The loaded window's events by week slot: the very lists the week vars hold (one copy in the
    # tab's state; compared as plain lists, not through the vars' proxies).
    _slots: list[list[dict]] = []
    range_start: str = ""
    nav_version: int = 0
    # WEEK_SLOTS of them (week_slots); week_vars() lists them for the page.
    week_0: list[dict] = []
    week_1: list[dict] = []
    week_2: list[dict] = []
    week_3: list[dict] = []
    week_4: list[dict] = []
    week_5: list[dict] = []
    week_6: list[dict] = []
    week_7: list[dict] = []
    week_8: list[dict] = []
    week_9: list[dict] = []
    week_10: list[dict] = []
    week_11: list[dict] = []
    week_12: list[dict] = []

    def _raw_slots(self) -> list[list[dict]]:
        """The week lists themselves, read-only: read through the state var's proxy, every week
        and every event became a proxy of its own (5 % of a worker's CPU in the load test).
        Changes go through `_show`'s assignment, which marks the state dirty."""
        slots = self._slots
        return getattr(slots, "__wrapped__", slots)

    def _loaded(self) -> list[dict]:
        """The loaded window's events, in order (as a full read gives them)."""
        return in_order([event for week in self._raw_slots() for event in week])

    def _show(self, events: list[dict]) -> None:
        shown = self._raw_slots() or [[] for _ in range(WEEK_SLOTS)]
        slots = []
        for slot, week in enumerate(week_slots(events, self.language)):
            if week == shown[slot]:
                week = shown[slot]  # unchanged: not sent, and the list the var holds is kept
            else:
                setattr(self, f"week_{slot}", week)
            slots.append(week)
        self._slots = slots


# The CalendarState handlers that read the calendar's window (CalendarShownState, ~20 KB of
# events per tab): with REDIS_URL the page's other events (open an appointment, the booking form,
# write a note) leave it in Redis instead of unpickling it (infra/tab_state.py, "on demand").
SHOWN_READERS = ("load", "dates_set", "left", "save", "book_anyway", "change_status", "moved")


def shown_on_demand() -> dict[type[rx.State], frozenset[str]]:
    parent = CalendarState.get_full_name()
    return {CalendarShownState: frozenset(f"{parent}.{handler}" for handler in SHOWN_READERS)}


def week_vars() -> list[rx.Var]:
    """CalendarShownState's week slots, in slot order (the calendar's events)."""
    return [getattr(CalendarShownState, f"week_{slot}") for slot in range(WEEK_SLOTS)]
