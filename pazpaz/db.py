"""The database engine and transactional sessions (sync psycopg2, run off the event loop)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from pazpaz.settings import SettingsError, get_settings


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    # Never connect at import time: prod workers fork from a preloaded parent.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": 5},
    )


def get_engine() -> Engine:
    url = get_settings().database_url
    if url is None:
        raise SettingsError("DATABASE_URL is not set (the launcher sets it for the embedded server).")
    return engine_for(url)


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
