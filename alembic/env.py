"""Plain Alembic over SQLModel.metadata; the URL comes from DATABASE_URL (settings)."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlmodel import SQLModel

import pazpaz.models  # noqa: F401  (registers every table)
from alembic import context
from pazpaz.settings import get_settings

target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """procrastinate's tables are created from its own schema.sql (revision 0009), not models."""
    table = obj.table.name if type_ in ("index", "column", "unique_constraint", "foreign_key_constraint") else name
    return not str(table or "").startswith("procrastinate_")


def _configure(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      compare_server_default=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = context.config.attributes.get("url") or get_settings().database_url
    if url is None:
        raise RuntimeError("DATABASE_URL is not set.")
    engine = create_engine(url)
    with engine.connect() as connection:
        _configure(connection)
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
