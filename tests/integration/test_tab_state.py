"""infra/tab_state.py against a real redis-server: a tab's lock taken by an event that is then
cancelled (Reflex cancels a superseded page load), while taking the lock or twice over while
giving it back, is given back at once, never left to expire; another event's lock is never
touched. The session binding every event checks comes with the event's own states (one read)."""

from __future__ import annotations

import asyncio
import logging

import pytest
import reflex as rx
from redis.asyncio import Redis
from reflex.istate.data import SessionData
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.redis import StateManagerRedis
from reflex_base.event.context import EventContext
from reflex_base.utils.exceptions import LockExpiredError

from pazpaz.infra.tab_state import TabStateManager, use_tab_state_manager
from pazpaz.state.binding import SessionBindingState

LOCK = b"tab-under-test_lock"


def _cancelled_after_set(base: type[StateManagerRedis]) -> type[StateManagerRedis]:
    """`base` whose lock SET reaches Redis, after which the event is cancelled before it reads
    the reply (what a superseded page-load event meets)."""

    class CancelledAfterSet(base):  # type: ignore[misc, valid-type]
        landed: asyncio.Event

        async def _try_get_lock(self, lock_key: bytes, lock_id: bytes) -> bool | None:
            got = await super()._try_get_lock(lock_key, lock_id)
            self.landed.set()
            await asyncio.Event().wait()  # the cancellation arrives here
            return got

    return CancelledAfterSet


async def _cancel_while_taking(base: type[StateManagerRedis], url: str) -> bytes | None:
    """Cancel an event that took the lock; return what the lock key holds afterwards."""
    redis = Redis.from_url(url)
    manager = _cancelled_after_set(base)(redis=redis, lock_expiration=30_000)
    manager.landed = asyncio.Event()
    taking = asyncio.create_task(manager._wait_lock(LOCK, b"superseded-load"))
    await asyncio.wait_for(manager.landed.wait(), 10)
    assert await redis.get(LOCK) == b"superseded-load"
    taking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await taking
    left = await redis.get(LOCK)
    await redis.delete(LOCK)
    await redis.aclose()
    return left


@pytest.fixture
def redis_url(redis_server):
    redis_server.client().flushall()
    return redis_server.url


@pytest.mark.asyncio
async def test_a_cancelled_event_gives_the_tabs_lock_back(redis_url):
    assert await _cancel_while_taking(TabStateManager, redis_url) is None


@pytest.mark.asyncio
async def test_reflexs_own_manager_leaves_the_lock_behind(redis_url):
    # Why the fix exists: Reflex's manager leaves the lock held until it expires (30 s), and
    # every later event of the tab waits that long. If this starts failing, Reflex fixed it.
    assert await _cancel_while_taking(StateManagerRedis, redis_url) == b"superseded-load"


@pytest.mark.asyncio
async def test_the_next_event_takes_the_lock_at_once_after_a_cancelled_one(redis_url):
    assert await _cancel_while_taking(TabStateManager, redis_url) is None
    redis = Redis.from_url(redis_url)
    manager = TabStateManager(redis=redis, lock_expiration=30_000)
    # The lock is free: the next event's first SET takes it (no wait for a release).
    assert await manager._try_get_lock(LOCK, b"next-event") is True
    await redis.delete(LOCK)
    await redis.aclose()


@pytest.mark.asyncio
async def test_a_cancelled_wait_leaves_another_events_lock_alone(redis_url):
    redis = Redis.from_url(redis_url)
    await redis.set(LOCK, b"running-event", px=30_000)
    manager = TabStateManager(redis=redis, lock_expiration=30_000)
    waiting = asyncio.create_task(manager._wait_lock(LOCK, b"waiting-event"))
    # Until the waiter has registered itself it may not have asked Redis yet.
    for _ in range(200):
        if manager._n_lock_waiters(LOCK):
            break
        await asyncio.sleep(0.01)
    assert manager._n_lock_waiters(LOCK) == 1
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await redis.get(LOCK) == b"running-event"
    await redis.delete(LOCK)
    await redis.aclose()


async def _wait_until_free(redis: Redis) -> bytes | None:
    """What the lock key holds once a shielded release had its chance to run (bounded)."""
    for _ in range(200):
        if await redis.get(LOCK) is None:
            return None
        await asyncio.sleep(0.01)
    return await redis.get(LOCK)


@pytest.mark.asyncio
async def test_an_event_cancelled_twice_still_gives_the_lock_back(redis_url):
    redis = Redis.from_url(redis_url)
    manager = TabStateManager(redis=redis, lock_expiration=30_000)
    token = rx.BaseStateToken(ident=LOCK.decode().removesuffix("_lock"), cls=rx.State)
    holding = asyncio.Event()

    async def event() -> None:
        async with manager._lock(token, event_name="superseded.load"):
            holding.set()
            await asyncio.Event().wait()  # the handler, cancelled with its chain

    running = asyncio.create_task(event())
    await asyncio.wait_for(holding.wait(), 10)
    assert (await redis.get(LOCK) or b"").startswith(b"superseded.load:")
    running.cancel()
    await asyncio.sleep(0)  # the first cancellation reaches the handler; the release starts
    running.cancel()        # and the chain's own cancellation arrives during it
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await _wait_until_free(redis) is None
    await redis.aclose()


@pytest.mark.asyncio
async def test_an_expired_lock_taken_by_another_event_is_left_to_it(redis_url, caplog):
    redis = Redis.from_url(redis_url)
    manager = TabStateManager(redis=redis, lock_expiration=30_000)
    token = rx.BaseStateToken(ident=LOCK.decode().removesuffix("_lock"), cls=rx.State)
    with caplog.at_level(logging.WARNING, logger="pazpaz.infra.tab_state"):
        async with manager._lock(token, event_name="slow.handler"):
            # Our lock expired meanwhile and another event (another process) took the tab.
            await redis.set(LOCK, b"other-process-event", px=30_000)
    assert await redis.get(LOCK) == b"other-process-event"
    assert "had expired before its event gave it back" in caplog.text
    assert LOCK.decode() not in caplog.text  # no tab token in the log
    await redis.delete(LOCK)
    await redis.aclose()


def test_only_reflexs_redis_manager_is_swapped(redis_url):
    redis = Redis.from_url(redis_url)
    assert type(use_tab_state_manager(StateManagerRedis(redis=redis))) is TabStateManager
    memory = StateManagerMemory()
    assert use_tab_state_manager(memory) is memory
    assert type(memory) is StateManagerMemory


class CountingRedis(Redis):
    """A client that counts the commands it sends (MGET is how Reflex reads a tab's states)."""

    sent: list[str]

    async def execute_command(self, *args, **options):
        if str(args[0]) in ("GET", "MGET"):  # the reads (not Reflex's own set-up commands)
            self.sent.append(str(args[0]))
        return await super().execute_command(*args, **options)


@pytest.mark.asyncio
async def test_a_pages_event_reads_the_session_binding_in_its_one_read(redis_url):
    import pazpaz.pazpaz  # noqa: F401  (every state registered)
    from pazpaz.state.calendar import CalendarState

    redis = CountingRedis.from_url(redis_url)
    redis.sent = []
    manager = use_tab_state_manager(StateManagerRedis(redis=redis), always_loaded=(SessionBindingState,))
    root = await manager.get_state(rx.BaseStateToken(ident="tab-1", cls=CalendarState))
    assert redis.sent == ["MGET"]
    # What binding.enforce does first; with Reflex's own manager this is a second read (or, here
    # outside an event, a LookupError for the missing event context).
    binding = await root.get_state(SessionBindingState)
    assert redis.sent == ["MGET"] and isinstance(binding, SessionBindingState)
    await redis.aclose()


def test_the_app_runs_on_the_fixed_manager_with_redis(redis_url, monkeypatch):
    import reflex.app
    from reflex_base.registry import RegistrationContext

    from pazpaz.api.app import PazPazApp

    # What StateManager.create() returns when REDIS_URL is set (rxconfig.py picks "redis").
    monkeypatch.setattr(reflex.app.StateManager, "create",
                        classmethod(lambda cls: StateManagerRedis(redis=Redis.from_url(redis_url))))
    registration = RegistrationContext.set(RegistrationContext.get().fork())
    try:
        app = PazPazApp()
        app._enable_state()
        assert type(app.state_manager) is TabStateManager
        assert app.state_manager.always_loaded == (SessionBindingState,)
    finally:
        RegistrationContext.reset(registration)


def test_only_direct_substates_of_the_root_can_be_always_loaded(redis_url):
    from pazpaz.state.calendar import CalendarState

    with pytest.raises(ValueError, match="CalendarState"):
        use_tab_state_manager(StateManagerRedis(redis=Redis.from_url(redis_url)), always_loaded=(CalendarState,))



class CommandLog(Redis):
    """A client that records the data commands it sends (not Reflex's set-up: CONFIG SET)."""

    sent: list[str]

    async def execute_command(self, *args, **options):
        if str(args[0]) in ("EVAL", "EVALSHA", "GET", "MGET", "SET", "GETDEL", "DEL"):
            self.sent.append(str(args[0]))
        return await super().execute_command(*args, **options)


def _event_manager(url: str) -> tuple[TabStateManager, CommandLog]:
    import pazpaz.pazpaz  # noqa: F401  (every state registered)

    redis = CommandLog.from_url(url)
    redis.sent = []
    manager = use_tab_state_manager(StateManagerRedis(redis=redis, lock_expiration=30_000),
                                    always_loaded=(SessionBindingState,))
    return manager, redis


def _calendar_token(tab: str):
    from pazpaz.state.calendar import CalendarState

    return rx.BaseStateToken(ident=tab, cls=CalendarState), CalendarState


async def _jump_date(manager: TabStateManager, token) -> str:
    async with manager.modify_state(token) as root:
        return (await root.get_state(token.cls)).jump_date


@pytest.mark.asyncio
async def test_an_event_takes_reads_saves_and_gives_back_in_two_commands(redis_url):
    manager, redis = _event_manager(redis_url)
    token, calendar_state = _calendar_token("tab-2")
    lock = manager._lock_key(token)
    async with manager.modify_state(token) as root:
        (await root.get_state(calendar_state)).jump_date = "2026-12-02"
        held = await redis.get(lock)
    assert held is not None  # the lock was the event's while its handler ran
    # Reflex's own manager sends four: SET NX, MGET, the fenced save, GETDEL (GET: this test's).
    assert redis.sent == ["EVAL", "GET", "EVAL"]
    assert await redis.get(lock) is None
    redis.sent.clear()
    assert await _jump_date(manager, token) == "2026-12-02"  # saved, and read back
    assert redis.sent == ["EVAL", "EVAL"]
    await redis.aclose()


@pytest.mark.asyncio
async def test_an_event_waits_while_another_process_holds_the_tab(redis_url):
    manager, redis = _event_manager(redis_url)
    token, _ = _calendar_token("tab-3")
    lock = manager._lock_key(token)
    await redis.set(lock, b"other-process-event", px=30_000)
    waiting = asyncio.create_task(_jump_date(manager, token))
    await asyncio.sleep(0.3)
    assert not waiting.done() and await redis.get(lock) == b"other-process-event"
    await redis.delete(lock)  # the other process gives it back (Redis tells the waiter)
    assert await asyncio.wait_for(waiting, 10) == ""
    assert await redis.get(lock) is None
    await redis.aclose()


@pytest.mark.asyncio
async def test_a_failed_handler_writes_nothing_and_gives_the_tab_back(redis_url):
    manager, redis = _event_manager(redis_url)
    token, calendar_state = _calendar_token("tab-4")
    with pytest.raises(ZeroDivisionError):
        async with manager.modify_state(token) as root:
            (await root.get_state(calendar_state)).jump_date = "2026-12-03"
            raise ZeroDivisionError
    assert await _wait_until_free_key(redis, manager._lock_key(token)) is None
    assert await _jump_date(manager, token) == ""  # nothing of the failed event was saved
    await redis.aclose()


@pytest.mark.asyncio
async def test_a_save_after_the_lock_passed_to_another_event_is_refused_whole(redis_url):
    manager, redis = _event_manager(redis_url)
    token, calendar_state = _calendar_token("tab-5")
    lock = manager._lock_key(token)
    with pytest.raises(LockExpiredError):
        async with manager.modify_state(token) as root:
            (await root.get_state(calendar_state)).jump_date = "2026-12-04"
            await redis.set(lock, b"other-process-event", px=30_000)  # ours expired; taken
    assert await redis.get(lock) == b"other-process-event"  # left to its owner
    await redis.delete(lock)
    assert await _jump_date(manager, token) == ""  # and nothing written
    await redis.aclose()


@pytest.mark.asyncio
async def test_an_event_cancelled_while_taking_and_reading_gives_the_tab_back(redis_url):
    manager, redis = _event_manager(redis_url)
    token, _ = _calendar_token("tab-6")
    landed = asyncio.Event()
    script = manager._eval

    async def cancelled_after_landing(*args):
        reply = await script(*args)  # the lock is set in Redis
        landed.set()
        await asyncio.Event().wait()  # the cancellation arrives before the reply is used
        return reply

    manager._eval = cancelled_after_landing  # type: ignore[method-assign]
    running = asyncio.create_task(_jump_date(manager, token))
    await asyncio.wait_for(landed.wait(), 10)
    assert await redis.get(manager._lock_key(token)) is not None
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await _wait_until_free_key(redis, manager._lock_key(token)) is None
    await redis.aclose()


async def _wait_until_free_key(redis: Redis, key: bytes) -> bytes | None:
    for _ in range(200):
        if await redis.get(key) is None:
            return None
        await asyncio.sleep(0.01)
    return await redis.get(key)


def _on_demand_manager(url: str) -> tuple[TabStateManager, CommandLog]:
    import pazpaz.pazpaz  # noqa: F401  (every state registered)
    from pazpaz.state.calendar import shown_on_demand

    redis = CommandLog.from_url(url)
    redis.sent = []
    manager = use_tab_state_manager(StateManagerRedis(redis=redis, lock_expiration=30_000),
                                    always_loaded=(SessionBindingState,), on_demand=shown_on_demand())
    return manager, redis


def _calendar_event(handler: str):
    from reflex_base.event import Event

    from pazpaz.state.calendar import CalendarState

    return Event(name=f"{CalendarState.get_full_name()}.{handler}")


@pytest.mark.asyncio
async def test_the_calendars_window_is_read_only_by_the_handlers_that_use_it(redis_url):
    from pazpaz.state.calendar import CalendarShownState

    manager, redis = _on_demand_manager(redis_url)
    token, calendar_state = _calendar_token("tab-7")
    shown_name = CalendarShownState.get_name()
    async with manager.modify_state(token, event=_calendar_event("dates_set")) as root:
        calendar = await root.get_state(calendar_state)
        assert shown_name in calendar.substates  # read with the event's states
        (await root.get_state(CalendarShownState)).range_start = "2026-11-30"
    assert redis.sent == ["EVAL", "EVAL"]
    redis.sent.clear()
    async with manager.modify_state(token, event=_calendar_event("new_at")) as root:
        calendar = await root.get_state(calendar_state)
        assert shown_name not in calendar.substates  # left in Redis
        calendar.jump_date = "2026-12-09"
    assert redis.sent == ["EVAL", "EVAL"]
    redis.sent.clear()
    # A handler not named that asks for it anyway gets it (one more read), and its change is saved.
    context = EventContext(token="tab-7", state_manager=manager, enqueue_impl=None)  # type: ignore[arg-type]
    async with manager.modify_state(token, event=_calendar_event("open_event")) as root:
        # What Reflex sets before a handler: the tab's token (its get_state reads by it) and
        # the event's context.
        root.rx_router_session = SessionData(client_token="tab-7")
        with context:
            shown = await root.get_state(CalendarShownState)
        assert shown.range_start == "2026-11-30"
        shown.range_start = "2026-12-07"
    assert redis.sent == ["EVAL", "MGET", "EVAL"]
    async with manager.modify_state(token, event=_calendar_event("dates_set")) as root:
        assert (await root.get_state(CalendarShownState)).range_start == "2026-12-07"
        assert (await root.get_state(calendar_state)).jump_date == "2026-12-09"
    await redis.aclose()


def test_only_a_leaf_state_with_a_parent_can_be_read_on_demand(redis_url):
    import pazpaz.pazpaz  # noqa: F401
    from pazpaz.state.session import SessionState

    with pytest.raises(ValueError, match="SessionState"):
        use_tab_state_manager(StateManagerRedis(redis=Redis.from_url(redis_url)), on_demand={SessionState: frozenset()})


def test_a_state_with_computed_vars_is_never_read_on_demand(redis_url):
    import pazpaz.pazpaz  # noqa: F401
    from pazpaz.state.security import SecurityState

    with pytest.raises(ValueError, match="SecurityState"):
        use_tab_state_manager(StateManagerRedis(redis=Redis.from_url(redis_url)),
                              on_demand={SecurityState: frozenset()})


def _twice(manager: TabStateManager, script_marker: str):
    """manager._eval running the script whose text holds `script_marker` twice and answering
    with the second run: what redis-py's retry does when the first reply was lost."""
    real = manager._eval

    async def retried(script, keys, args):
        if script_marker in script:
            await real(script, keys, args)
        return await real(script, keys, args)

    return retried


@pytest.mark.asyncio
async def test_a_save_retried_after_its_reply_was_lost_is_not_reported_lost(redis_url):
    manager, redis = _event_manager(redis_url)
    token, calendar_state = _calendar_token("tab-8")
    manager._eval = _twice(manager, "PTTL")  # type: ignore[method-assign]
    async with manager.modify_state(token) as root:
        (await root.get_state(calendar_state)).jump_date = "2026-12-10"
    assert await redis.get(manager._lock_key(token)) is None
    manager._eval = TabStateManager._eval.__get__(manager)  # type: ignore[method-assign]
    assert await _jump_date(manager, token) == "2026-12-10"
    await redis.aclose()


@pytest.mark.asyncio
async def test_a_take_retried_after_its_reply_was_lost_still_has_the_lock(redis_url):
    manager, redis = _event_manager(redis_url)
    token, _ = _calendar_token("tab-9")
    manager._eval = _twice(manager, "'NX'")  # type: ignore[method-assign]
    # Without the fix the second try finds the lock set (by the first) and waits for its expiry.
    assert await asyncio.wait_for(_jump_date(manager, token), 5) == ""
    assert await redis.get(manager._lock_key(token)) is None
    await redis.aclose()


@pytest.mark.asyncio
async def test_a_lock_expiry_raised_inside_the_handler_still_gives_the_tab_back(redis_url):
    manager, redis = _event_manager(redis_url)
    token, _ = _calendar_token("tab-10")
    with pytest.raises(LockExpiredError):
        async with manager.modify_state(token):
            raise LockExpiredError("from a nested state's save")
    assert await _wait_until_free_key(redis, manager._lock_key(token)) is None
    await redis.aclose()


@pytest.mark.asyncio
async def test_two_events_of_one_tab_in_one_process_lose_neither_change(redis_url):
    from pazpaz.state.session import SessionState

    manager, redis = _event_manager(redis_url)
    token, calendar_state = _calendar_token("tab-11")
    first_holds, release_first = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with manager.modify_state(token) as root:
            (await root.get_state(calendar_state)).jump_date = "2026-12-11"
            first_holds.set()
            await release_first.wait()

    async def second() -> None:
        async with manager.modify_state(token) as root:
            (await root.get_state(SessionState)).language = "he"

    running = asyncio.create_task(first())
    await asyncio.wait_for(first_holds.wait(), 10)
    waiting = asyncio.create_task(second())
    await asyncio.sleep(0.2)
    assert not waiting.done()  # the tab is the first event's
    release_first.set()
    await asyncio.wait_for(asyncio.gather(running, waiting), 10)
    async with manager.modify_state(token) as root:
        assert (await root.get_state(calendar_state)).jump_date == "2026-12-11"
        assert (await root.get_state(SessionState)).language == "he"
    await redis.aclose()


@pytest.mark.asyncio
async def test_a_reset_reaches_the_calendars_window_when_the_event_left_it_in_redis(redis_url):
    from pazpaz.state.binding import reset_whole_tree
    from pazpaz.state.calendar import CalendarShownState

    manager, redis = _on_demand_manager(redis_url)
    token, _ = _calendar_token("tab-12")
    async with manager.modify_state(token, event=_calendar_event("dates_set")) as root:
        shown = await root.get_state(CalendarShownState)
        shown.range_start, shown.week_0 = "2026-11-30", [{"id": "a", "title": "Dana Levi"}]
    # A sign-out seen by an event that did not read the window (binding.enforce resets the tab).
    async with manager.modify_state(token, event=_calendar_event("new_at")) as root:
        root.rx_router_session = SessionData(client_token="tab-12")
        with EventContext(token="tab-12", state_manager=manager, enqueue_impl=None):  # type: ignore[arg-type]
            await reset_whole_tree(root)
    async with manager.modify_state(token, event=_calendar_event("dates_set")) as root:
        shown = await root.get_state(CalendarShownState)
        assert (shown.range_start, shown.week_0) == ("", [])
    await redis.aclose()
