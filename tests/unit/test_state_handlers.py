"""The state handler helper (pazpaz/state/handler.py) and the states' event surface.

States run here as Reflex runs them in a test: a real State tree in memory, the session cookie
in its router data, real services against the embedded PostgreSQL.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import uuid
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex.state import State
from reflex_base.constants.state import FIELD_MARKER

import pazpaz.pazpaz  # noqa: F401  (every page, so every state class, is registered)
from pazpaz import i18n
from pazpaz.services import auth
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.settings import get_settings
from pazpaz.state.calendar import CalendarState
from pazpaz.state.handler import FAILED, INVALID, Failures, handler, is_handler
from pazpaz.state.session import SessionState

STATE_DIR = Path(__file__).resolve().parents[2] / "pazpaz" / "state"
CTX = RequestContext(ip="192.0.2.8", user_agent="pytest")
# The helpers states have had (names without their underscore); NoteState.reload is a real button.
HELPER_NAMES = {"actor", "current_identity", "request_context", "identity", "call", "forget", "refresh", "fetch",
                "check_live"}


def all_states() -> list[type]:
    found, todo = [], [SessionState]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.get_substates())
    return found


def state_in_tree(cls: type, path: str = "/calendar", cookie: str = ""):
    """An instance of `cls` inside a fresh root State, as the browser at `path` with `cookie`."""
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data({
        "pathname": path, "asPath": path,
        "headers": {"origin": "http://localhost:3100", "cookie": cookie, "user-agent": "pytest"},
    })
    state = root
    for name in cls.get_full_name().split(".")[1:]:
        state = state.substates[name]
    return state


def signed_in_cookie(sink, email: str) -> str:
    before = len(sink.messages_to(email))
    auth.signup(practice_name="Handler Practice", your_name="Dana Handler", email=email,
                time_zone="Europe/Berlin", context=CTX)
    token = parse_qs(urlsplit(sink.wait_for_link(email, after=before)).query)["token"][0]
    redeemed = auth.redeem_link(token, CTX)
    return f"{get_settings().session_cookie_name}={redeemed.session_token}"


# ---- the mapping, on a small state of its own -----------------------------------------

class ProbeState(SessionState):
    FAILURES: ClassVar[Failures] = Failures(not_found="missing")

    error: str = ""
    field_errors: dict[str, str] = {}
    missing: bool = False
    done: bool = False

    @rx.event
    @handler
    async def run(self, kind: str):
        await self._call(_raise, kind)
        self.done = True

    @rx.event
    @handler
    async def needs_actor(self):
        await self._actor()
        self.done = True

    @rx.event
    @handler
    async def stream(self, kind: str):
        self.done = True
        yield
        await self._call(_raise, kind)

    @rx.event
    @handler(fields=None, invalid=None, not_found=None, not_found_says="Gone.")
    async def plain(self, kind: str):
        await self._call(_raise, kind)


def _raise(kind: str) -> None:
    if kind == "invalid":
        raise ValidationFailed({"email": "Enter an email address.", "name": "Enter a name."})
    if kind == "missing":
        raise NotFound("Client not found.")
    if kind == "refused":
        raise ServiceError("This appointment has a finalized session note, so it stays attended.")
    if kind == "bug":
        raise KeyError("dana@example.com")  # a message that must never reach a log or the page


async def run_handler(state, name: str, *args):
    """Call an event handler the way Reflex does (its fn with the state), draining generators."""
    result = type(state).event_handlers[name].fn(state, *args)
    if hasattr(result, "__anext__"):
        return [update async for update in result]
    return await result


@pytest.mark.asyncio
async def test_validation_failed_shows_field_errors_and_a_summary():
    state = state_in_tree(ProbeState)
    assert await run_handler(state, "run", "invalid") is None
    assert state.field_errors == {"email": "Enter an email address.", "name": "Enter a name."}
    assert state.error == INVALID and not state.done


@pytest.mark.asyncio
async def test_not_found_sets_the_flag_or_says_it():
    state = state_in_tree(ProbeState)
    await run_handler(state, "run", "missing")
    assert state.missing and state.error == ""
    await run_handler(state, "plain", "missing")
    assert state.error == "Gone."


@pytest.mark.asyncio
async def test_service_error_shows_its_own_words():
    state = state_in_tree(ProbeState)
    await run_handler(state, "run", "refused")
    assert state.error == "This appointment has a finalized session note, so it stays attended."


@pytest.mark.asyncio
async def test_without_fields_var_validation_errors_are_joined():
    state = state_in_tree(ProbeState)
    await run_handler(state, "plain", "invalid")
    assert state.error == "Enter an email address.; Enter a name." and state.field_errors == {}


@pytest.mark.asyncio
async def test_anything_else_is_logged_by_type_only_with_a_generic_message(caplog):
    caplog.set_level(logging.INFO)
    state = state_in_tree(ProbeState)
    assert await run_handler(state, "run", "bug") is None
    assert state.error == FAILED
    logged = [r.getMessage() for r in caplog.records if r.name == "pazpaz.state"]
    assert logged == ["ProbeState.run failed (KeyError)"]
    assert all("dana@example.com" not in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_async_generator_handlers_are_mapped_too():
    state = state_in_tree(ProbeState)
    updates = await run_handler(state, "stream", "refused")
    assert state.done and updates == [None]
    assert state.error.startswith("This appointment has a finalized session note")


@pytest.mark.asyncio
async def test_no_session_redirects_to_signin_with_the_current_path(app_env):
    state = state_in_tree(ProbeState, path="/clients/new", cookie="")
    redirect = await run_handler(state, "needs_actor")
    assert "/signin?next=/clients/new" in str(redirect)
    assert not state.done


@pytest.mark.asyncio
async def test_a_stale_cookie_redirects_from_every_data_page(app_env):
    """The handlers that used to do nothing when the session was gone now go to sign-in."""
    from pazpaz.state.files import FilesState
    from pazpaz.state.plan import PlanState, TimelineState

    cookie = f"{get_settings().session_cookie_name}=revoked-or-made-up"
    path = "/clients/00000000-0000-0000-0000-000000000001"
    for cls, name, args in ((PlanState, "load", ()), (TimelineState, "load", ()), (FilesState, "remove", ("x",)),
                            (FilesState, "open_file", ("x",)), (PlanState, "set_status", ("x", "achieved"))):
        redirect = await run_handler(state_in_tree(cls, path=path, cookie=cookie), name, *args)
        assert f"/signin?next={path}" in str(redirect), (cls.__name__, name)


# ---- the calendar: errors become messages ----------------------------------------------

@pytest.mark.asyncio
async def test_calendar_dates_set_service_error_is_a_message_not_an_exception(app_env, smtp_sink):
    cookie = signed_in_cookie(smtp_sink, "calendar-handler@example.com")
    state = state_in_tree(CalendarState, cookie=cookie)
    await run_handler(state, "load")
    assert state.error == "" and state.signed_in
    # 151 days: the schedule service refuses more than 84 (a ValidationFailed from the service).
    assert await run_handler(state, "dates_set", "2026-01-05", "2026-06-05", "dayGridMonth") is None
    assert state.error == "Show between 1 and 84 days."
    # Garbage from the browser: an unexpected error, still only a message.
    assert await run_handler(state, "dates_set", "not-a-date", "2026-06-05", "dayGridMonth") is None
    assert state.error == FAILED
    # A week works again and clears nothing it should not.
    assert await run_handler(state, "dates_set", "2026-01-05", "2026-01-12", "timeGridWeek") is None
    assert state._range_days == 7


@pytest.mark.asyncio
async def test_a_week_move_changes_only_what_the_calendar_shows(app_env, smtp_sink):
    """A week move inside the loaded window sends CalendarShownState's counter and range, and
    nothing of CalendarState: its public vars are bound to ~60 parts of the page, which a change
    re-renders (docs/ARCHITECTURE.md "Calendar time")."""
    from pazpaz.state.calendar import CalendarShownState

    cookie = signed_in_cookie(smtp_sink, "calendar-delta@example.com")
    state = state_in_tree(CalendarState, cookie=cookie)
    root = state.parent_state.parent_state
    await run_handler(state, "load")
    await run_handler(state, "dates_set", "2026-01-05", "2026-01-12", "timeGridWeek")
    root._clean()
    await run_handler(state, "dates_set", "2026-01-12", "2026-01-19", "timeGridWeek")  # same 4-week block
    delta = root.get_delta()
    shown = CalendarShownState.get_full_name()
    assert delta[shown]["range_start" + FIELD_MARKER] == "2026-01-12"
    assert set(delta) == {shown}, delta.keys()


@pytest.mark.asyncio
async def test_a_reconnect_keeps_the_shown_week_and_leaving_the_page_forgets_it(app_env, smtp_sink):
    """load() runs again when the websocket reconnects, with the calendar still on its week: the
    opening week is read only when the calendar opens (after `left`, sent when it unmounts)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from pazpaz.services import appointments, clients, clock
    from pazpaz.services.appointments import AppointmentInput
    from pazpaz.services.clients import ClientInput
    from pazpaz.state.calendar import WEEK_SLOTS, CalendarShownState, opening_week

    cookie = signed_in_cookie(smtp_sink, "calendar-reconnect@example.com")
    state = state_in_tree(CalendarState, cookie=cookie)
    shown = state.substates[CalendarShownState.get_name()]
    actor = await state._actor()
    [client_id] = clients.import_clients(actor, [ClientInput(first_name="Noa", last_name="Reconnect")])
    appointments.create_appointment(actor, AppointmentInput(str(client_id), "2026-03-04T09:00", "2026-03-04T10:00"))

    def drawn() -> list[str]:
        return [event["id"] for slot in range(WEEK_SLOTS) for event in getattr(shown, f"week_{slot}")]

    await run_handler(state, "load")
    opening = opening_week(clock.today(ZoneInfo(state.time_zone)), state.language)
    assert shown.range_start == opening.isoformat()
    await run_handler(state, "dates_set", "2026-03-02", "2026-03-09", "timeGridWeek")
    assert len(drawn()) == 1
    await run_handler(state, "load")  # a reconnect
    assert shown.range_start == "2026-03-02" and len(drawn()) == 1
    # A delayed dates_set that arrives from another page is not read.
    on_calendar = state.router
    state.router = state_in_tree(CalendarState, path="/clients", cookie=cookie).router
    await run_handler(state, "dates_set", "2026-04-06", "2026-04-13", "timeGridWeek")
    assert shown.range_start == "2026-03-02"
    state.router = on_calendar
    await run_handler(state, "left")  # the calendar unmounts
    assert shown.range_start == "" and drawn() == [] and shown._loaded() == []
    await run_handler(state, "load")
    assert shown.range_start == opening.isoformat()
    assert opening <= clock.today(ZoneInfo(state.time_zone)) < opening + timedelta(days=7)


@pytest.mark.asyncio
async def test_the_calendars_first_dates_set_after_load_reads_nothing_again(app_env, smtp_sink, monkeypatch):
    """Opening the page, load reads the opening week; the calendar asks for the same week a
    moment later (its debounced dates_set): answered from what load just read. Another week, or
    the same one once JUST_READ_SECONDS have passed, is read."""
    from datetime import UTC, date, datetime, timedelta

    from pazpaz.services import appointments, clock
    from pazpaz.state.calendar import JUST_READ_SECONDS, CalendarShownState, opening_week

    reads: list[tuple] = []
    schedule = appointments.schedule
    monkeypatch.setattr(appointments, "schedule", lambda *args: reads.append(args[1:]) or schedule(*args))
    state = state_in_tree(CalendarState, cookie=signed_in_cookie(smtp_sink, "calendar-first-read@example.com"))
    shown = state.substates[CalendarShownState.get_name()]
    with clock.frozen(datetime(2026, 12, 2, 10, 0, tzinfo=UTC)):  # a Wednesday: no week edge near
        await run_handler(state, "load")
    opening = opening_week(date(2026, 12, 2), state.language)
    week = (opening.isoformat(), (opening + timedelta(days=7)).isoformat(), "timeGridWeek")
    assert len(reads) == 1 and reads[0][0] < opening  # the window around the opening week
    versions = shown.nav_version
    await run_handler(state, "dates_set", *week)
    assert len(reads) == 1 and shown.nav_version == versions
    following = (opening + timedelta(days=7)).isoformat(), (opening + timedelta(days=14)).isoformat()
    await run_handler(state, "dates_set", *following, "timeGridWeek")
    assert reads[-1] == (opening + timedelta(days=7), 7)  # the visible week, merged into the window
    await run_handler(state, "dates_set", *week)  # back: that week was read at load, not just now
    assert reads[-1] == (opening, 7) and len(reads) == 3
    state._read_at -= JUST_READ_SECONDS  # the same week again, once the read is that old
    await run_handler(state, "dates_set", *week)
    assert len(reads) == 4 and shown.nav_version == versions + 3


def test_the_loaded_events_are_read_without_a_proxy_per_event():
    """The week move's merge reads the loaded events as plain dicts (a proxy per event was 5 %
    of a worker's CPU), and showing a window after that still sends what changed."""
    from datetime import date, timedelta

    from reflex.istate.proxy import MutableProxy

    from pazpaz.state.calendar import CalendarShownState

    shown = state_in_tree(CalendarShownState)
    root = shown.parent_state.parent_state.parent_state
    monday = date(2026, 1, 5)
    events = [{"id": f"{monday + timedelta(days=d)}", "start": f"{monday + timedelta(days=d)}T09:00:00",
               "end": f"{monday + timedelta(days=d)}T09:45:00"} for d in range(14)]
    shown._show(events)
    root._clean()
    loaded = shown._loaded()
    assert loaded == events
    assert not any(isinstance(item, MutableProxy) for item in [loaded, *loaded])
    assert root.get_delta() == {}  # reading marks nothing dirty
    shown._show(loaded[:7])  # the second week's events gone
    assert CalendarShownState.get_full_name() in root.get_delta()
    assert shown._loaded() == events[:7]


def test_a_new_window_sends_only_the_weeks_it_changes():
    """The events reach the browser by week slot (CalendarShownState.week_0...): a new window
    sends the slots of the weeks it brings in or drops, not the weeks both windows hold."""
    from datetime import date, timedelta

    from pazpaz.state.calendar import CalendarShownState, week_slots

    shown = state_in_tree(CalendarShownState)
    root = shown.parent_state.parent_state.parent_state

    def window(first: date, weeks: int) -> list[dict]:
        days = (first + timedelta(days=day) for day in range(7 * weeks))
        return [{"id": f"{day}", "start": f"{day}T09:00:00", "end": f"{day}T09:45:00"} for day in days]

    monday = date(2026, 1, 5)
    shown._show(window(monday, 8))
    root._clean()
    shown._show(window(monday + timedelta(weeks=4), 8))  # the next window: 4 weeks in common
    sent = {name.split("_rx_state_")[0] for name in root.get_delta()[CalendarShownState.get_full_name()]}
    both = {slot for slot, week in enumerate(week_slots(window(monday + timedelta(weeks=4), 4), "en")) if week}
    assert len(both) == 4 and not {f"week_{slot}" for slot in both} & sent  # the weeks both hold
    assert len(sent) == 8, sent  # 4 weeks dropped (sent empty) + 4 brought in
    assert sum(len(getattr(shown, name)) for name in sent) == 4 * 7  # the 4 new weeks' events


# ---- the event surface ----------------------------------------------------------------

def test_no_helper_is_an_event_handler():
    """Reflex makes every public method of a state an event the browser may call
    (BaseState._item_is_event_handler: any callable whose name has no leading underscore)."""
    for cls in all_states():
        allowed = set(cls.event_handlers)
        assert not allowed & HELPER_NAMES, (cls.__name__, allowed & HELPER_NAMES)


def test_every_event_handler_goes_through_the_helper():
    """A public method without @handler would be an event with no error mapping and no sign-in
    check: so every registered handler (except Reflex's own setvar) must carry the mark."""
    for cls in all_states():
        for name, event_handler in cls.event_handlers.items():
            if name == "setvar":
                continue
            assert is_handler(event_handler.fn), f"{cls.__name__}.{name} is an event without @handler"


def test_public_methods_in_state_modules_are_decorated_events():
    """The source itself: every public method of a state class is `@rx.event` + `@handler`."""
    for path in sorted(STATE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        states = (n for n in tree.body if isinstance(n, ast.ClassDef)
                  and any(ast.unparse(base).endswith("State") for base in n.bases))
        for cls in states:
            for fn in (n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
                if fn.name.startswith("_"):
                    continue
                decorators = {ast.unparse(d).split("(")[0] for d in fn.decorator_list}
                assert {"rx.event", "handler"} <= decorators or "rx.var" in decorators, \
                    f"{path.name}: {cls.name}.{fn.name}"


def test_states_open_no_transactions_and_import_nothing_from_the_api():
    for path in sorted(STATE_DIR.glob("*.py")):
        source = path.read_text()
        assert "system_session" not in source, path.name
        assert "pazpaz.api" not in source, path.name


@pytest.mark.asyncio
async def test_a_crafted_event_for_a_helper_is_refused_without_running_anything():
    from reflex_base.event import Event
    from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor

    failures: list[Exception] = []
    processor = BaseStateEventProcessor(backend_exception_handler=failures.append).configure()
    async with processor:
        for helper in ("actor", "_actor", "current_identity", "request_context"):
            await processor.enqueue("tab-token", Event(name=f"{SessionState.get_full_name()}.{helper}", payload={}))
        await processor._queue.join()
        ran = list(processor._tasks.values())
        await asyncio.gather(*ran, return_exceptions=True)
    assert ran == [] and failures == []


@pytest.mark.parametrize("value", [None, 7, 3.5, ["x"], {"id": "x"}, True, "", "not-a-uuid", "1" * 33])
def test_ids_from_the_page_of_any_odd_type_are_not_found(value):
    """Crafted websocket events can carry any JSON type where a page sends an id string."""
    from pazpaz.state.handler import page_id

    with pytest.raises(NotFound, match="That file was not found"):
        page_id(value, "That file was not found.")


def test_an_id_from_the_page_is_parsed():
    from pazpaz.state.handler import page_id

    value = uuid.uuid4()
    assert page_id(str(value), "missing") == value


def test_handlers_share_a_pool_with_room_for_slow_calls():
    """20 service calls blocked at once (say, photos waiting for a decode slot) must not take
    every thread `_call` uses: Python's default pool has cpus + 4 threads."""
    import threading

    from pazpaz.state.handler import WORKER_THREADS, use_worker_threads

    waiting = 20
    assert waiting < WORKER_THREADS
    barrier = threading.Barrier(waiting, timeout=10)

    async def main() -> None:
        await use_worker_threads()
        await asyncio.gather(*(asyncio.to_thread(barrier.wait) for _ in range(waiting)))

    asyncio.run(main())
    assert not barrier.broken


def test_websocket_request_context_uses_the_trusted_proxy_setting(monkeypatch):
    """The tab's audit/rate-limit address: the socket peer, or behind a trusted proxy the client it names."""
    from reflex.state import State as Root

    from tests.conftest import reset_caches

    def context_for(peer: str, forwarded: str) -> RequestContext:
        root = Root(_reflex_internal_init=True)
        root.router = RouterData.from_router_data({
            "pathname": "/signin", "asPath": "/signin", "ip": peer,
            "headers": {"user-agent": "pytest", "x-forwarded-for": forwarded},
        })
        return root.substates[SessionState.get_name()]._request_context()

    assert context_for("127.0.0.1", "198.51.100.7").ip == "127.0.0.1"  # nobody trusted by default
    monkeypatch.setenv("PAZPAZ_TRUSTED_PROXIES", "127.0.0.1")
    reset_caches()
    try:
        assert context_for("127.0.0.1", "6.6.6.6, 198.51.100.7").ip == "198.51.100.7"
        assert context_for("203.0.113.9", "198.51.100.7").ip == "203.0.113.9"
    finally:
        monkeypatch.delenv("PAZPAZ_TRUSTED_PROXIES")
        reset_caches()


def test_a_faded_notice_is_cleared_by_the_next_event_not_before(monkeypatch):
    # A notice kept in the tab's state would fade in again on every later page of the tab.
    state = state_in_tree(ProbeState)
    now = [1_000.0]
    monkeypatch.setattr("pazpaz.state.session.time.time", lambda: now[0])
    state._notify("Saved.")
    now[0] += 5.0
    state._expire_notice()
    assert state.notice == "Saved."  # still fading: a redirect after the notice still shows it
    now[0] += 1.5
    state._expire_notice()
    assert state.notice == ""


@pytest.mark.asyncio
async def test_a_refused_drop_is_said_in_the_readers_language_without_file_names():
    # Reflex's default for a refused drop is a toast, and the app has no toaster.
    from pazpaz.state.files import REFUSED_DROP, FilesState

    state = state_in_tree(FilesState, path="/clients/00000000-0000-0000-0000-000000000001")
    (await state.get_state(SessionState)).language = "he"
    type(state).event_handlers["drop_rejected"].fn(state, [{"file": {"name": "Dana Levi MRI.docx"}, "errors": []}])
    assert state.upload_error == i18n.gettext("he", REFUSED_DROP) != REFUSED_DROP
    assert "Dana" not in state.upload_error


# ---- which states an event loads ---------------------------------------------------------

def test_an_event_of_a_page_loads_only_its_own_states():
    """With Redis, every event loads (unpickles) the states Reflex says it may change. A computed
    var that reads a SessionState var makes its state one of them for every page's events: the
    backup codes' download (its title in the reader's language) did so for SecurityState."""
    from reflex.istate.manager.redis import StateManagerRedis

    from pazpaz.state.calendar import CalendarShownState
    from pazpaz.state.notes import NoteState

    required = StateManagerRedis.__new__(StateManagerRedis)._get_required_state_classes
    assert required(CalendarState, subclasses=True) == {State, SessionState, CalendarState, CalendarShownState}
    assert required(NoteState, subclasses=True) == {State, SessionState, NoteState}


def test_the_backup_codes_download_follows_the_codes_in_the_readers_language():
    from urllib.parse import unquote

    from pazpaz.state.security import SecurityState

    state = state_in_tree(SecurityState, "/settings/security")
    state.parent_state.language = "he"
    state.backup_codes = ["aaaa-1111", "bbbb-2222"]
    text = unquote(state.codes_download.removeprefix("data:text/plain;charset=utf-8,"))
    assert text.endswith("\n\naaaa-1111\nbbbb-2222\n") and "PazPaz backup codes" not in text
    state.backup_codes = []
    assert "aaaa-1111" not in unquote(state.codes_download)
