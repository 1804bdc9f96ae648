"""The benchmark seeder (bench/seed.py) at a tiny scale: right counts, valid rows, readable data."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.schedule_bench import week_starts
from bench.seed import FIRST_DAY, LAST_DAY, WORKWEEK, Scale, _zone_days, appointment_rows, plan, seed, seeded_workspaces

SCALE = Scale(workspaces=3, appointments_per_workspace=50, clients_per_workspace=8)


def _scalar(sql: str) -> int:
    from pazpaz.db import get_engine

    with get_engine().connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_seed_writes_valid_decryptable_data(owner_env) -> None:  # bench seeds as the owner
    from pazpaz.services import appointments
    from pazpaz.services.scope import Actor

    result = seed(SCALE, log=lambda _: None)

    assert result.rows == SCALE.expected_rows()
    assert result.rows["appointments"] == 150

    # Every CHECK constraint, restated (the FK triggers were off during COPY: check those too).
    assert _scalar("SELECT count(*) FROM appointments WHERE NOT (ends_at > starts_at) "
                   "OR ends_at - starts_at > interval '12 hours' "
                   "OR status NOT IN ('scheduled', 'confirmed', 'attended', 'cancelled', 'no_show')") == 0
    assert _scalar("SELECT count(*) FROM appointments a LEFT JOIN clients c ON c.id = a.client_id "
                   "AND c.workspace_id = a.workspace_id WHERE c.id IS NULL") == 0
    assert _scalar("SELECT count(*) FROM appointments a LEFT JOIN services s ON s.id = a.service_id "
                   "AND s.workspace_id = a.workspace_id WHERE s.id IS NULL") == 0
    assert _scalar("SELECT count(*) FROM appointments a LEFT JOIN locations l ON l.id = a.location_id "
                   "AND l.workspace_id = a.workspace_id WHERE a.location_id IS NOT NULL AND l.id IS NULL") == 0
    assert _scalar("SELECT count(*) FROM users u JOIN workspace_keys k ON k.workspace_id = u.workspace_id "
                   "WHERE u.role = 'owner' AND k.active") == 3
    # Inside the seeded range, on the workspace's workdays, 08:00-19:00 local.
    seeded = seeded_workspaces()
    assert [(ws_id, owner_id, zone) for ws_id, owner_id, zone in seeded] == [
        (ws.id, ws.owner_id, ws.time_zone) for ws in plan(SCALE)]
    from pazpaz.db import get_engine

    with get_engine().connect() as connection:
        rows = connection.execute(text(
            "SELECT a.starts_at, a.ends_at, w.time_zone FROM appointments a "
            "JOIN workspaces w ON w.id = a.workspace_id")).all()
    for starts_at, ends_at, zone_name in rows:
        local_start, local_end = starts_at.astimezone(ZoneInfo(zone_name)), ends_at.astimezone(ZoneInfo(zone_name))
        assert FIRST_DAY <= local_start.date() <= LAST_DAY
        assert local_start.weekday() in WORKWEEK[zone_name]
        assert time(8) <= local_start.time() and local_end.time() <= time(19) and local_end.date() == local_start.date()
        assert (ends_at - starts_at) in (timedelta(minutes=m) for m in (30, 45, 60, 90))

    # The calendar's read decrypts the seeded client names.
    ws_id, owner_id, zone_name = seeded[0]
    actor = Actor(workspace_id=ws_id, user_id=owner_id, role="owner")
    with get_engine().connect() as connection:
        first = connection.execute(text("SELECT min(starts_at) FROM appointments WHERE workspace_id = :ws"),
                                   {"ws": ws_id}).scalar_one()
    local_day = first.astimezone(ZoneInfo(zone_name)).date()
    week = max(w for w in week_starts(zone_name) if w <= local_day)
    views = appointments.schedule(actor, week, days=7)
    assert views, "the week holding the first appointment is empty"
    assert all(len(view.client_name.split()) == 2 for view in views)


def test_seed_is_deterministic() -> None:
    first, second = plan(SCALE), plan(SCALE)
    assert first == second
    zone_days = _zone_days(first[0].time_zone)
    rows = list(appointment_rows(first[0], 50, zone_days))
    assert rows == list(appointment_rows(second[0], 50, zone_days))
    assert len(rows) == 50 and len({row.split("\t")[0] for row in rows}) == 50
    assert plan(Scale(workspaces=3, appointments_per_workspace=50, clients_per_workspace=8, seed=1)) != first
