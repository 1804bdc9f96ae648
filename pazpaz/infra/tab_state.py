"""Reflex's Redis state manager, with a tab lock that a cancelled event gives back, and the
states every event needs read with the event's own (docs/ARCHITECTURE.md "Several processes
(Redis)").

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
from collections.abc import AsyncIterator
from typing import Any

from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import StateToken
from reflex.state import BaseState
from reflex_base.utils.exceptions import LockExpiredError

log = logging.getLogger(__name__)

# GET and DEL as one step: the key is deleted only while it still holds this event's lock id.
_RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class TabStateManager(StateManagerRedis):
    """StateManagerRedis whose lock is given back by an event however it ends, and which reads
    the `always_loaded` states with every event's states."""

    # Set by use_tab_state_manager; a class attribute, so the dataclass fields stay Reflex's.
    always_loaded: tuple[type[BaseState], ...] = ()

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


def use_tab_state_manager(manager: object, always_loaded: tuple[type[BaseState], ...] = ()) -> object:
    """The app's state manager, with these fixes when it is Reflex's Redis manager (the in-memory
    manager's asyncio lock is released by a cancellation already, and it holds every state)."""
    for state in always_loaded:
        # Read without its parents: only a direct substate of the root (which every event
        # reads) can be added to an event's states as it is.
        parent = state.get_parent_state()
        if parent is None or parent.get_parent_state() is not None:
            raise ValueError(f"{state.__name__} is not a direct substate of the root state")
    if type(manager) is StateManagerRedis:
        manager.__class__ = TabStateManager  # the same dataclass fields: nothing to copy
        manager.always_loaded = always_loaded  # type: ignore[attr-defined]
    return manager
