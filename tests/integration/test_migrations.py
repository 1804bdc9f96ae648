"""Alembic: upgrade -> downgrade -> upgrade on a fresh database, and no model drift."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import pazpaz.models  # noqa: F401
from pazpaz.settings import PROJECT_ROOT
from tests.support.services import create_database


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def test_upgrade_downgrade_upgrade_and_no_drift(pg_server):
    pg, _ = pg_server
    url = create_database(pg)
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        command.upgrade(config, "head")
        assert "audit_events" in inspect(engine).get_table_names()
        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        engine.dispose()


def test_audit_table_is_append_only(pg_server):
    import pytest
    from sqlalchemy.exc import DBAPIError

    pg, template = pg_server
    engine = create_engine(create_database(pg, template))
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO audit_events (id, action, occurred_at, details) "
                                    "VALUES (gen_random_uuid(), 'test.event', now(), '{}')"))
        for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events",
                          "TRUNCATE audit_events"):
            with pytest.raises(DBAPIError, match="append-only"):
                with engine.begin() as connection:
                    connection.execute(text(statement))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT action FROM audit_events")).scalars().all() == ["test.event"]
    finally:
        engine.dispose()
