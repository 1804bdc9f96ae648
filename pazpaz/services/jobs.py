"""Scheduled work seen from the services: per-kind status (last run, last error) and the
clean-up jobs. The job runner itself lives in pazpaz/jobs (procrastinate); every task there
wraps a plain service call in tracked(), so the owner sees on Settings what ran and what failed.

Errors are recorded by exception type only: messages can carry addresses or names.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select

from pazpaz.i18n import N_, Msg
from pazpaz.models import AuthSession, JobRun, MagicLinkToken, PendingSignIn
from pazpaz.models.base import utcnow
from pazpaz.services import workspaces
from pazpaz.services.scope import Actor, system_session, workspace_session

log = logging.getLogger("pazpaz.jobs")

# Kinds shown on Settings, in this order, with the words the owner reads.
JOB_KINDS: dict[str, str] = {
    "reminders": N_("Client reminders"),
    "agenda": N_("Daily agenda mail"),
    "attachment_sweep": N_("File clean-up"),
    "auth_cleanup": N_("Expired sign-in links and sessions"),
}
# Ended sessions and used or expired links are kept this long (sign-in investigations).
AUTH_RETENTION = timedelta(days=30)


def _upsert(kind: str, **values: object) -> None:
    with system_session() as session:
        statement = insert(JobRun).values(kind=kind, runs=0, failures=0, **values)
        increments = {}
        if "last_started_at" in values:
            increments["runs"] = JobRun.runs + 1
        if "last_error_at" in values:
            increments["failures"] = JobRun.failures + 1
        session.exec(statement.on_conflict_do_update(index_elements=["kind"], set_={**values, **increments}))


@contextmanager
def tracked(kind: str) -> Iterator[dict[str, str]]:
    """Record a run of `kind`: start, then success (with a short result) or the error's type.
    The caller may put a PII-free summary into the yielded dict under "result"."""
    started = utcnow()
    _upsert(kind, last_started_at=started)
    outcome: dict[str, str] = {}
    try:
        yield outcome
    except Exception as error:
        _upsert(kind, last_finished_at=utcnow(), last_error_at=utcnow(), last_error=type(error).__name__[:200])
        log.warning("job %s failed (%s)", kind, type(error).__name__)
        raise
    _upsert(kind, last_finished_at=utcnow(), last_success_at=utcnow(), last_result=_stored(outcome.get("result", "")))
    log.debug("job %s done in %.2f s (%s)", kind, (utcnow() - started).total_seconds(), outcome.get("result", ""))


def record_failure(kind: str, error: BaseException) -> None:
    """A failure outside tracked() (a single reminder's send job)."""
    _upsert(kind, last_error_at=utcnow(), last_error=type(error).__name__[:200])


@dataclass(frozen=True)
class JobStatus:
    kind: str
    label: str
    last_run: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    result: str
    runs: int
    failures: int


def status(actor: Actor) -> list[JobStatus]:
    """Every job kind's last run and error, for the owner's Settings page."""
    actor.require_owner()
    # job_runs is instance-wide (no workspace column, no practice data): see models/jobs.py.
    with workspace_session(actor) as session:
        rows = {row.kind: row for row in session.exec(select(JobRun)).all()}
        zone = workspaces.time_zone(session, actor.workspace_id)

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(zone) if moment else None

    out = []
    for kind, label in JOB_KINDS.items():
        row = rows.get(kind)
        out.append(JobStatus(kind=kind, label=label, last_run=local(row.last_started_at) if row else None,
                             last_success=local(row.last_success_at) if row else None,
                             last_error=row.last_error if row else None,
                             last_error_at=local(row.last_error_at) if row else None,
                             result=_shown(row.last_result) if row else "", runs=row.runs if row else 0,
                             failures=row.failures if row else 0))
    return out


def cleanup_auth(now: datetime | None = None) -> tuple[int, int]:
    """Delete sign-in links (with half-finished two-step sign-ins) and sessions that ended
    more than AUTH_RETENTION ago. Returns (links, sessions) removed. Idempotent: a second run
    finds nothing."""
    cutoff = (now or utcnow()) - AUTH_RETENTION
    with system_session() as session:
        links = session.exec(delete(MagicLinkToken).where(MagicLinkToken.expires_at < cutoff)).rowcount or 0
        links += session.exec(delete(PendingSignIn).where(PendingSignIn.expires_at < cutoff)).rowcount or 0
        sessions = session.exec(delete(AuthSession).where(or_(
            AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff,
            AuthSession.last_seen_at < cutoff))).rowcount
    return links, sessions or 0


def count_runs(kind: str) -> int:
    with system_session() as session:
        return session.exec(select(func.coalesce(func.max(JobRun.runs), 0)).where(JobRun.kind == kind)).one()


def _stored(result: str) -> str:
    """A run's result as kept in job_runs: a `msg()` keeps its msgid and numbers (JSON), so
    Settings shows it in the reader's language; plain text stays as it is."""
    if isinstance(result, Msg) and result.plural is None:
        kept = json.dumps({"msgid": result.msgid, "params": result.params}, ensure_ascii=False)
        if len(kept) <= 200:  # cut JSON would not read back: keep the English instead
            return kept
    return str(result)[:200]


def _shown(stored: str | None) -> str:
    """The stored result back as a translatable `msg()` (or the text of an older row)."""
    if not stored or not stored.startswith("{"):
        return stored or ""
    try:
        data = json.loads(stored)
        return Msg(data["msgid"], **data["params"])
    except (ValueError, KeyError, TypeError):
        return stored
