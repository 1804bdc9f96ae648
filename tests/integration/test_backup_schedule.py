"""Scheduled backups: made once a day from the configured local hour, by one worker however
many ask at once, as the app's own role; retention; the owner's status and warnings; a failure
is recorded (type only), audited, and leaves no file."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import pazpaz.models as m
from bench.practice_seed import seed_practice
from pazpaz.services import backup, backup_schedule
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import system_session
from pazpaz.settings import get_settings
from tests.conftest import reset_caches
from tests.integration.test_backup_restore import empty_bucket
from tests.support.factories import make_assistant, make_workspace

ZONE = ZoneInfo("Asia/Jerusalem")
DAY = datetime(2026, 3, 10, tzinfo=ZONE)  # any day: every time below is derived from it


@pytest.fixture
def env(app_env, backup_s3, monkeypatch, tmp_path):
    s3 = backup_s3.settings
    for name, value in (("S3_ENDPOINT_URL", s3.endpoint_url), ("S3_ACCESS_KEY_ID", s3.access_key_id),
                        ("S3_SECRET_ACCESS_KEY", s3.secret_access_key), ("S3_BUCKET", s3.bucket),
                        ("PAZPAZ_DATA_DIR", str(tmp_path / "data")), ("PAZPAZ_BACKUP_DIR", str(tmp_path / "bk")),
                        ("PAZPAZ_BACKUP_HOUR", "3")):
        monkeypatch.setenv(name, value)
    reset_caches()
    empty_bucket()
    return tmp_path / "bk"


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return (DAY + timedelta(days=days)).replace(hour=hour, minute=minute).astimezone(UTC)


def files(folder) -> list[str]:
    return sorted(path.name for path in folder.glob("*.pzbk"))


def test_once_a_day_from_the_local_hour_as_the_app_role(env):
    owner = make_workspace(time_zone="Asia/Jerusalem")
    assert "pazpaz_app" in get_settings().database_url  # the worker's role makes the dump
    assert backup_schedule.run_if_due(at(2, 59)) == "not due"
    assert not env.exists() or files(env) == []
    outcome = backup_schedule.run_if_due(at(3, 5))
    assert outcome.endswith(".pzbk") and len(files(env)) == 1
    assert backup_schedule.run_if_due(at(9)) == "not due"
    assert backup_schedule.run_if_due(at(23, 59)) == "not due"
    assert backup_schedule.run_if_due(at(2, days=1)) == "not due"
    # A worker that was down at 03:00 catches up at its next tick.
    assert backup_schedule.run_if_due(at(15, days=1)).endswith(".pzbk")
    assert len(files(env)) == 2
    with system_session() as session:
        actions = session.exec(select(m.AuditEvent.action).where(m.AuditEvent.workspace_id == owner.workspace_id,
                                                                 m.AuditEvent.entity_type == "backup")).all()
    assert actions == ["backup.created", "backup.created"]


def test_two_workers_at_once_make_one_backup(env):
    make_workspace(time_zone="Asia/Jerusalem")
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        barrier.wait()
        outcomes.append(backup_schedule.run_if_due(at(4)))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(files(env)) == 1
    assert sum(outcome.endswith(".pzbk") for outcome in outcomes) == 1


def test_status_warns_when_stale_or_failed_and_is_owner_only(env, monkeypatch):
    owner = make_workspace(time_zone="Asia/Jerusalem")
    seed_practice(owner, clients_count=1, appointments=0, notes=0, photos=1)  # so a backup reads S3
    assert backup_schedule.status(owner).warning == "No backup has been made yet."
    backup_schedule.run_now(get_settings(), at(4))
    now = datetime.now(UTC)
    fresh = backup_schedule.status(owner, now=now)
    assert fresh.warning == "" and fresh.size_bytes and fresh.last_success is not None
    assert backup_schedule.status(owner, now=now + timedelta(hours=49)).warning.startswith(
        "The last successful backup is more than 48 hours old")
    with pytest.raises(NotFound):
        backup_schedule.status(make_assistant(owner))

    broken = replace(get_settings().s3, endpoint_url="http://127.0.0.1:9")
    monkeypatch.setattr(backup_schedule, "get_settings", lambda: replace(get_settings(), s3=broken))
    with pytest.raises(Exception):  # noqa: B017 - whatever botocore raises for a closed port
        backup_schedule.run_if_due(at(3, days=30))
    failed = backup_schedule.status(owner)
    assert failed.warning.startswith("The last backup failed (") and "127.0.0.1" not in failed.warning
    assert len(files(env)) == 1 and not list(env.glob(".*"))
    with system_session() as session:
        row = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "backup.failed")).one()
    assert row.workspace_id == owner.workspace_id and set(row.details) == {"error"}


def test_retention_keeps_seven_daily_and_four_weekly(tmp_path):
    start = datetime(2026, 1, 1, 3, tzinfo=UTC)
    for day in range(60):
        for extra in (0, 5):  # two on some days: the newest of a day is kept
            if extra and day % 10:
                continue
            (tmp_path / backup.file_name(start + timedelta(days=day, minutes=extra))).write_bytes(b"x")
    (tmp_path / "unrelated.txt").write_text("kept")
    backup_schedule.prune(tmp_path, keep_daily=7, keep_weekly=4)
    kept = sorted(backup.parse_time(p.name) for p in tmp_path.glob("*.pzbk"))
    daily = [when for when in kept if when >= start + timedelta(days=53)]
    assert [when.day for when in daily] == [23, 24, 25, 26, 27, 28, 1] and len(daily) == 7
    weekly = [when for when in kept if when < start + timedelta(days=53)]
    assert len(weekly) == 4 and len({when.isocalendar()[:2] for when in weekly}) == 4
    assert (tmp_path / "unrelated.txt").exists()


def test_the_job_runner_knows_the_backup_task(app_env):
    from pazpaz.jobs.app import build_app

    app = build_app(get_settings().database_url)
    assert "backup_if_due" in app.tasks
    assert any(task.periodic_id == "backup" for task in app.periodic_registry.periodic_tasks.values())


def test_a_copy_goes_to_the_backup_bucket_with_the_same_retention(env, backup_s3, monkeypatch):
    import hashlib

    from pazpaz.services.storage import s3_client

    make_workspace(time_zone="Asia/Jerusalem")
    bucket = f"offsite-{uuid.uuid4().hex[:8]}"
    client = s3_client(get_settings().s3)
    client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("PAZPAZ_BACKUP_S3_BUCKET", bucket)
    monkeypatch.setenv("PAZPAZ_BACKUP_S3_PREFIX", "site-a/")
    reset_caches()
    for days in range(1, 31):  # a month of older copies there already
        client.put_object(Bucket=bucket, Key="site-a/" + backup.file_name(at(3, days=-days)), Body=b"old")
    client.put_object(Bucket=bucket, Key="site-a/notes.txt", Body=b"not ours")

    outcome = backup_schedule.run_now(get_settings(), at(4))
    assert outcome.endswith("copied to S3")
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]}
    local = next(env.glob("*.pzbk"))
    copy = client.get_object(Bucket=bucket, Key="site-a/" + local.name)["Body"].read()
    assert hashlib.sha256(copy).digest() == hashlib.sha256(local.read_bytes()).digest()
    assert "site-a/notes.txt" in keys
    assert len(keys) == 1 + 7 + 4  # the stranger, 7 daily (today's included), 4 weekly
