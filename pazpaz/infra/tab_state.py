"""Reflex's Redis state manager, with a tab lock that a cancelled event gives back, the states
every event needs read with the event's own, and two Redis commands per event instead of four
(docs/ARCHITECTURE.md "Several processes (Redis)").

Two commands per event: Reflex takes a tab's lock (SET NX), reads the event's states (MGET),
saves them only while the lock is still the event's (a script) and gives the lock back (GETDEL):
four round trips, and redis-py's command machinery was 17 % of a worker's CPU at 200 users.
Here the lock and the read are one script (when nobody in this process is queued for the tab),
and the fenced save and the release another.

States every event needs: the session binding check before each event
(`state/binding.py`) reads the tab's `SessionBindingState`, which is not among the states Reflex
loads for a page's event (the handler's state, its substates, parents and dependants), so it
cost a second Redis round trip and a second lock-held wait on every event (4 % of a worker's CPU
at 200 users). `always_loaded` states join the event's one MGET.

Reflex cancels a tab's unfinished page-load chain when the tab loads a page again (a second
click on a link, a quick move from a note to the calendar), sometimes twice over (the chain's
parent and the event itself). Its lock handling then left the tab's lock set in Redis with
nobody to release it, in two ways: an event cancelled while taking the lock (the SET reached
Redis, the cancellation came before the reply), and an event cancelled again while giving the
lock back (its GETDEL never sent). Every later event of that tab waited for the lock to expire
(30 s; `redis_lock_expiration` in rxconfig.py). Here both are closed: a lock wait that ends in
an exception, and every release, delete the lock when it still holds that event's id (one
compare-and-delete script in Redis, shielded from a further cancellation; another event's lock
is never touched, where Reflex's GETDEL deleted whatever lock it found).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

from reflex.istate.manager import StateModificationContext
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken, StateToken
from reflex.state import BaseState
from reflex_base.utils.exceptions import LockExpiredError, StateSchemaMismatchError
from typing_extensions import Unpack

log = logging.getLogger(__name__)

# GET and DEL as one step: the key is deleted only while it still holds this event's lock id.
_RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

# Take the tab's lock and, if taken, read the event's states: nil when another event holds it.
# The lock already holding this event's id is taken too: redis-py retries a command whose reply
# was lost (a dropped connection), and the first try may have set it.
_TAKE_AND_READ = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return false
end
if #KEYS == 1 then
    return {}
end
return redis.call('MGET', unpack(KEYS, 2))
"""

# Reflex's fenced save (nothing written unless the lock is still this event's), then the lock
# given back; the lock's remaining ms, or nil when it was no longer this event's.
_SAVE_AND_GIVE_BACK = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return false
end
for i = 2, #KEYS do
    redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[2])
end
local left = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
return left
"""


class TabStateManager(StateManagerRedis):
    """StateManagerRedis whose lock is given back by an event however it ends, and which reads
    the `always_loaded` states with every event's states."""

    # Set by use_tab_state_manager; class attributes, so the dataclass fields stay Reflex's.
    always_loaded: tuple[type[BaseState], ...] = ()
    # Substates that an event of their parent state reads only when its handler is named here
    # ("<parent's full name>.<handler>"); a handler not named that asks for one anyway gets it
    # with a read of its own (Reflex's get_state): the names only save that round trip.
    on_demand: dict[type[BaseState], frozenset[str]] = {}

    def _get_required_state_classes(
        self,
        target_state_cls: type[BaseState],
        subclasses: bool = False,
        required_state_classes: set[type[BaseState]] | None = None,
    ) -> set[type[BaseState]]:
        required = super()._get_required_state_classes(target_state_cls, subclasses, required_state_classes)
        # Each is a direct substate of the root (use_tab_state_manager checks), which every
        # event reads: its parent is there.
        required.update(self.always_loaded)
        return required

    @contextlib.asynccontextmanager
    async def _try_modify_state(
        self, token: StateToken[Any], **context: Unpack[StateModificationContext]
    ) -> AsyncIterator[Any]:
        """Reflex's lock, read, fenced save and release, in two commands (see the module's
        docstring); the opportunistic lock (off in PazPaz) and other tokens go Reflex's way."""
        if self._oplock_enabled or not isinstance(token, BaseStateToken):
            async with super()._try_modify_state(token, **context) as state:
                yield state
            return
        event = context.get("event")
        event_name = event.name if event is not None else None
        lock_key = self._lock_key(token)
        lock_id = (f"{event_name}:{uuid.uuid4().hex}" if event_name else uuid.uuid4().hex).encode()
        state = await self._take_and_read(token, lock_key, lock_id, event_name)
        settled = False
        try:
            yield state
            try:
                await self._save_and_give_back(token, state, lock_key, lock_id)
            except LockExpiredError:
                settled = True  # another event owns the key now: leave it
                raise
            settled = True
        finally:
            if not settled:  # the handler failed or was cancelled: nothing saved, lock back
                await self._give_back(lock_key, lock_id)

    def _event_classes(self, state_cls: type[BaseState], event_name: str | None) -> list[type[BaseState]]:
        """The states an event reads, parents first: Reflex's set for its state, less the
        on-demand substates its handler is not named for. Kept per (state, on-demand states
        wanted), never per event name (a client names the event)."""
        skipped = frozenset(state for state, handlers in self.on_demand.items()
                            if state.get_parent_state() is state_cls and event_name not in handlers)
        known: dict[tuple, list[type[BaseState]]] = self.__dict__.setdefault("_classes_by_event", {})
        classes = known.get((state_cls, skipped))
        if classes is None:
            required = self._get_required_state_classes(state_cls, subclasses=True) - skipped
            classes = known[(state_cls, skipped)] = sorted(required, key=lambda cls: cls.get_full_name())
        return classes

    async def _take_and_read(self, token: BaseStateToken, lock_key: bytes, lock_id: bytes,
                             event_name: str | None) -> BaseState:
        """The tab's root state, with the lock taken: in one script when nobody here waits for
        this tab (a queue is served in order: then Reflex's wait, and its read)."""
        classes = self._event_classes(token.cls, event_name)
        blobs = None
        if not self._n_lock_waiters(lock_key):
            try:
                blobs = await self._eval(_TAKE_AND_READ, [lock_key, *(token._state_key(cls) for cls in classes)],
                                         [lock_id, self.lock_expiration])
            except BaseException:
                await self._give_back(lock_key, lock_id)  # the SET may have landed before the failure
                raise
        if blobs is None:
            await self._wait_lock(lock_key, lock_id)  # gives the lock back itself if it fails
        try:
            if blobs is None:
                blobs = await self.redis.mget([token._state_key(cls) for cls in classes])
            return _tree(token, classes, blobs)
        except BaseException:
            await self._give_back(lock_key, lock_id)
            raise

    async def _save_and_give_back(self, token: BaseStateToken, state: BaseState, lock_key: bytes,
                                  lock_id: bytes) -> None:
        writes = self._collect_state_writes(token, state)
        try:
            left = await self._eval(_SAVE_AND_GIVE_BACK, [lock_key, *(key for key, _ in writes)],
                                    [lock_id, self.token_expiration, *(blob for _, blob in writes)])
        finally:
            self._notify_next_waiter(lock_key)
        if left is None and not await self._landed(writes):
            # Reflex names the token here; a tab token is a credential for its state (no log).
            raise LockExpiredError("A tab's lock expired before its event saved; nothing was written.")
        if left is None:
            log.warning("a tab's lock had expired before its event gave it back")
            return
        held = (self.lock_expiration - int(left)) / 1000
        if held > self.lock_warning_threshold / 1000:
            log.warning("an event held its tab's lock %.1f s (a long handler should run in the background)", held)

    async def _landed(self, writes: list[tuple[str, bytes]]) -> bool:
        """Whether the tab's keys hold what this event wrote, after the save script found the
        lock gone: redis-py retries a command whose reply was lost, and the first try may have
        saved and given the lock back (then nothing is lost; an event that wrote nothing lost
        nothing either). Only on that failure path: one read."""
        if not writes:
            return True
        stored = await self.redis.mget([key for key, _ in writes])
        return all(held == blob for held, (_, blob) in zip(stored, writes, strict=True))

    def _eval(self, script: str, keys: list[bytes], args: list[Any]) -> Awaitable[Any]:
        # redis-py types EVAL's arguments as str; keys and payloads are bytes here.
        run = cast("Callable[..., Awaitable[Any]]", self.redis.eval)
        return run(script, len(keys), *keys, *args)

    async def _wait_lock(self, lock_key: bytes, lock_id: bytes) -> None:
        try:
            await super()._wait_lock(lock_key, lock_id)
        except BaseException:
            # The SET may have landed before the cancellation reached this wait.
            await self._give_back(lock_key, lock_id)
            raise

    @contextlib.asynccontextmanager
    async def _lock(self, token: StateToken[Any], event_name: str | None = None) -> AsyncIterator[bytes]:
        """Reflex's `_lock` (same lock id format and waits), with the release of `_give_back`."""
        lock_key = self._lock_key(token)
        lock_id = (f"{event_name}:{uuid.uuid4().hex}" if event_name else uuid.uuid4().hex).encode()
        await self._wait_lock(lock_key, lock_id)
        held, finished = True, False
        try:
            yield lock_id
            finished = True
        except LockExpiredError:
            held = False  # another event owns the key now: leave it
            raise
        finally:
            if held:
                await self._give_back(lock_key, lock_id, expect_ours=finished)

    async def _give_back(self, lock_key: bytes, lock_id: bytes, expect_ours: bool = False) -> None:
        # Shielded: a second cancellation (Reflex cancels a chain and its events) must not stop
        # the release half-way; this coroutine then ends at once and the release still runs. The
        # loop keeps only weak references to tasks: _RELEASES holds it until it is done.
        release = asyncio.ensure_future(self._release_if_ours(lock_key, lock_id, expect_ours))
        _RELEASES.add(release)
        release.add_done_callback(_RELEASES.discard)
        await asyncio.shield(release)

    async def _release_if_ours(self, lock_key: bytes, lock_id: bytes, expect_ours: bool) -> None:
        try:
            released = await self.redis.eval(_RELEASE_IF_OURS, 1, lock_key, lock_id)
        except Exception as failure:  # Redis gone: the lock's own expiry still ends it
            log.warning("could not give back a tab lock (%s)", type(failure).__name__)
            return
        finally:
            # A local waiter registered after Redis's "del" notification went out.
            self._notify_next_waiter(lock_key)
        if expect_ours and not released:
            # Reflex warned here too: an event outlived its lock (no token or state named).
            log.warning("a tab's lock had expired before its event gave it back")


_RELEASES: set[asyncio.Future] = set()


def _tree(token: BaseStateToken, classes: list[type[BaseState]], blobs: list[bytes | None]) -> BaseState:
    """The tab's state tree from its stored states, as Reflex's `get_state` builds it (classes
    sorted by full name, so a parent comes before its substates; a missing or outdated state
    starts fresh)."""
    flat: dict[str, BaseState] = {}
    for cls, blob in zip(classes, blobs, strict=True):
        state = None
        if blob is not None:
            with contextlib.suppress(StateSchemaMismatchError):
                state = BaseState._deserialize(data=blob)
        if state is None:
            state = cls(init_substates=False, _reflex_internal_init=True)
        name = state.get_full_name()
        flat[name] = state
        if state.get_parent_state() is not None:
            parent_name, _, short = name.rpartition(".")
            parent = flat.get(parent_name)
            if parent is None:
                raise RuntimeError(f"{name} was read without its parent state")
            parent.substates[short] = state
            state.parent_state = parent
    return flat[token.cls.get_root_state().get_full_name()]


def _every_state(state: type[BaseState]) -> list[type[BaseState]]:
    found, pending = [], [state.get_root_state()]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.get_substates())
    return found


def use_tab_state_manager(manager: object, always_loaded: tuple[type[BaseState], ...] = (),
                          on_demand: dict[type[BaseState], frozenset[str]] | None = None) -> object:
    """The app's state manager, with these fixes when it is Reflex's Redis manager (the in-memory
    manager's asyncio lock is released by a cancellation already, and it holds every state)."""
    for state in on_demand or {}:
        # Left out of a tree, a state's own substates would have no parent there, and a computed
        # var of it (or of a state depending on it) could not be marked when its inputs change.
        if (state.get_parent_state() is None or state.get_substates() or state.computed_vars
                or any(state in other._get_potentially_dirty_states() for other in _every_state(state))):
            raise ValueError(f"{state.__name__} needs a parent state, no substates and no computed vars "
                             "(its own or depending on it) to be read on demand")
    for state in always_loaded:
        # Read without its parents: only a direct substate of the root (which every event
        # reads) can be added to an event's states as it is.
        parent = state.get_parent_state()
        if parent is None or parent.get_parent_state() is not None:
            raise ValueError(f"{state.__name__} is not a direct substate of the root state")
    if type(manager) is StateManagerRedis:
        manager.__class__ = TabStateManager  # the same dataclass fields: nothing to copy
        manager.always_loaded = always_loaded  # type: ignore[attr-defined]
        manager.on_demand = dict(on_demand or {})  # type: ignore[attr-defined]
    return manager
