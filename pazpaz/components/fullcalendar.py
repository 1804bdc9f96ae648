"""FullCalendar (npm, v6) wrapped as a Reflex component.

Why FullCalendar: week / day / month grids with drag-and-drop on desktop and a list
("agenda") view that reads well on a phone, keyboard accessible, maintained. It is
rendered client-side only (NoSSR). Times are passed as workspace-local wall-clock
strings with timeZone="UTC", so the browser's own zone never shifts them; for the same
reason "now" (today's column, the now line, the initial week) must be given as the
practice's wall-clock time, or it would follow UTC (see practice_now).

Language: the calendar follows the tab's language (SessionState.language). Each language has a
constant options object (localised()): FullCalendar's locale (its Hebrew module from
@fullcalendar/core/locales, bundled by Vite, gives right-to-left and Hebrew day and month names
through Intl), the direction, the first day of the week from Babel's locale data (Monday for
en_GB, Sunday for he_IL), and the button texts and hints from our catalogs.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars.base import VarData
from reflex_base.constants import MemoizationDisposition, MemoizationMode
from reflex_base.utils.imports import ImportVar

from pazpaz import i18n
from pazpaz.i18n import N_
from pazpaz.services import formatting
from pazpaz.state.session import SessionState

VERSION = "6.1.20"
PLUGINS = {
    "@fullcalendar/daygrid": "dayGridPlugin",
    "@fullcalendar/timegrid": "timeGridPlugin",
    "@fullcalendar/interaction": "interactionPlugin",
    "@fullcalendar/list": "listPlugin",
}


# FullCalendar locale modules bundled with the page (default export: the locale object), by language.
# A language without one gets the Babel locale's code: Intl names its days and months, and the
# texts below come from the catalogs.
LOCALE_MODULES = {"he": ("@fullcalendar/core/locales/he", "pazpazFcLocaleHe")}
# Words FullCalendar draws or reads out, in the reader's language ($0 is FullCalendar's placeholder).
TEXTS: dict[str, Any] = {
    "buttonText": {"today": N_("Today"), "week": N_("Week"), "day": N_("Day"), "month": N_("Month"),
                   "list": N_("Agenda"), "prev": N_("Previous"), "next": N_("Next")},
    "buttonHints": {"prev": N_("Previous $0"), "next": N_("Next $0"), "today": N_("Go to today")},
    "viewHint": N_("$0 view"),
    "navLinkHint": N_("Go to $0"),
    "noEventsText": N_("No events to display"),
    "moreLinkText": N_("more"),
    "closeHint": N_("Close"),
    "timeHint": N_("Time"),
    "eventHint": N_("Appointment"),
}


def _translated(language: str, texts: Any) -> Any:
    if isinstance(texts, dict):
        return {key: _translated(language, value) for key, value in texts.items()}
    return i18n.gettext(language, texts)


def first_day(language: str) -> int:
    """FullCalendar's firstDay (0 = Sunday) from Babel's week data (first_week_day: 0 = Monday)."""
    return (formatting.babel_locale(language).first_week_day + 1) % 7


def localised(language: str) -> dict[str, Any]:
    """The calendar options that depend on the language (JSON; the locale module is put in by name)."""
    return {
        "locale": str(formatting.babel_locale(language)).replace("_", "-"),  # a language without a locale: English
        "direction": i18n.direction(language),
        "firstDay": first_day(language),
        **_translated(language, TEXTS),
    }


def _locales_js() -> str:
    """`pazpazFcLocales`: every language's options, one constant object each (a re-render
    hands FullCalendar the same object, so nothing is redrawn unless the language changes)."""
    entries = []
    for language in i18n.LANGUAGES:
        options = json.dumps(localised(language), ensure_ascii=False, sort_keys=True)
        if language in LOCALE_MODULES:
            options = "{..." + options + ", locale: " + LOCALE_MODULES[language][1] + "}"
        entries.append(f"{json.dumps(language)}: {options}")
    return ("const pazpazFcLocales = {" + ", ".join(entries) + "};\n"
            f"const pazpazFcLocalised = (language) => pazpazFcLocales[language] ?? "
            f"pazpazFcLocales[{json.dumps(i18n.DEFAULT_LANGUAGE)}];")


def _localised_option(name: str) -> rx.Var:
    language = SessionState.language
    return rx.Var(_js_expr=f"pazpazFcLocalised({language})[{json.dumps(name)}]",
                  _var_data=language._get_all_var_data())


def _date_click_spec(info: rx.Var) -> list[rx.Var]:
    return [info.to(dict)["dateStr"]]


def _event_click_spec(info: rx.Var) -> list[rx.Var]:
    return [info.to(dict)["event"].to(dict)["id"]]


def _event_change_spec(info: rx.Var) -> list[rx.Var]:
    event = info.to(dict)["event"].to(dict)
    return [event["id"], event["startStr"], event["endStr"]]


def _dates_set_spec(info: rx.Var) -> list[rx.Var]:
    return [info.to(dict)["startStr"], info.to(dict)["endStr"], info.to(dict)["view"].to(dict)["type"]]


class FullCalendar(rx.NoSSRComponent):
    library = f"@fullcalendar/react@{VERSION}"
    tag = "FullCalendar"
    is_default = True
    lib_dependencies: list[str] = [f"@fullcalendar/core@{VERSION}"] + [f"{p}@{VERSION}" for p in PLUGINS]

    # FullCalendar names its callbacks without the "on" prefix Reflex uses.
    _rename_props = {"onDateClick": "dateClick", "onEventClick": "eventClick", "onEventDrop": "eventDrop",
                     "onEventResize": "eventResize", "onDatesSet": "datesSet"}

    plugins: rx.Var[Any]
    view_did_mount: rx.Var[Any]  # pazpazFcMounted: the calendar's API, for its events
    initial_view: rx.Var[str]
    initial_date: rx.Var[str]
    time_zone: rx.Var[str]
    now: rx.Var[Any]
    header_toolbar: rx.Var[dict[str, str]]
    button_text: rx.Var[dict[str, str]]
    button_icons: rx.Var[Any]  # False: the named text buttons instead of unnamed icon glyphs
    button_hints: rx.Var[dict[str, str]]
    editable: rx.Var[bool]
    event_duration_editable: rx.Var[bool]
    height: rx.Var[str]
    slot_min_time: rx.Var[str]
    slot_max_time: rx.Var[str]
    scroll_time: rx.Var[str]
    first_day: rx.Var[int]
    direction: rx.Var[str]
    view_hint: rx.Var[str]
    nav_link_hint: rx.Var[str]
    no_events_text: rx.Var[str]
    more_link_text: rx.Var[str]
    close_hint: rx.Var[str]
    time_hint: rx.Var[str]
    event_hint: rx.Var[str]
    now_indicator: rx.Var[bool]
    all_day_slot: rx.Var[bool]
    nav_links: rx.Var[bool]
    locale: rx.Var[str]
    event_time_format: rx.Var[Any]  # pazpazFcEventTime (full_calendar)
    slot_label_format: rx.Var[dict[str, Any]]

    on_date_click: rx.EventHandler[_date_click_spec]
    on_event_click: rx.EventHandler[_event_click_spec]
    on_event_drop: rx.EventHandler[_event_change_spec]
    on_event_resize: rx.EventHandler[_event_change_spec]
    on_dates_set: rx.EventHandler[_dates_set_spec]

    def add_imports(self) -> dict[str, list[ImportVar]]:
        imports = {f"{pkg}@{VERSION}": [ImportVar(tag=name, is_default=True)] for pkg, name in PLUGINS.items()}
        # A file inside @fullcalendar/core (installed above): nothing more to install.
        for path, name in LOCALE_MODULES.values():
            imports[path] = [ImportVar(tag=name, is_default=True, install=False)]
        return imports

    def add_custom_code(self) -> list[str]:
        return [STABLE_PROPS_JS, EVENTS_JS, "const pazpazFcOptions = " + json.dumps(_HOISTED, sort_keys=True) + ";",
                _locales_js()]


# A re-render of the component makes @fullcalendar/react hand every prop to
# calendar.resetOptions(). A prop that is a new object or function each render (the formats,
# `now`) makes FullCalendar refine its options and redraw the whole grid. These keep such props
# the same object until their content changes (docs/ARCHITECTURE.md "Calendar time").
STABLE_PROPS_JS = """
const pazpazFcPlugins = [""" + ", ".join(PLUGINS.values()) + """];
const pazpazFcNow = new Map();
function pazpazPracticeNow(zone) {
  let now = pazpazFcNow.get(zone);
  if (now === undefined) {
    const format = new Intl.DateTimeFormat('en-CA', {timeZone: zone, hourCycle: 'h23', year: 'numeric',
      month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'});
    now = () => {
      const p = Object.fromEntries(format.formatToParts(new Date()).map((part) => [part.type, part.value]));
      return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
    };
    pazpazFcNow.set(zone, now);
  }
  return now;
}
// An option object built at each render (one holding a value read at render, such as the views
// that fit the screen): the previous object while its content is the same.
const pazpazFcKeptOptions = new Map();
function pazpazFcKept(name, value) {
  const text = JSON.stringify(value);
  const kept = pazpazFcKeptOptions.get(name);
  if (kept !== undefined && kept.text === text) return kept.value;
  pazpazFcKeptOptions.set(name, {text, value});
  return value;
}
// An appointment's time text ("09:00 - 09:45") for eventTimeFormat. FullCalendar's own range
// formatting builds a new Intl.DateTimeFormat for every event it draws (its partial formatter is
// not memoised): 0.2-0.7 ms an event, most of a week move's script time. Times are wall-clock
// fields here (timeZone "UTC"), 24-hour in both languages, with the locale's range separator.
function pazpazFcEventTime(arg) {
  const hm = (d) => String(d.hour).padStart(2, '0') + ':' + String(d.minute).padStart(2, '0');
  return arg.end ? hm(arg.start) + arg.defaultSeparator + hm(arg.end) : hm(arg.start);
}
"""

# The events do not go through FullCalendar's options: any option that changes makes it refine
# every option and redraw the whole calendar (30-80 ms for a new 4-week window's events). They
# are handed to the calendar's API instead (CalendarEvents' effect -> pazpazFcShow), as one
# array source per week slot (state/calendar.py week_slots). Reflex replaces only the vars a
# delta brings (and keeps an equal value's old object), so a slot whose array is the same object
# as last time is left alone: a read that changes some weeks (a new window, a moved appointment)
# redraws only those, with no comparing or grouping here (docs/ARCHITECTURE.md "Calendar time").
# The calendar and the effect may be compiled into different modules: they share one object on
# globalThis.
EVENTS_JS = """
const pazpazFc = globalThis.pazpazFc ?? (globalThis.pazpazFc = {wanted: [], api: null});
function pazpazFcMounted(arg) {  // viewDidMount: a new calendar (a jump, a new zone) or view
  const api = arg.view.calendar;
  if (api === pazpazFc.api) return;
  pazpazFc.api = api;
  api.pazpazWeeks = [];
  pazpazFcSteady(api);
  pazpazFcSync();
}
// @fullcalendar/react hands a new options object to resetOptions() at every re-render of its
// component, also when no option changed (its own state holds custom renderings). FullCalendar
// then finds nothing to refine and keeps the old object as its "stable" one, so every later
// action (a week move, each week's events added) compares and refines all options again: 1-3 ms
// each, 20 of them for a new window's events. A reset whose options are all the same values is
// skipped: there is nothing in it to apply (docs/ARCHITECTURE.md "Calendar time").
function pazpazFcSteady(api) {
  const reset = api.resetOptions.bind(api);
  api.resetOptions = (options, changedNames) => {
    const current = api.currentDataManager?.props?.optionOverrides;
    if (changedNames === undefined && current && pazpazFcSameOptions(current, options)) return;
    reset(options, changedNames);
  };
}
function pazpazFcSameOptions(a, b) {
  const names = Object.keys(b);
  return names.length === Object.keys(a).length && names.every((name) => a[name] === b[name]);
}
function pazpazFcShow(weeks) {  // the week slots' arrays, in slot order
  pazpazFc.wanted = weeks;
  pazpazFcSync();
}
function pazpazFcSync() {
  const api = pazpazFc.api;
  if (api === null || !api.el || !api.el.isConnected) return;  // not mounted yet: viewDidMount syncs
  const shown = api.pazpazWeeks;
  const wanted = pazpazFc.wanted;
  api.pauseRendering();  // one redraw for all the changes; resumed whatever happens
  try {
    for (let slot = 0; slot < Math.max(wanted.length, shown.length); slot++) {
      const list = wanted[slot] ?? [];
      const kept = shown[slot];
      if (kept !== undefined && kept.list === list) continue;
      if (kept !== undefined && kept.source !== null) kept.source.remove();
      shown[slot] = {list, source: list.length ? api.addEventSource(list) : null};
    }
  } finally {
    api.resumeRendering();
  }
}
function pazpazFcForget() {  // the events hook unmounts (the page is left): no client names kept
  pazpazFc.wanted = [];
  pazpazFc.api = null;
}
"""
# Constant option objects (toolbar, button texts, formats), emitted once as module-level
# JavaScript by add_custom_code and referenced by name: the same object on every render.
_HOISTED: dict[str, Any] = {}
HOISTABLE = ("header_toolbar", "button_text", "slot_label_format")


def _hoisted(name: str, value: Any) -> rx.Var:
    if _HOISTED.setdefault(name, value) != value:  # one constant per option, shared by every page
        raise ValueError(f"full_calendar: {name} differs between two calendars; pass it as a Var instead.")
    return rx.Var(_js_expr=f"pazpazFcOptions[{json.dumps(name)}]")


def _kept(name: str, value: dict[str, Any]) -> rx.Var:
    """An option object built at render (it holds a Var): the same object while its content is
    the same (pazpazFcKept), as a hoisted constant would be."""
    built = rx.Var.create(value)
    return rx.Var(_js_expr=f"pazpazFcKept({json.dumps(name)}, {built})", _var_data=built._get_all_var_data())


def practice_now(zone: rx.Var[str]) -> rx.Var:
    """FullCalendar's `now` option: a function giving the current wall-clock time in the
    practice's IANA zone as an offset-less string, which FullCalendar (in "UTC") reads as is.
    One function per zone (pazpazPracticeNow), so a re-render doesn't look like a new "now"."""
    return rx.Var(_js_expr=f"pazpazPracticeNow({zone})", _var_data=zone._get_all_var_data())


# Props that follow the tab's language (localised()); a page passes none of them.
LOCALISED_PROPS = {"locale": "locale", "direction": "direction", "first_day": "firstDay",
                   "button_text": "buttonText", "button_hints": "buttonHints", "view_hint": "viewHint",
                   "nav_link_hint": "navLinkHint", "no_events_text": "noEventsText",
                   "more_link_text": "moreLinkText", "close_hint": "closeHint", "time_hint": "timeHint",
                   "event_hint": "eventHint"}


class CalendarEvents(rx.Fragment):
    """Hands the events (a list per week slot) to the page's calendar through its API
    (pazpazFcShow) in a React effect that runs when a slot changes; renders nothing. Apart from FullCalendar so that new
    events re-render neither it nor its options. Always memoised: left in the page's own
    component, its hook would re-render the whole page at every change of the calendar's state."""

    _memoization_mode = MemoizationMode(disposition=MemoizationDisposition.ALWAYS)

    def add_custom_code(self) -> list[str]:
        return [EVENTS_JS]

    def add_hooks(self) -> list[str | rx.Var]:
        weeks = ", ".join(str(week) for week in self._pazpaz_weeks)
        imports = VarData(imports={"react": ["useEffect"]})
        return [rx.Var(f"useEffect(() => {{ pazpazFcShow([{weeks}]); }}, [{weeks}]);",
                       _var_data=VarData.merge(*(week._get_all_var_data() for week in self._pazpaz_weeks), imports)),
                rx.Var("useEffect(() => pazpazFcForget, []);", _var_data=imports)]


def calendar_events(weeks: list[rx.Var]) -> rx.Component:
    component = CalendarEvents.create()
    object.__setattr__(component, "_pazpaz_weeks", weeks)  # not a prop: a Fragment takes none
    return component


def full_calendar(**props: Any) -> rx.Component:
    for prop, option in LOCALISED_PROPS.items():
        props.setdefault(prop, _localised_option(option))
    props.setdefault("event_time_format", rx.Var("pazpazFcEventTime"))
    for name in HOISTABLE:
        # Only a constant can be hoisted: an option holding a Var (the phone's views) stays a prop.
        value = props.get(name)
        if isinstance(value, dict) and not any(isinstance(item, rx.Var) for item in value.values()):
            props[name] = _hoisted(name, value)
        elif isinstance(value, dict):
            props[name] = _kept(name, value)
    events = props.pop("events", None)
    if events is not None:  # the calendar hands its API to the events hook when it mounts
        props["view_did_mount"] = rx.Var("pazpazFcMounted")
    calendar = FullCalendar.create(plugins=rx.Var("pazpazFcPlugins"), **props)
    return calendar if events is None else rx.fragment(calendar, calendar_events(events))
