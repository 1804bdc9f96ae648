"""procrastinate App and tasks. Each task calls a plain service inside jobs.tracked(), so
its last run and last error show on Settings; failures retry with exponential back-off.

Periodic tasks are deferred by whichever worker is running (procrastinate's
periodic_defers table makes each tick run once however many workers there are).
"""

from __future__ import annotations

import functools
import logging
import uuid
from functools import lru_cache

from procrastinate import App, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from pazpaz.i18n import msg
from pazpaz.services import jobs
from pazpaz.settings import SettingsError, get_settings

log = logging.getLogger("pazpaz.jobs")
# Back-off: 3 s, 9 s, 27 s, 81 s, 243 s between attempts; a reminder that still fails is
# picked up again by a later scan (its claim row stays pending).
RETRY = RetryStrategy(max_attempts=5, exponential_wait=3)


class JobFailed(Exception):
    """What procrastinate sees (and logs with its traceback) when a task fails: the original
    exception's type name only, since SMTP and database errors can quote addresses or values."""


def _clean_failure(fn):
    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            raise JobFailed(type(error).__name__) from None

    return run


def conninfo(database_url: str) -> str:
    """libpq conninfo (psycopg 3) for an SQLAlchemy URL such as
    postgresql+psycopg2://user@/db?host=/socket/dir."""
    url = make_url(database_url)
    parts = {"dbname": url.database, "user": url.username, "password": url.password,
             "host": url.host or url.query.get("host"), "port": url.port}
    for key, value in url.query.items():
        if key not in ("host",) and isinstance(value, str):
            parts[key] = value
    return " ".join(f"{key}={_quote(str(value))}" for key, value in parts.items() if value not in (None, ""))


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _database_url() -> str:
    url = get_settings().database_url
    if url is None:
        raise SettingsError("DATABASE_URL is not set (the launcher sets it for the embedded server).")
    return url


def build_app(database_url: str) -> App:
    """A procrastinate App on this database with every PazPaz task registered."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(database_url), min_size=1, max_size=4))
    _register(app)
    return app


@lru_cache(maxsize=4)
def get_app(database_url: str | None = None) -> App:
    """The App for DATABASE_URL (read at first use, never at import)."""
    return build_app(database_url or _database_url())


def defer_sends(app: App, delivery_ids: list[uuid.UUID]) -> int:
    """One send job per pending claim; a job already waiting for a claim is not queued twice."""
    queued = 0
    for delivery_id in delivery_ids:
        try:
            app.configure_task("send_reminder", queueing_lock=f"reminder:{delivery_id}").defer(
                delivery_id=str(delivery_id))
            queued += 1
        except AlreadyEnqueued:
            continue
    return queued


def _register(app: App) -> None:
    # --- reminders -------------------------------------------------------------------------

    @app.periodic(cron="* * * * *", periodic_id="reminders")
    @app.task(name="reminders_scan", queueing_lock="reminders_scan", retry=RETRY)
    @_clean_failure
    def reminders_scan(timestamp: int) -> int:
        """Every minute: claim due reminders and queue one send job each."""
        from pazpaz.services import reminders

        with jobs.tracked("reminders") as outcome:
            pending = reminders.claim_due()
            queued = defer_sends(app, pending)
            outcome["result"] = msg("{due} due, {queued} queued", due=len(pending), queued=queued)
        return queued

    @app.task(name="send_reminder", retry=RETRY)
    @_clean_failure
    def send_reminder(delivery_id: str) -> str:
        from pazpaz.services import reminders

        try:
            return reminders.deliver(uuid.UUID(delivery_id))
        except Exception as error:
            jobs.record_failure("reminders", error)
            log.warning("reminder %s failed (%s)", delivery_id, type(error).__name__)
            raise

    # --- the therapist's daily agenda ------------------------------------------------------

    @app.periodic(cron="*/5 * * * *", periodic_id="agenda")
    @app.task(name="agenda_scan", queueing_lock="agenda_scan", retry=RETRY)
    @_clean_failure
    def agenda_scan(timestamp: int) -> int:
        from pazpaz.services import agenda

        with jobs.tracked("agenda") as outcome:
            sent = agenda.send_due()
            outcome["result"] = msg("{sent} sent", sent=sent)
        return sent

    # --- housekeeping ----------------------------------------------------------------------

    @app.periodic(cron="17 3 * * *", periodic_id="attachment_sweep")
    @app.task(name="attachment_sweep", queueing_lock="attachment_sweep", retry=RETRY)
    @_clean_failure
    def attachment_sweep(timestamp: int) -> str:
        from pazpaz.services import attachments

        with jobs.tracked("attachment_sweep") as outcome:
            rows, objects = attachments.sweep()
            outcome["result"] = msg("{uploads} stale uploads, {objects} orphan objects removed", uploads=rows,
                                    objects=objects)
        return outcome["result"]

    @app.periodic(cron="37 3 * * *", periodic_id="auth_cleanup")
    @app.task(name="auth_cleanup", queueing_lock="auth_cleanup", retry=RETRY)
    @_clean_failure
    def auth_cleanup(timestamp: int) -> str:
        with jobs.tracked("auth_cleanup") as outcome:
            links, sessions = jobs.cleanup_auth()
            outcome["result"] = msg("{links} links, {sessions} sessions removed", links=links, sessions=sessions)
        return outcome["result"]

    @app.periodic(cron="*/15 * * * *", periodic_id="backup")
    @app.task(name="backup_if_due", queueing_lock="backup_if_due", retry=RETRY)
    @_clean_failure
    def backup_if_due(timestamp: int) -> str:
        """The daily backup (services/backup_schedule.py): a no-op until its hour has come."""
        from pazpaz.services import backup_schedule

        return backup_schedule.run_if_due()

    @app.task(name="build_export", retry=RetryStrategy(max_attempts=2, wait=30))
    @_clean_failure
    def build_export(export_id: str) -> int:
        """A client's or the practice's export zip (services/exports.py); progress on its row."""
        from pazpaz.services import exports

        return exports.build(uuid.UUID(export_id))

    @app.periodic(cron="*/15 * * * *", periodic_id="exports_cleanup")
    @app.task(name="exports_cleanup", queueing_lock="exports_cleanup", retry=RETRY)
    @_clean_failure
    def exports_cleanup(timestamp: int) -> int:
        from pazpaz.services import exports

        return exports.cleanup()

    @app.periodic(cron="*/2 * * * *", periodic_id="retry_stalled")
    @app.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs", pass_context=True)
    async def retry_stalled_jobs(context, timestamp: int) -> int:
        """A worker that died (kill -9, OOM) leaves its jobs 'doing': hand them to a live one.
        Re-running is safe: every task is idempotent."""
        manager = context.app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=30)
        for job in stalled:
            await manager.retry_job(job)
        return len(stalled)

    @app.periodic(cron="53 4 * * *", periodic_id="remove_old_jobs")
    @app.task(name="remove_finished_jobs", queueing_lock="remove_finished_jobs", pass_context=True)
    async def remove_finished_jobs(context, timestamp: int) -> None:
        """Keep procrastinate's tables small: finished jobs older than a week go."""
        await context.app.job_manager.delete_old_jobs(nb_hours=24 * 7, include_failed=True)
