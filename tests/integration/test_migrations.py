"""Alembic: upgrade -> downgrade -> upgrade on a fresh database, and no model drift."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import pazpaz.models  # noqa: F401
from alembic import command
from pazpaz.launcher import run_migrations
from pazpaz.settings import PROJECT_ROOT
from tests.support.services import create_database


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def _not_procrastinate(obj, name, type_, reflected, compare_to) -> bool:
    # The job runner's tables come from procrastinate's schema.sql (revision 0009), not models.
    table = obj.table.name if type_ in ("index", "column", "unique_constraint", "foreign_key_constraint") else name
    return not str(table or "").startswith("procrastinate_")


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
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "include_object": _not_procrastinate})
            diff = compare_metadata(context, SQLModel.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        engine.dispose()


def test_audit_table_is_append_only(pg_server):
    from sqlalchemy.exc import DBAPIError

    pg, template = pg_server
    engine = create_engine(create_database(pg, template))
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO audit_events (id, action, occurred_at, details) "
                                    "VALUES (gen_random_uuid(), 'test.event', now(), '{}')"))
        for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events",
                          "TRUNCATE audit_events"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT action FROM audit_events")).scalars().all() == ["test.event"]
    finally:
        engine.dispose()


def _seed_at_0004(engine, content_duplicates: bool) -> dict[str, str]:
    """One workspace, client and appointment with duplicate notes and plans, as simultaneous
    requests could leave them before revision 0005."""
    ids = {name: str(uuid.uuid4()) for name in
           ("ws", "client", "appointment", "note_old", "note_new", "note_empty", "plan_old", "plan_new", "goal")}
    statements = [
        "INSERT INTO workspaces (id, name, time_zone, settings, created_at) VALUES (:ws, 'P', 'UTC', '{}', now())",
        "INSERT INTO clients (id, workspace_id, first_name_enc, last_name_enc, created_at, updated_at) "
        "VALUES (:client, :ws, 'x', 'y', now(), now())",
        "INSERT INTO appointments (id, workspace_id, client_id, starts_at, ends_at, status, created_at, updated_at) "
        "VALUES (:appointment, :ws, :client, '2026-12-01 10:00Z', '2026-12-01 11:00Z', 'attended', now(), now())",
        # The oldest note is empty, the second has text, the third is empty: the one with text stays.
        "INSERT INTO soap_notes (id, workspace_id, client_id, appointment_id, status, lock_version, created_at, "
        "updated_at) VALUES (:note_old, :ws, :client, :appointment, 'draft', 1, now() - interval '2 min', now())",
        "INSERT INTO soap_notes (id, workspace_id, client_id, appointment_id, status, lock_version, subjective_enc, "
        "created_at, updated_at) VALUES (:note_new, :ws, :client, :appointment, 'draft', 2, 'sealed', "
        "now() - interval '1 min', now())",
        "INSERT INTO soap_notes (id, workspace_id, client_id, appointment_id, status, lock_version, created_at, "
        "updated_at) VALUES (:note_empty, :ws, :client, :appointment, 'draft', 1, now(), now())",
        # Two plans; the newer one has a summary, the older one a goal.
        "INSERT INTO plans_of_care (id, workspace_id, client_id, created_at, updated_at) "
        "VALUES (:plan_old, :ws, :client, now() - interval '1 min', now())",
        "INSERT INTO plans_of_care (id, workspace_id, client_id, summary_enc, created_at, updated_at) "
        "VALUES (:plan_new, :ws, :client, 'sealed', now(), now())",
        "INSERT INTO goals (id, workspace_id, plan_id, text_enc, status, created_at) "
        "VALUES (:goal, :ws, :plan_old, 'sealed', 'active', now())",
    ]
    if content_duplicates:
        statements.append("UPDATE soap_notes SET plan_enc = 'sealed' WHERE id = :note_old")
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), ids)
    return ids


def _rows(engine, sql: str) -> list:
    with engine.connect() as connection:
        return [tuple(map(str, row)) for row in connection.execute(text(sql)).all()]


def test_0005_keeps_the_note_and_plan_with_content_and_removes_empty_duplicates(pg_server):
    pg, _ = pg_server
    url = create_database(pg)
    config, engine = alembic_config(url), create_engine(url)
    try:
        command.upgrade(config, "0004")
        ids = _seed_at_0004(engine, content_duplicates=False)
        command.upgrade(config, "head")
        assert _rows(engine, "SELECT id FROM soap_notes") == [(ids["note_new"],)]
        assert _rows(engine, "SELECT id FROM plans_of_care") == [(ids["plan_new"],)]
        assert _rows(engine, "SELECT id, plan_id FROM goals") == [(ids["goal"], ids["plan_new"])]
        with pytest.raises(IntegrityError, match="uq_soap_notes_appointment"), engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO soap_notes (id, workspace_id, client_id, appointment_id, status, lock_version, "
                "created_at, updated_at) VALUES (gen_random_uuid(), :ws, :client, :appointment, 'draft', 1, "
                "now(), now())"), ids)
    finally:
        engine.dispose()


def test_0005_refuses_duplicates_that_both_hold_content_and_changes_nothing(pg_server):
    pg, _ = pg_server
    url = create_database(pg)
    config, engine = alembic_config(url), create_engine(url)
    try:
        command.upgrade(config, "0004")
        ids = _seed_at_0004(engine, content_duplicates=True)
        before = _rows(engine, "SELECT id FROM soap_notes ORDER BY id") + _rows(engine, "SELECT id FROM plans_of_care")
        # Through the launcher, as `make run` applies it (its connection commits even after a failure).
        with pytest.raises(Exception, match="will not choose between them") as refused:
            run_migrations(url)
        message = str(refused.value)
        assert f"appointment {ids['appointment']}: SOAP notes {ids['note_old']}, {ids['note_new']}" in message
        assert ids["note_empty"] not in message
        assert "plans of care" not in message  # the empty plan alone can be merged
        after = _rows(engine, "SELECT id FROM soap_notes ORDER BY id") + _rows(engine, "SELECT id FROM plans_of_care")
        assert after == before
        assert _rows(engine, "SELECT version_num FROM alembic_version") == [("0004",)]
    finally:
        engine.dispose()
