"""Reflex's Redis state manager, with a tab lock that a cancelled event gives back
(docs/ARCHITECTURE.md "Several processes (Redis)").

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
from reflex_base.utils.exceptions import LockExpiredError

log = logging.getLogger(__name__)

# GET and DEL as one step: the key is deleted only while it still holds this event's lock id.
_RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class TabLockStateManager(StateManagerRedis):
    """StateManagerRedis whose lock is given back by an event however it ends."""

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
        held = True
        try:
            yield lock_id
        except LockExpiredError:
            held = False  # another event owns the key now: leave it
            raise
        finally:
            if held:
                await self._give_back(lock_key, lock_id)

    async def _give_back(self, lock_key: bytes, lock_id: bytes) -> None:
        # Shielded: a second cancellation (Reflex cancels a chain and its events) must not stop
        # the release half-way; this coroutine then ends at once and the release still runs.
        await asyncio.shield(self._release_if_ours(lock_key, lock_id))

    async def _release_if_ours(self, lock_key: bytes, lock_id: bytes) -> None:
        try:
            await self.redis.eval(_RELEASE_IF_OURS, 1, lock_key, lock_id)
        except Exception as failure:  # Redis gone: the lock's own expiry still ends it
            log.warning("could not give back a tab lock (%s)", type(failure).__name__)
        finally:
            # A local waiter registered after Redis's "del" notification went out.
            self._notify_next_waiter(lock_key)


def use_tab_lock_manager(manager: object) -> object:
    """The app's state manager, with the lock fix when it is Reflex's Redis manager (the
    in-memory manager's asyncio lock is released by a cancellation already)."""
    if type(manager) is StateManagerRedis:
        manager.__class__ = TabLockStateManager  # the same dataclass fields: nothing to copy
    return manager
