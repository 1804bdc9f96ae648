"""The app's database role can't get around the append-only audit trail, yet does its job."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from pazpaz.infra.roles import APP_ROLE, check_app_role
from tests.support.factories import make_workspace


@pytest.fixture
def app_engine(app_env):
    engine = create_engine(app_env)
    yield engine
    engine.dispose()


def test_the_app_connects_as_a_plain_role(app_engine):
    with app_engine.connect() as connection:
        check = check_app_role(connection)
    assert check.role == APP_ROLE
    assert check.problems == []


def test_a_public_schema_open_to_every_role_is_reported(app_env, app_engine):
    """PostgreSQL < 15 lets PUBLIC create in schema public; the start-up check must say so."""
    from sqlalchemy.engine import make_url

    owner = create_engine(make_url(app_env).set(username="postgres"))
    try:
        with owner.begin() as connection:
            connection.execute(text("GRANT CREATE ON SCHEMA public TO PUBLIC"))
        with app_engine.connect() as connection:
            problems = check_app_role(connection).problems
    finally:
        owner.dispose()
    assert any("schema public" in problem for problem in problems), problems


@pytest.mark.parametrize("statement", [
    "SET session_replication_role = replica",
    "SET LOCAL session_replication_role = replica",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "SET ROLE postgres",
    "CREATE TABLE scratch (id int)",
])
def test_no_session_setting_or_ddl_switches_the_trigger_off(app_engine, statement):
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner|must be superuser"), \
            app_engine.begin() as connection:
        connection.execute(text(statement))


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'changed'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
])
def test_audit_rows_can_be_added_and_read_but_not_changed(app_engine, statement):
    with app_engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (id, action, occurred_at, details) "
                                "VALUES (gen_random_uuid(), 'test.event', now(), '{}')"))
    with pytest.raises(DBAPIError, match="permission denied"), app_engine.begin() as connection:
        connection.execute(text(statement))
    with app_engine.connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_events")).scalars().all() == ["test.event"]


def test_services_work_as_the_app_role(app_env):
    """Sign-up, a scoped write with its audit row, and the system session (sign-in, key
    rotation) all run on the app's role: the whole suite does, this is the short proof."""
    from pazpaz.db import get_engine
    from pazpaz.services import clients
    from pazpaz.services.clients import ClientInput
    from pazpaz.services.key_rotation import rotate_all

    actor = make_workspace()
    client_id = clients.create_client(actor, ClientInput(first_name="Role", last_name="Check"))
    assert clients.get_client(actor, client_id).first_name == "Role"
    rotate_all(batch_size=10)
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar_one() == APP_ROLE
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one() > 0


def test_an_external_setup_grants_the_role_named_in_database_url(pg_server):
    """Self-hosted PostgreSQL: migrations as the owner (DATABASE_MIGRATION_URL), then the
    role DATABASE_URL names gets exactly the app's grants, on a database migrated from empty."""
    from pazpaz.infra.roles import ensure_app_role, role_of
    from pazpaz.launcher import run_migrations
    from tests.support.services import create_database

    pg, _ = pg_server
    admin = create_engine(pg.url("postgres"))
    with admin.begin() as connection:
        ensure_app_role(connection, "ext_app")
    admin.dispose()
    owner_url = create_database(pg)
    app_url = owner_url.replace("postgres@", "ext_app@", 1)
    assert role_of(app_url) == "ext_app"

    run_migrations(owner_url, role_of(app_url))
    engine = create_engine(app_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO audit_events (id, action, occurred_at, details) "
                                    "VALUES (gen_random_uuid(), 'ext.event', now(), '{}')"))
            assert connection.execute(text("SELECT count(*) FROM workspaces")).scalar_one() == 0
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_events"))
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'x'"))
    finally:
        engine.dispose()
