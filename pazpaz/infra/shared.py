"""News between the processes of one deployment (several workers or machines sharing REDIS_URL),
over Redis pub/sub: "this session ended", "this API token was revoked".

Every process still re-checks the database on each event and each request, so a lost message
costs only speed (a stale screen until the next click or the 60 s sweep, an API token's 2 s
verification cache), never a check. Without REDIS_URL this does nothing: one process knows
everything it needs in memory. See docs/ARCHITECTURE.md "Several processes (Redis)".
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.orm import Session

from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.shared")
CHANNEL = "pazpaz:news"
TIMEOUT_SECONDS = 2.0

Handler = Callable[[str], Awaitable[None] | None]
_handlers: dict[str, Handler] = {}


def on(kind: str, handler: Handler) -> None:
    """Run `handler(value)` in this process whenever any process publishes `kind`."""
    _handlers[kind] = handler


def enabled() -> bool:
    return get_settings().redis_url is not None


@lru_cache(maxsize=1)
def _client():
    import redis

    return redis.Redis.from_url(get_settings().redis_url, socket_timeout=TIMEOUT_SECONDS,
                                socket_connect_timeout=TIMEOUT_SECONDS)


_AFTER_COMMIT_KEY = "pazpaz_news"


def publish_after_commit(session: Session, kind: str, value: str) -> None:
    """`publish` once this transaction commits: another process that re-reads the database on
    hearing the news must find the change there."""
    if enabled():
        session.info.setdefault(_AFTER_COMMIT_KEY, []).append((kind, value))


@event.listens_for(Session, "after_commit")
def _publish_queued(session: Session) -> None:
    for kind, value in session.info.pop(_AFTER_COMMIT_KEY, []):
        publish(kind, value)


@event.listens_for(Session, "after_rollback")
def _drop_queued(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


def publish(kind: str, value: str) -> None:
    """Tell every process (this one included) about `kind` `value`; never raises."""
    if not enabled():
        return
    try:
        _client().publish(CHANNEL, f"{kind}:{value}")
    except Exception as error:  # the per-event / per-request checks still hold
        log.warning("could not tell the other processes about %s (%s)", kind, type(error).__name__)


async def _dispatch(message: bytes) -> None:
    kind, _, value = message.decode().partition(":")
    handler = _handlers.get(kind)
    if handler is None:
        return
    outcome = handler(value)
    if inspect.isawaitable(outcome):
        await outcome


async def listen_forever() -> None:
    """Receive what other processes publish, for the life of this process (a Reflex lifespan
    task); reconnects after a Redis outage."""
    if not enabled():
        return
    from redis.asyncio import Redis

    while True:
        client = Redis.from_url(get_settings().redis_url, socket_connect_timeout=TIMEOUT_SECONDS)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        await _dispatch(message["data"])
                    except Exception as failure:
                        log.error("handling news from another process failed (%s)", type(failure).__name__)
        except asyncio.CancelledError:
            raise
        except Exception as failure:
            log.warning("lost Redis pub/sub (%s); reconnecting", type(failure).__name__)
            await asyncio.sleep(1)
        finally:
            await client.aclose()
