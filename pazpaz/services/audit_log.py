"""The owner's view of the audit trail: filter, paginate, export as CSV.

Rows hold ids only (docs/ARCHITECTURE.md "Audit"); who did it, what it means and which record
it touched are resolved when the log is read: the user's name, the action's words
(services/audit_actions.py), a client's initials or an appointment's time in the practice zone.
A record erased since reads as "(removed)". The words come back in the reader's language
(`language`: the tab's on the page and in its CSV; English for the REST API).
"""

from __future__ import annotations

import csv
import functools
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from pazpaz import i18n
from pazpaz.i18n import N_
from pazpaz.models import Appointment, Attachment, AuditEvent, Client, Location, PlanOfCare, Service, SoapNote, User
from pazpaz.services import audit, crypto, formatting, paging, workspaces
from pazpaz.services.audit_actions import readable
from pazpaz.services.conflicts import initials
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
    when: str  # 2026-11-30 16:05:09 in the practice zone (CSV and API: sortable, to the second)
    user: str
    action: str
    entity_type: str
    entity_id: str
    ip: str
    when_text: str = ""  # 30 Nov 2026, 16:05 (services/formatting.py): the page's "when"
    who: str = ""  # the user's name; "A client (mailed link)" or "PazPaz (automatic)" without one
    what: str = ""  # "Opened a client's timeline"
    record: str = ""  # "M.C.", "1 Dec 2026, 10:00 · M.C.", "Massage 60", "(removed)"

REMOVED = N_("(removed)")
NOTE, FILE, PLAN = N_("Note"), N_("File"), N_("Plan of care")
# A row about a kind of record rather than one record (a list read, an import) says the kind.
ENTITY_WORDS = {"appointment": N_("Appointment"), "attachment": FILE, "client": N_("Client"), "soap_note": NOTE,
                "plan_of_care": PLAN, "service": N_("Service"), "location": N_("Location"), "user": N_("User"),
                "api_token": N_("API token"), "audit_event": N_("Audit log"), "backup": N_("Backup"),
                "calendar_feed": N_("Calendar feed"), "client_response": N_("Client responses"),
                "export": N_("Export"), "invitation": N_("Invitation"), "session": N_("Device session"),
                "workspace": N_("Practice"), "workspace_key": N_("Encryption key"), "goal": N_("Goal"),
                "milestone": N_("Milestone")}


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
    if start and end and start > end:
        # Said at the date fields, not answered with an empty log.
        errors["end"] = N_("The To date is before the From date. Choose a To date on or after the From date.")
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


def _ids(events: list[AuditEvent], *types: str) -> list[uuid.UUID]:
    return list({e.entity_id for e in events if e.entity_type in types and e.entity_id is not None})


def _fetch(session: Session, model: type, ids: list[uuid.UUID]) -> list:
    return list(session.exec(select(model).where(model.id.in_(ids))).all()) if ids else []


class _Records:
    """Resolves entity ids to the few words the log shows, a handful of queries per page."""

    def __init__(self, session: Session, events: list[AuditEvent], names: dict[uuid.UUID, str], zone: str,
                 language: str) -> None:
        self.session, self.names, self.zone, self.language = session, names, zone, language
        self.removed = i18n.translate(language, REMOVED)
        self.text: dict[tuple[str, uuid.UUID], str] = {}
        self._clients: dict[uuid.UUID, str] = {}
        self._load(events)

    def _initials(self, client_ids: set[uuid.UUID]) -> None:
        for row in _fetch(self.session, Client, [c for c in client_ids if c not in self._clients]):
            self._clients[row.id] = initials(crypto.unseal(self.session, row, "first_name_enc") or "",
                                             crypto.unseal(self.session, row, "last_name_enc") or "")

    def _client(self, client_id: uuid.UUID | None) -> str:
        return self._clients.get(client_id, self.removed) if client_id else self.removed

    def _load(self, events: list[AuditEvent]) -> None:
        session, words = self.session, functools.partial(i18n.translate, self.language)
        appointments = _fetch(session, Appointment, _ids(events, "appointment"))
        notes = _fetch(session, SoapNote, _ids(events, "soap_note"))
        files = _fetch(session, Attachment, _ids(events, "attachment"))
        plans = _fetch(session, PlanOfCare, _ids(events, "plan_of_care"))
        self._initials({*_ids(events, "client"), *(r.client_id for r in (*appointments, *notes, *files, *plans))})
        for client_id in _ids(events, "client"):
            self.text[("client", client_id)] = self._client(client_id)
        for a in appointments:
            when = formatting.format_datetime(a.starts_at, language=self.language, zone=self.zone)
            self.text[("appointment", a.id)] = f"{when} · {self._client(a.client_id)}"
        for n in notes:
            day = f" {formatting.format_date(n.session_date, language=self.language)}" if n.session_date else ""
            self.text[("soap_note", n.id)] = f"{words(NOTE)}{day} · {self._client(n.client_id)}"
        for f in files:
            self.text[("attachment", f.id)] = f"{words(FILE)} · {self._client(f.client_id)}"
        for p in plans:
            self.text[("plan_of_care", p.id)] = f"{words(PLAN)} · {self._client(p.client_id)}"
        for model, kind in ((Service, "service"), (Location, "location")):
            for row in _fetch(session, model, _ids(events, kind)):
                self.text[(kind, row.id)] = row.name

    def of(self, event: AuditEvent) -> str:
        kind, entity_id = event.entity_type or "", event.entity_id
        if not kind:
            return ""
        if kind == "user" and entity_id is not None:
            return self.names.get(entity_id) or self.removed
        if entity_id is not None and (kind, entity_id) in self.text:
            return self.text[(kind, entity_id)]
        if kind in ("client", "appointment", "soap_note", "attachment", "plan_of_care", "service", "location") \
                and entity_id is not None:
            return self.removed
        known = ENTITY_WORDS.get(kind)
        return i18n.translate(self.language, known) if known else kind.replace("_", " ").capitalize()


def _who(event: AuditEvent, names: dict[uuid.UUID, str], language: str) -> str:
    if event.user_id and names.get(event.user_id):
        return names[event.user_id]
    if event.user_id:
        return i18n.translate(language, N_("A removed user"))
    if (event.details or {}).get("actor") == "client":
        return i18n.translate(language, N_("A client (mailed link)"))
    return i18n.translate(language, N_("PazPaz (automatic)"))


def _rows(session: Session, events: list[AuditEvent], names: dict[uuid.UUID, str], zone: ZoneInfo,
          language: str) -> list[AuditRow]:
    records = _Records(session, events, names, str(zone), language)
    return [
        AuditRow(
            when=e.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            user=names.get(e.user_id, "") if e.user_id else "",
            action=e.action,
            entity_type=e.entity_type or "",
            entity_id=str(e.entity_id) if e.entity_id else "",
            ip=e.ip or "",
            when_text=formatting.format_datetime(e.occurred_at, language=language, zone=str(zone)),
            who=_who(e, names, language),
            what=readable(e.action, language),
            record=records.of(e),
        )
        for e in events
    ]


def list_events(actor: Actor, flt: AuditFilter, page: int = 1, page_size: int = 50, *,
                language: str = i18n.DEFAULT_LANGUAGE) -> AuditPage:
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
            rows=_rows(session, events, names, zone, language), total=total, page=page, pages=pages,
            users=sorted(((str(k), v) for k, v in names.items()), key=lambda kv: kv[1].lower()),
            entity_types=sorted(entity_types), actions=sorted(actions),
        )


def _cell(value: str) -> str:
    """Keep spreadsheet apps from running a user's name as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(actor: Actor, flt: AuditFilter, *, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """The log as CSV: stable machine headers; the readable columns in `language`."""
    actor.require_owner()
    with workspace_session(actor) as session:
        clauses = _where(session, actor, flt)
        zone = workspaces.time_zone(session, actor.workspace_id)
        events = session.exec(
            select(AuditEvent).where(*clauses).order_by(AuditEvent.occurred_at.desc()).limit(EXPORT_LIMIT)
        ).all()
        rows = _rows(session, events, _user_names(session), zone, language)
        audit.record(session, "audit.exported", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="audit_event", context=actor.context, details={"count": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    # The readable columns first (as on the page), then the codes and ids for other programs.
    writer.writerow(["time", "who", "what", "record", "action", "entity_type", "entity_id", "ip"])
    for row in rows:
        writer.writerow([_cell(row.when), _cell(row.who), row.what, _cell(row.record), row.action, row.entity_type,
                         row.entity_id, row.ip])
    return out.getvalue()
