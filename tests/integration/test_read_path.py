"""The fast read path (docs/ARCHITECTURE.md "Read path"): read sessions only write audit rows and commit
without a WAL flush, the scope criteria's bound workspace can't be overridden, the zone
cache follows a zone change, and a pooled connection that died while idle is replaced."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, text
from sqlalchemy.pool import NullPool
from sqlmodel import select

from pazpaz import db
from pazpaz.models import AuditEvent, Client, Workspace
from pazpaz.services import appointments, clients, clock, workspaces
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.scope import SCOPE_PARAM, ScopeViolation, read_session, system_session, workspace_session
from tests.support.factories import make_workspace

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def _synchronous_commit(session) -> str:
    return session.exec(select(func.current_setting("synchronous_commit"))).one()


def test_a_read_session_commits_without_waiting_for_the_wal_and_writes_stay_durable(app_env):
    owner = make_workspace()
    with read_session(owner) as session:
        assert _synchronous_commit(session) == "off"
        assert session.connection().connection.dbapi_connection.autocommit  # no BEGIN/COMMIT trips
    with workspace_session(owner) as session:
        assert _synchronous_commit(session) == "on"
        assert not session.connection().connection.dbapi_connection.autocommit


def test_durable_read_audit_setting_keeps_read_commits_synchronous(app_env, monkeypatch):
    from pazpaz.settings import get_settings

    owner = make_workspace()
    monkeypatch.setenv("PAZPAZ_DURABLE_READ_AUDIT", "1")
    get_settings.cache_clear()
    try:
        with read_session(owner) as session:
            assert _synchronous_commit(session) == "on"
    finally:
        monkeypatch.delenv("PAZPAZ_DURABLE_READ_AUDIT")
        get_settings.cache_clear()


def test_a_read_session_refuses_every_write_but_audit_rows(app_env):
    owner = make_workspace()
    client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen"))
    with pytest.raises(ScopeViolation), read_session(owner) as session:
        session.get(Client, client_id).archived_at = NOW
    with pytest.raises(ScopeViolation), read_session(owner) as session:
        session.add(Workspace(name="Sneaky", time_zone="UTC"))
    with pytest.raises(ScopeViolation), read_session(owner) as session:
        session.exec(Client.__table__.update().where(Client.id == client_id).values(archived_at=NOW))
    with workspace_session(owner) as session:
        assert session.get(Client, client_id).archived_at is None
    appointments.schedule(owner, date(2026, 11, 16))  # its audit row is the one write allowed
    with workspace_session(owner) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == "appointment.listed")).one() == 1


def test_a_caller_cannot_choose_the_workspace_bound_into_the_criteria(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    clients.create_client(a, ClientInput(first_name="Ann", last_name="A"))
    b_client = clients.create_client(b, ClientInput(first_name="Ben", last_name="B"))
    with workspace_session(a) as session:
        found = session.exec(select(Client.id), params={SCOPE_PARAM: b.workspace_id}).all()
        assert b_client not in found and len(found) == 1


def test_the_week_read_follows_a_zone_change_once_the_cache_is_dropped_or_stale(app_env, monkeypatch):
    with clock.frozen(NOW):
        owner = make_workspace(time_zone="Europe/Berlin")
        client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen"))
        # 00:30 in Berlin on Monday is 23:30 UTC on Sunday: the zone decides its week.
        appointments.create_appointment(owner, AppointmentInput(client_id=str(client_id), start="2026-11-23T00:30",
                                                                duration_minutes="30"))
    monday = date(2026, 11, 23)
    assert len(appointments.schedule(owner, monday, days=7)) == 1
    with system_session() as session:
        session.get(Workspace, owner.workspace_id).time_zone = "UTC"

    # Another process changed it: this one sees it once its entry is older than the TTL ...
    age = workspaces._ZONES[owner.workspace_id][1]
    monkeypatch.setattr(workspaces, "_monotonic", lambda: age + workspaces.ZONE_TTL_SECONDS + 1)
    [view] = appointments.schedule(owner, monday - date.resolution * 7, days=7)
    assert view.starts_at.tzinfo == ZoneInfo("UTC")
    assert appointments.schedule(owner, monday, days=7) == []

    # ... and the process that changes it drops its entry at once.
    with system_session() as session:
        session.get(Workspace, owner.workspace_id).time_zone = "Europe/Berlin"
    workspaces.forget_zone(owner.workspace_id)
    assert len(appointments.schedule(owner, monday, days=7)) == 1


def test_a_pooled_connection_that_died_while_idle_is_replaced(app_env, monkeypatch):
    owner = make_workspace()
    with workspace_session(owner) as session:
        pid = session.exec(select(func.pg_backend_pid())).one()
    outside = create_engine(db.get_engine().url, poolclass=NullPool)  # not a pooled connection
    with outside.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        other.commit()
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    for _ in range(6):  # more than the pool holds: the dead one is met and replaced
        with workspace_session(owner) as session:
            assert session.exec(select(func.pg_backend_pid())).one() != pid


def test_a_prepared_statement_outdated_by_a_schema_change_fails_once_then_the_connection_is_replaced(owner_env):
    """psycopg 3 prepares a statement after its 5th run on a connection; changing a column's type
    under it makes PostgreSQL refuse the old plan on every later run on that connection. The
    connection is discarded after the first refusal, not handed out again."""
    from sqlalchemy import exc

    engine = db.engine_for(owner_env, reads=True)  # the autocommit pool of the hot reads
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE plan_probe (value integer)"))
        connection.execute(text("INSERT INTO plan_probe VALUES (1)"))
    with engine.connect() as connection:
        pid = connection.execute(select(func.pg_backend_pid())).scalar()
        for _ in range(6):  # prepared on the server from here on
            assert connection.execute(text("SELECT value FROM plan_probe")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar() >= 1
        outside = create_engine(engine.url, poolclass=NullPool)
        with outside.connect() as other:
            other.execute(text("ALTER TABLE plan_probe ALTER COLUMN value TYPE text"))
            other.commit()
        outside.dispose()
        with pytest.raises(exc.DBAPIError) as refused:
            connection.execute(text("SELECT value FROM plan_probe"))
        assert refused.value.connection_invalidated
    with engine.connect() as connection:
        assert connection.execute(select(func.pg_backend_pid())).scalar() != pid
        assert connection.execute(text("SELECT value FROM plan_probe")).scalar() == "1"
