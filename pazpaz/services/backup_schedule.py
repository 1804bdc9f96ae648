"""Scheduled backups: once a day at PAZPAZ_BACKUP_HOUR (local time of the practice, or of the
oldest practice on a shared instance) into PAZPAZ_BACKUP_DIR or data/backups, keeping
PAZPAZ_BACKUP_KEEP_DAILY daily and PAZPAZ_BACKUP_KEEP_WEEKLY weekly files.

The job runner calls run_if_due() every 15 minutes; it does nothing until the day's hour has
come and no backup succeeded since, so a worker that was down at the hour catches up when it
is back. A session-level advisory lock keeps two workers from backing up at once. Outcomes go
to job_runs (kind "backup": time, size, or the exception's type) and to the audit trail of
every practice; log lines carry no names, paths of client data or messages (only types).
"""

from __future__ import annotations

import logging
import os
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
from sqlmodel import select

from pazpaz.i18n import N_, msg
from pazpaz.infra import pgtools
from pazpaz.models import JobRun, Workspace
from pazpaz.services import audit, backup, clock, jobs
from pazpaz.services.scope import Actor, system_session, workspace_session
from pazpaz.services.storage import s3_client
from pazpaz.settings import Settings, get_settings

log = logging.getLogger("pazpaz.backup")
KIND = "backup"
LOCK_KEY = 727274016  # pg_advisory_lock key of the backup job (the launcher's migrations use 727274000)
STALE_AFTER = timedelta(hours=48)


def backup_dir(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def _zone() -> zoneinfo.ZoneInfo:
    with system_session() as session:
        name = session.exec(select(Workspace.time_zone).order_by(Workspace.created_at)).first()
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def due_since(now: datetime, zone: zoneinfo.ZoneInfo, hour: int) -> datetime | None:
    """Today's backup moment (aware, UTC) if it has come, else None."""
    local = now.astimezone(zone)
    moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.astimezone(UTC) if local >= moment else None


def newest(folder: Path) -> datetime | None:
    """Time of the newest finished backup file in folder (from its name, written from the
    app's clock): the schedule's memory, so a deleted folder is simply backed up again."""
    names = (path.name for path in folder.glob(backup.PREFIX + "*" + backup.SUFFIX))
    times = [when for name in names if (when := backup.parse_time(name))]
    return max(times, default=None)


@contextmanager
def _exclusive(database_url: str) -> Iterator[bool]:
    connection = psycopg2.connect(pgtools.psycopg2_dsn(database_url), connect_timeout=10)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
            yield bool(cursor.fetchone()[0])
    finally:
        connection.close()  # releases the session lock


def _embedded(settings: Settings) -> bool:
    return str(settings.data_dir / "postgres") in (settings.database_url or "")


def run_if_due(now: datetime | None = None) -> str:
    """Make today's backup if its hour has come and none succeeded since. Returns a short
    PII-free outcome."""
    settings = get_settings()
    now = now or clock.now()
    since = due_since(now, _zone(), settings.backup_hour)
    folder = backup_dir(settings)
    if since is None or ((last := newest(folder)) is not None and last >= since):
        return "not due"
    assert settings.database_url is not None
    with _exclusive(settings.database_url) as mine:
        if not mine:
            return "another worker is backing up"
        if (last := newest(folder)) is not None and last >= since:
            return "not due"
        return run_now(settings, now)


def run_now(settings: Settings, now: datetime | None = None, *, database_url: str | None = None,
            external: bool | None = None, folder: Path | None = None, progress=None) -> str:
    """One tracked, audited backup (into the configured folder unless given), then the
    retention pass. The command line passes the owner's URL; the worker uses the app's."""
    database_url = database_url or settings.database_url
    assert database_url is not None
    folder = folder or backup_dir(settings)
    external = (not _embedded(settings)) if external is None else external
    try:
        with jobs.tracked(KIND) as outcome:
            result = backup.create(folder, database_url, settings.s3, settings.kek, settings.data_dir,
                                   external_database=external, now=now, progress=progress)
            default_folder = folder == backup_dir(settings)
            removed = prune(folder, settings.backup_keep_daily, settings.backup_keep_weekly) if default_folder else 0
            copied = bool(settings.backup_s3_bucket) and default_folder
            if copied:
                removed += copy_to_s3(settings, result.path)
            outcome["result"] = f"{result.size_bytes} bytes, {result.path.name}" + (", copied to S3" if copied else "")
    except Exception as error:
        _audit("backup.failed", {"error": type(error).__name__})
        raise
    _audit("backup.created", {"size": result.size_bytes, "objects": len(result.manifest["objects"]),
                              "pruned": removed})
    return outcome["result"]


def _audit(action: str, details: dict) -> None:
    """One row per practice, so each owner's audit log shows the instance's backups."""
    try:
        with system_session() as session:
            for workspace_id in session.exec(select(Workspace.id)).all():
                audit.record(session, action, workspace_id=workspace_id, entity_type="backup", details=details)
    except Exception as error:  # the audit must not hide the backup's own outcome
        log.warning("backup audit row not written (%s)", type(error).__name__)


def kept(names: list[str], keep_daily: int, keep_weekly: int) -> set[str]:
    """Of these backup file names: the newest of each of the last keep_daily days that have
    one, and the newest of each of the keep_weekly ISO weeks before those."""
    files = sorted(((when, name) for name in names if (when := backup.parse_time(name))), reverse=True)
    keep: set[str] = set()
    days: list = []
    for when, name in files:
        if when.date() not in days and len(days) < keep_daily:
            days.append(when.date())
            keep.add(name)
    weeks: list = []
    oldest_daily = min(days) if days else None
    for when, name in files:
        week = when.isocalendar()[:2]
        if oldest_daily is not None and when.date() >= oldest_daily:
            continue
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.append(week)
            keep.add(name)
    return keep


def prune(folder: Path, keep_daily: int, keep_weekly: int, now: datetime | None = None) -> int:
    """Apply kept() to the folder (only our own file names), and remove temp files of a
    crashed run older than a day. Returns how many backups were deleted."""
    names = [path.name for path in folder.glob(backup.PREFIX + "*" + backup.SUFFIX)]
    keep = kept(names, keep_daily, keep_weekly)
    removed = 0
    for name in names:
        if name not in keep and backup.parse_time(name):
            (folder / name).unlink(missing_ok=True)
            removed += 1
    cutoff = (now or datetime.now(UTC)).timestamp() - 86400
    for temp in folder.glob(".*.partial"):
        if temp.stat().st_mtime < cutoff:
            temp.unlink(missing_ok=True)
    return removed


def copy_to_s3(settings: Settings, path: Path) -> int:
    """Upload the file to PAZPAZ_BACKUP_S3_BUCKET under PAZPAZ_BACKUP_S3_PREFIX (same S3 endpoint and
    credentials as the files; multipart for large files) and apply the same retention there.
    Returns how many old copies were deleted."""
    bucket, prefix = settings.backup_s3_bucket, settings.backup_s3_prefix
    assert bucket is not None
    client = s3_client(settings.s3, timeout_seconds=120.0)
    client.upload_file(str(path), bucket, prefix + path.name)
    names = [item["Key"][len(prefix):] for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix) for item in page.get("Contents", [])]
    keep = kept(names, settings.backup_keep_daily, settings.backup_keep_weekly)
    old = [name for name in names if backup.parse_time(name) and name not in keep]
    for name in old:
        client.delete_object(Bucket=bucket, Key=prefix + name)
    return len(old)


@dataclass(frozen=True)
class BackupStatus:
    last_success: datetime | None
    size_bytes: int | None
    last_error: str | None
    last_error_at: datetime | None
    warning: str  # "" when all is well; a msgid (translated by the page)
    folder: str
    hour: int


def status(actor: Actor, now: datetime | None = None) -> BackupStatus:
    """For the owner's Settings page (instance-wide, no practice data)."""
    actor.require_owner()
    settings = get_settings()
    now = now or datetime.now(UTC)
    # job_runs and workspaces are not practice data (models/jobs.py): read in the actor's scope.
    with workspace_session(actor) as session:
        row = session.exec(select(JobRun).where(JobRun.kind == KIND)).first()
        zone = zoneinfo.ZoneInfo(session.exec(select(Workspace.time_zone)
                                               .where(Workspace.id == actor.workspace_id)).one())
    success = row.last_success_at if row else None
    failed_last = row is not None and row.last_error_at is not None and (success is None or row.last_error_at > success)
    size = None
    if row and row.last_result and row.last_result.split(" ", 1)[0].isdigit():
        size = int(row.last_result.split(" ", 1)[0])
    if failed_last:
        warning = msg("The last backup failed ({error}).", error=row.last_error)  # type: ignore[union-attr]
    elif success is None:
        warning = N_("No backup has been made yet.")
    elif now - success > STALE_AFTER:
        warning = N_("The last successful backup is more than 48 hours old.")
    else:
        warning = ""
    return BackupStatus(last_success=success.astimezone(zone) if success else None, size_bytes=size,
                        last_error=row.last_error if failed_last and row else None,
                        last_error_at=row.last_error_at.astimezone(zone) if failed_last and row and row.last_error_at
                        else None, warning=warning, folder=os.fspath(backup_dir(settings)), hour=settings.backup_hour)
