"""/calendar: week (desktop default), day, month and agenda (phone default)."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import CONTROL_STYLE, LABEL_STYLE, banner, field, form_actions
from pazpaz.components.fullcalendar import full_calendar, practice_now
from pazpaz.components.i18n import t
from pazpaz.components.shell import shell
from pazpaz.components.theme import muted
from pazpaz.components.words import appointment_status
from pazpaz.i18n import N_
from pazpaz.pages.reminders import cancellation_badge
from pazpaz.services.appointments import STATUS_WORDS
from pazpaz.state.calendar import STATUS_COLOURS, CalendarShownState, CalendarState, week_vars

SCHEDULING_NOTE = N_("Scheduling note (visible to assistants)")
SCHEDULING_NOTE_HINT = N_("For the visit itself (door code, parking). Clinical details belong in the session note.")
# Phones get the agenda list; wider screens the week grid.
# The grid grows to its content ("auto"): a fixed height made FullCalendar's inner scroller a
# scrolling region a keyboard cannot reach (axe: scrollable-region-focusable).
CALENDAR_HEIGHT = "auto"
INITIAL_VIEW = rx.Var("(typeof window !== 'undefined' && window.innerWidth < 768) ? 'listWeek' : 'timeGridWeek'")
# A week move draws the new week at once from the loaded window; the fresh read of it goes to the
# server once the user stops on a week (rapid "next" clicks read only the last week), so that read
# and its answer do not compete with the drawing for the CPU (docs/ARCHITECTURE.md "Calendar time").
NAV_READ_DELAY_MS = 150
# Seven day columns do not fit a phone (the day headers collide): there it offers day and agenda.
VIEWS = rx.Var("(typeof window !== 'undefined' && window.innerWidth <= 640) ? 'timeGridDay,listWeek' "
               ": 'timeGridWeek,timeGridDay,dayGridMonth,listWeek'")


def _select(label: rx.Var, field_name: str, options: rx.Var, empty: rx.Var) -> rx.Component:
    return field(label, f"appt-{field_name}", rx.el.select,
                 rx.el.option(empty, value=""),
                 rx.foreach(options, lambda o: rx.el.option(o[1], value=o[0])),
                 error=CalendarState.field_errors.get(field_name, ""),
                 value=CalendarState.form[field_name],
                 on_change=lambda v: CalendarState.set_field(field_name, v))


def _choice(label: rx.Var, field_name: str, *options: rx.Component) -> rx.Component:
    return field(label, f"appt-{field_name}", rx.el.select, *options,
                 error=CalendarState.field_errors.get(field_name, ""),
                 value=CalendarState.form[field_name],
                 on_change=lambda v: CalendarState.set_field(field_name, v))


def _input(label: rx.Var, field_name: str, input_type: str) -> rx.Component:
    return field(label, f"appt-{field_name}", rx.el.input, type=input_type,
                 error=CalendarState.field_errors.get(field_name, ""),
                 value=CalendarState.form[field_name],
                 on_change=lambda v: CalendarState.set_field(field_name, v))


def _scheduling_note() -> rx.Component:
    # Assistants see the schedule, so this note is theirs too: clinical words go in the session note.
    return field(t(SCHEDULING_NOTE), "appt-notes", rx.el.textarea, error=CalendarState.field_errors.get("notes", ""),
                 hint=t(SCHEDULING_NOTE_HINT), value=CalendarState.form["notes"], rows=3,
                 on_change=lambda v: CalendarState.set_field("notes", v))


def _repeat() -> rx.Component:
    weekly = CalendarState.form["repeat"] == "weekly"
    return rx.cond(
        CalendarState.form["id"] == "",
        rx.vstack(
            _choice(t("Repeat"), "repeat", rx.el.option(t("Does not repeat"), value="none"),
                    rx.el.option(t("Weekly"), value="weekly")),
            rx.cond(weekly, rx.grid(
                _input(t("Every N weeks"), "interval_weeks", "number"),
                _choice(t("Ends"), "ends", rx.el.option(t("After a number of times"), value="count"),
                        rx.el.option(t("On a date"), value="until")),
                rx.cond(CalendarState.form["ends"] == "count", _input(t("Times"), "count", "number"),
                        _input(t("Last date"), "until", "date")),
                columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%",
            )),
            spacing="3", width="100%",
        ),
        rx.cond(
            CalendarState.form["series"] == "yes",
            _choice(t("Apply to"), "scope", rx.el.option(t("This appointment"), value="this"),
                    rx.el.option(t("This and following"), value="following"),
                    rx.el.option(t("All in the series"), value="all")),
        ),
    )


def _conflicts() -> rx.Component:
    return rx.cond(
        CalendarState.conflicts.length() > 0,
        rx.callout(
            rx.vstack(
                rx.text(t("Overlaps with:"), weight="bold"),
                rx.foreach(CalendarState.conflicts, lambda c: rx.text(c["when"], " · ", c["who"], size="2")),
                rx.button(t("Book anyway"), color_scheme="amber", type="button", on_click=CalendarState.book_anyway),
                spacing="1",
            ),
            color_scheme="amber", width="100%", id="conflict-warning", role="status",
        ),
    )


def _form_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(CalendarState.form["id"] == "", t("New appointment"), t("Edit appointment"))),
            rx.dialog.description(t("Times are in the practice's time zone."), size="2"),
            rx.form(
                rx.vstack(
                    banner(CalendarState.error),
                    _select(t("Client"), "client_id", CalendarState.clients, t("Choose a client")),
                    _select(t("Service"), "service_id", CalendarState.services, t("No service")),
                    _select(t("Location"), "location_id", CalendarState.locations, t("No location")),
                    rx.grid(_input(t("Start"), "start", "datetime-local"),
                            _input(t("End (optional)"), "end", "datetime-local"),
                            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
                    _repeat(),
                    _scheduling_note(),
                    _conflicts(),
                    form_actions(
                        rx.button(t("Save appointment"), type="submit", size="3"),
                        rx.dialog.close(rx.button(t("Close"), variant="soft", color_scheme="gray", size="3",
                                                  type="button", on_click=CalendarState.close_form)),
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=lambda _: CalendarState.save(False),
                width="100%",
                no_validate=True,
            ),
            max_width="560px",
        ),
        open=CalendarState.form_open,
        on_open_change=lambda is_open: rx.cond(is_open, rx.noop(), CalendarState.close_form()),
    )


def _status_button(label: rx.Var, status: str, **props) -> rx.Component:
    return rx.button(label, size="2", variant="soft", on_click=CalendarState.change_status(status, "this"), **props)


def _detail_dialog() -> rx.Component:
    s = CalendarState.selected
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(s["client"]),
            rx.dialog.description(s["when"], size="2"),
            rx.vstack(
                banner(CalendarState.error),
                rx.flex(rx.badge(appointment_status(s["status"]), id="appt-status"), rx.text(s["service"], size="2"),
                        rx.text(s["location"], size="2"), spacing="2", wrap="wrap"),
                rx.cond(s["where"] != "", rx.text(s["where"], size="2", overflow_wrap="anywhere")),
                rx.cond(s["notes"] != "", rx.text(rx.text.strong(t("Scheduling note:")), " ", s["notes"], size="2",
                                                  white_space="pre-wrap")),
                rx.link(t("Open client"), href="/clients/" + s["client_id"], size="2"),
                rx.flex(
                    rx.cond(CalendarState.is_owner,
                            rx.button(t("Write note"), size="2", color_scheme="green",
                                      on_click=CalendarState.write_note)),
                    rx.button(t("Edit"), size="2", on_click=CalendarState.edit_selected),
                    _status_button(t("Confirm"), "confirmed"),
                    _status_button(t("Attended"), "attended", color_scheme="green"),
                    _status_button(t("No-show"), "no_show", color_scheme="orange"),
                    rx.cond(
                        s["status"] == "cancelled",
                        _status_button(t("Restore"), "scheduled"),
                        rx.cond(
                            s["series"] == "yes",
                            rx.flex(
                                _status_button(t("Cancel this"), "cancelled", color_scheme="red"),
                                rx.button(t("Cancel this and following"), size="2", variant="soft", color_scheme="red",
                                          on_click=CalendarState.change_status("cancelled", "following")),
                                rx.button(t("Cancel all"), size="2", variant="soft", color_scheme="red",
                                          on_click=CalendarState.change_status("cancelled", "all")),
                                spacing="2", wrap="wrap",
                            ),
                            _status_button(t("Cancel appointment"), "cancelled", color_scheme="red"),
                        ),
                    ),
                    spacing="2", wrap="wrap",
                ),
                rx.dialog.close(rx.button(t("Close"), variant="soft", color_scheme="gray", size="2",
                                          on_click=CalendarState.close_detail)),
                spacing="3", width="100%",
            ),
            max_width="520px",
        ),
        open=CalendarState.detail_open,
        on_open_change=lambda is_open: rx.cond(is_open, rx.noop(), CalendarState.close_detail()),
    )


def _legend() -> rx.Component:
    return rx.flex(
        *[rx.hstack(rx.box(width="12px", height="12px", border_radius="3px", background=colour),
                    rx.text(t(STATUS_WORDS[status]), size="1"), align="center", spacing="1")
          for status, colour in STATUS_COLOURS.items()],
        muted(t("Home visits: amber edge · Online: dashed border"), size="1"),
        spacing="3", wrap="wrap",
    )


def calendar_page() -> rx.Component:
    return shell(
        t("Calendar"),
        rx.vstack(
            rx.flex(
                rx.el.label(t("Go to date"), html_for="jump-date", style=LABEL_STYLE),
                rx.el.input(id="jump-date", type="date", on_change=CalendarState.jump_to, class_name="pz-control",
                            style={**CONTROL_STYLE, "width": "auto"}, dir="ltr"),
                align="center", spacing="2", wrap="wrap",
            ),
            rx.cond(~CalendarState.form_open & ~CalendarState.detail_open, banner(CalendarState.error)),
            cancellation_badge(),
            rx.card(
                full_calendar(
                    events=week_vars(),
                    initial_view=INITIAL_VIEW,
                    initial_date=rx.cond(CalendarState.jump_date != "", CalendarState.jump_date,
                                         rx.Var("undefined")),
                    # A new calendar when the date jumps or the practice's zone arrives: the
                    # page renders with the default zone before the session's state does, and
                    # FullCalendar keeps the "today" it computed at mount.
                    key=CalendarState.jump_date + "|" + CalendarState.time_zone,
                    time_zone="UTC",
                    now=practice_now(CalendarState.time_zone),
                    header_toolbar={"start": "prev,next today", "center": "title", "end": VIEWS},
                    # Named text buttons: FullCalendar's arrow glyphs have no accessible name. Their
                    # words, the locale, direction and first day follow the tab's language (full_calendar).
                    button_icons=False,
                    editable=True,
                    event_duration_editable=True,
                    height=CALENDAR_HEIGHT,
                    slot_min_time=CalendarState.slot_min,  # stretched to fit (state/calendar.grid_hours)
                    slot_max_time=CalendarState.slot_max,
                    now_indicator=True,
                    all_day_slot=False,
                    nav_links=True,
                    slot_label_format={"hour": "2-digit", "minute": "2-digit", "hour12": False},
                    on_dates_set=CalendarState.dates_set.debounce(NAV_READ_DELAY_MS),
                    on_date_click=CalendarState.new_at,
                    on_event_click=CalendarState.open_event,
                    on_event_drop=CalendarState.moved,
                    on_event_resize=CalendarState.moved,
                ),
                width="100%",
                id="calendar",
                on_unmount=CalendarState.left,
                data_nav_version=CalendarShownState.nav_version,
                data_range_start=CalendarShownState.range_start,
            ),
            _legend(),
            _form_dialog(),
            _detail_dialog(),
            spacing="3", width="100%",
        ),
        actions=rx.button(rx.icon("plus", size=16, aria_hidden="true"), t("New appointment"), size="3",
                          on_click=CalendarState.new_now),
    )
