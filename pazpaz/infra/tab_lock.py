"""Reflex's Redis state manager, with a tab lock that a cancelled event gives back
(docs/ARCHITECTURE.md "Several processes (Redis)").

Reflex cancels a tab's unfinished page-load chain when the tab loads a page again (a second
click on a link, a quick move from a note to the calendar). A chained event cancelled while it
was taking the tab's lock can leave the lock set in Redis with nobody to release it: the SET
reached Redis, the cancellation reached the coroutine before its reply. Every later event of
that tab then waited for the lock to expire (30 s; `redis_lock_expiration` in rxconfig.py).
Here a lock wait that ends in an exception deletes the lock if it holds this wait's id (one
compare-and-delete in Redis, so another event's lock is never touched).
"""

from __future__ import annotations

import asyncio
import logging

from reflex.istate.manager.redis import StateManagerRedis

log = logging.getLogger(__name__)

# GET and DEL as one step: the key is deleted only while it still holds this wait's lock id.
_RELEASE_IF_OURS = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class TabLockStateManager(StateManagerRedis):
    """StateManagerRedis whose lock wait releases what it took when it does not finish."""

    async def _wait_lock(self, lock_key: bytes, lock_id: bytes) -> None:
        try:
            await super()._wait_lock(lock_key, lock_id)
        except BaseException:
            # Shielded: a second cancellation must not interrupt giving the lock back.
            await asyncio.shield(self._release_if_ours(lock_key, lock_id))
            raise

    async def _release_if_ours(self, lock_key: bytes, lock_id: bytes) -> None:
        try:
            released = await self.redis.eval(_RELEASE_IF_OURS, 1, lock_key, lock_id)
        except Exception as failure:  # Redis gone: the lock's own expiry still ends it
            log.warning("could not give back a tab lock after a cancelled event (%s)", type(failure).__name__)
            return
        if released:
            self._notify_next_waiter(lock_key)


def use_tab_lock_manager(manager: object) -> object:
    """The app's state manager, with the lock fix when it is Reflex's Redis manager (the
    in-memory manager's asyncio lock is released by a cancellation already)."""
    if type(manager) is StateManagerRedis:
        manager.__class__ = TabLockStateManager  # the same dataclass fields: nothing to copy
    return manager
