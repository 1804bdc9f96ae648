"""The database engine and transactional sessions (sync psycopg 3, run off the event loop)."""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, exc
from sqlmodel import Session

from pazpaz.settings import SettingsError, get_settings

# A pooled connection idle for longer than this is pinged before it is handed out. One that
# was in use a moment ago is not: pinging every checkout (pool_pre_ping) cost a round trip
# per request, and a connection that broke in between fails its statement like any
# other database error (and the pool is then refreshed), see docs/ARCHITECTURE.md "Read path".
IDLE_PING_SECONDS = 10.0


# Weak: an engine the lru_cache drops (tests make a database per test) must still be
# garbage-collected with its pool, as before.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


@lru_cache(maxsize=8)
def engine_for(url: str, reads: bool = False, durable: bool = True) -> Engine:
    """The engine of one database URL. reads=True gives the pool of read_session(): its
    connections autocommit (each statement is its own transaction: no BEGIN and COMMIT round
    trips around a one-statement read) and, unless durable, commit with synchronous_commit=off.
    Only transactions that write nothing but the audit row of a read may use it
    (docs/ARCHITECTURE.md "Read path")."""
    # Never connect at import time: prod workers fork from a preloaded parent.
    connect_args: dict = {"connect_timeout": 5}
    options: dict = {}
    if reads:
        options["isolation_level"] = "AUTOCOMMIT"
        if not durable:
            connect_args["options"] = "-c synchronous_commit=off"
    engine = create_engine(url, pool_size=5, max_overflow=5, connect_args=connect_args, **options)
    _ENGINES.add(engine)
    event.listen(engine, "checkin", _stamp_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "handle_error", _drop_stale_plans)
    return engine


# PostgreSQL's "cached plan must not change result type": a statement psycopg 3 prepared on
# this connection reads a table whose columns changed since (a migration or a restore while
# this process ran). The statement fails once; the connection is then discarded, so the next
# checkout prepares afresh instead of failing again (docs/ARCHITECTURE.md "Read path").
STALE_PLAN_SQLSTATE = "0A000"


def _drop_stale_plans(context) -> None:
    if getattr(context.original_exception, "sqlstate", None) == STALE_PLAN_SQLSTATE:
        context.is_disconnect = True


def _stamp_idle(dbapi_connection, record) -> None:
    record.info["pazpaz_idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, proxy) -> None:
    idle_since = record.info.get("pazpaz_idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        # The pool discards this connection and retries the checkout with a fresh one.
        raise exc.DisconnectionError("stale pooled connection") from error


def get_engine() -> Engine:
    return engine_for(_database_url())


def get_read_engine() -> Engine:
    """The pool for read transactions (see engine_for); the durable pool when the
    deployment asks for durable read-audit commits (PAZPAZ_DURABLE_READ_AUDIT=1)."""
    return engine_for(_database_url(), reads=True, durable=get_settings().durable_read_audit)


def _database_url() -> str:
    url = get_settings().database_url
    if url is None:
        raise SettingsError("DATABASE_URL is not set (the launcher sets it for the embedded server).")
    return url


def dispose_engines() -> None:
    """Close every pooled connection (tests and benches that stop their database)."""
    for engine in list(_ENGINES):
        engine.dispose()
    _ENGINES.clear()
    engine_for.cache_clear()


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
