"""Property tests (hypothesis) for conflict detection against real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from pazpaz.db import get_engine
from pazpaz.models import Appointment
from pazpaz.services import clients
from pazpaz.services.clients import ClientInput
from pazpaz.services.conflicts import find_conflicts, overlaps
from pazpaz.services.recurrence import place
from pazpaz.services.scope import WORKSPACE_KEY
from tests.support.factories import make_workspace

BASE = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # a DST-change day in Europe
minutes = st.integers(min_value=0, max_value=48 * 60)
lengths = st.integers(min_value=5, max_value=12 * 60)
interval = st.tuples(minutes, lengths).map(lambda t: (BASE + timedelta(minutes=t[0]),
                                                      BASE + timedelta(minutes=t[0] + t[1])))
status = st.sampled_from(["scheduled", "confirmed", "attended", "cancelled", "no_show"])
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def workspace(app_env):
    owner = make_workspace(time_zone="Europe/Berlin")
    client_id = clients.create_client(owner, ClientInput(first_name="Prop", last_name="Test"))
    return owner, client_id


def run_in_rollback(owner, client_id, existing, probe):
    """Insert `existing`, ask find_conflicts about `probe`, then roll everything back."""
    with Session(get_engine()) as session:
        session.info[WORKSPACE_KEY] = owner.workspace_id
        rows = []
        for (start, end), state in existing:
            row = Appointment(id=uuid.uuid4(), workspace_id=owner.workspace_id, client_id=client_id,
                              starts_at=start, ends_at=end, status=state)
            session.add(row)
            rows.append(row)
        session.flush()
        found = {c.appointment_id for c in find_conflicts(session, *probe)}
        session.rollback()
    return rows, found


@PROPERTY_SETTINGS
@given(existing=st.lists(st.tuples(interval, status), max_size=6), probe=interval)
def test_finds_exactly_the_active_overlaps(workspace, existing, probe):
    owner, client_id = workspace
    rows, found = run_in_rollback(owner, client_id, existing, probe)
    expected = {r.id for r in rows if r.status in ("scheduled", "confirmed", "attended")
                and overlaps(r.starts_at, r.ends_at, *probe)}
    assert found == expected


@PROPERTY_SETTINGS
@given(slot=interval, length=lengths, state=status)
def test_back_to_back_never_conflicts(workspace, slot, length, state):
    owner, client_id = workspace
    start, end = slot
    before = (start - timedelta(minutes=length), start)
    after = (end, end + timedelta(minutes=length))
    _, found = run_in_rollback(owner, client_id, [(before, state), (after, state)], slot)
    assert found == set()


@PROPERTY_SETTINGS
@given(slot=interval, state=st.sampled_from(["cancelled", "no_show"]))
def test_cancelled_and_no_show_never_conflict(workspace, slot, state):
    owner, client_id = workspace
    _, found = run_in_rollback(owner, client_id, [(slot, state)], slot)
    assert found == set()


@given(hour=st.integers(min_value=0, max_value=23), minute=st.sampled_from([0, 15, 30, 45]),
       day=st.sampled_from([datetime(2026, 3, 29), datetime(2026, 10, 25), datetime(2026, 3, 8)]),
       zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Jerusalem"]))
def test_dst_days_place_wall_times_consistently(hour, minute, day, zone):
    tz = ZoneInfo(zone)
    wall = day.replace(hour=hour, minute=minute)
    placed = place(wall, tz)
    # The placed instant shows the same wall time, except inside a spring-forward gap,
    # where it lands within the hour after it.
    shown = placed.astimezone(tz).replace(tzinfo=None)
    assert shown == wall or timedelta(0) < shown - wall <= timedelta(hours=1)
    # One hour later in real time never maps before the first instant (no time travel).
    assert place(wall + timedelta(hours=1), tz) > placed - timedelta(hours=1)
