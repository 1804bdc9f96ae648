"""The owner's view of the audit trail: filter, paginate, export as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from pazpaz.i18n import N_
from pazpaz.models import AuditEvent, User
from pazpaz.services import audit, crypto, paging, workspaces
from pazpaz.services.errors import ValidationFailed
from pazpaz.services.scope import Actor, workspace_session

EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class AuditFilter:
    start: str = ""  # YYYY-MM-DD, in the workspace time zone
    end: str = ""
    user_id: str = ""
    entity_type: str = ""
    action: str = ""


@dataclass(frozen=True)
class AuditRow:
    when: str
    user: str
    action: str
    entity_type: str
    entity_id: str
    ip: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int
    users: list[tuple[str, str]]  # (id, name) for the filter
    entity_types: list[str]
    actions: list[str]


def _day(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = N_("Enter a date (YYYY-MM-DD).")
        return None


def _where(session: Session, actor: Actor, flt: AuditFilter) -> list:
    errors: dict[str, str] = {}
    zone = workspaces.time_zone(session, actor.workspace_id)
    start, end = _day(flt.start, "start", errors), _day(flt.end, "end", errors)
    clauses = []
    if flt.user_id:
        try:
            clauses.append(AuditEvent.user_id == uuid.UUID(flt.user_id))
        except ValueError:
            errors["user_id"] = N_("Choose a user from the list.")
    if errors:
        raise ValidationFailed(errors)
    if start:
        clauses.append(AuditEvent.occurred_at >= datetime.combine(start, time(), zone))
    if end:
        clauses.append(AuditEvent.occurred_at < datetime.combine(end + timedelta(days=1), time(), zone))
    if flt.entity_type:
        clauses.append(AuditEvent.entity_type == flt.entity_type)
    if flt.action:
        clauses.append(AuditEvent.action == flt.action)
    return clauses


def _user_names(session: Session) -> dict[uuid.UUID, str]:
    return {u.id: crypto.unseal(session, u, "name_encrypted") or "" for u in session.exec(select(User)).all()}


def _rows(events: list[AuditEvent], names: dict[uuid.UUID, str], zone: ZoneInfo) -> list[AuditRow]:
    return [
        AuditRow(
            when=e.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            user=names.get(e.user_id, "") if e.user_id else "",
            action=e.action,
            entity_type=e.entity_type or "",
            entity_id=str(e.entity_id) if e.entity_id else "",
            ip=e.ip or "",
        )
        for e in events
    ]


def list_events(actor: Actor, flt: AuditFilter, page: int = 1, page_size: int = 50) -> AuditPage:
    actor.require_owner()
    with workspace_session(actor) as session:
        clauses = _where(session, actor, flt)
        zone = workspaces.time_zone(session, actor.workspace_id)
        total = session.exec(select(func.count()).select_from(AuditEvent).where(*clauses)).one()
        page, pages = paging.clamp(total, page, page_size)
        events = session.exec(
            select(AuditEvent).where(*clauses).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id)
            .offset((page - 1) * page_size).limit(page_size)
        ).all()
        names = _user_names(session)
        entity_types = [t for t in session.exec(select(AuditEvent.entity_type).distinct()).all() if t]
        actions = list(session.exec(select(AuditEvent.action).distinct()).all())
        audit.record(session, "audit.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="audit_event", context=actor.context, details={"count": len(events)})
        return AuditPage(
            rows=_rows(events, names, zone), total=total, page=page, pages=pages,
            users=sorted(((str(k), v) for k, v in names.items()), key=lambda kv: kv[1].lower()),
            entity_types=sorted(entity_types), actions=sorted(actions),
        )


def _cell(value: str) -> str:
    """Keep spreadsheet apps from running a user's name as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(actor: Actor, flt: AuditFilter) -> str:
    actor.require_owner()
    with workspace_session(actor) as session:
        clauses = _where(session, actor, flt)
        zone = workspaces.time_zone(session, actor.workspace_id)
        events = session.exec(
            select(AuditEvent).where(*clauses).order_by(AuditEvent.occurred_at.desc()).limit(EXPORT_LIMIT)
        ).all()
        rows = _rows(events, _user_names(session), zone)
        audit.record(session, "audit.exported", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="audit_event", context=actor.context, details={"count": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "user", "action", "entity_type", "entity_id", "ip"])
    for row in rows:
        writer.writerow([_cell(row.when), _cell(row.user), row.action, row.entity_type, row.entity_id, row.ip])
    return out.getvalue()
