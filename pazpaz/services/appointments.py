"""Appointments: book (once or weekly), edit, move, change status, read the schedule.

Times arrive as local wall-clock strings from the browser's date-time inputs, are stored
in UTC and shown in the workspace's time zone. Every booking and move goes through
conflicts.find_conflicts inside _schedule_write(), which holds the schedule's advisory lock
so that of N simultaneous bookings of one slot exactly one succeeds; overriding a conflict
is explicit and audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, func
from sqlmodel import Session, select

from pazpaz.i18n import N_, msg, nmsg
from pazpaz.models import ACTIVE_STATUSES, APPOINTMENT_STATUSES, Appointment, Client, Location, Service, SoapNote
from pazpaz.models.base import utcnow
from pazpaz.services import audit, clock, crypto, workspaces
from pazpaz.services.conflicts import MAX_DURATION, Conflict, find_conflicts, lock_schedule
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.recurrence import Recurrence, expand, local_wall_time, place
from pazpaz.services.scope import Actor, read_session, scoped, workspace_session

SCOPES = ("this", "following", "all")
TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"confirmed", "attended", "cancelled", "no_show"}),
    "confirmed": frozenset({"scheduled", "attended", "cancelled", "no_show"}),
    # Corrections a therapist needs; refused once a finalized note exists (see _check_transition).
    "attended": frozenset({"scheduled", "confirmed", "no_show"}),
    "no_show": frozenset({"scheduled", "confirmed", "attended"}),
    "cancelled": frozenset({"scheduled", "confirmed"}),
}
STATUS_LABELS = {"scheduled": N_("Scheduled"), "confirmed": N_("Confirmed"), "attended": N_("Attended"),
                 "cancelled": N_("Cancelled"), "no_show": N_("No-show")}
# The statuses inside a sentence (translated with it).
STATUS_WORDS = {"scheduled": N_("scheduled"), "confirmed": N_("confirmed"), "attended": N_("attended"),
                "cancelled": N_("cancelled"), "no_show": N_("no-show")}


class ConflictsFound(ServiceError):
    """The booking overlaps others; the caller may retry with override=True."""

    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(nmsg("This time overlaps {count} other appointment.",
                              "This time overlaps {count} other appointments.", len(conflicts)))
        self.conflicts = conflicts


@dataclass(frozen=True)
class AppointmentInput:
    client_id: str
    start: str  # "YYYY-MM-DDTHH:MM", workspace-local
    end: str = ""  # empty: start + duration
    duration_minutes: str = ""  # empty: the service's default
    service_id: str = ""
    location_id: str = ""
    notes: str = ""


@dataclass(frozen=True)
class AppointmentView:
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    starts_at: datetime  # workspace-local, aware
    ends_at: datetime
    status: str
    service_id: uuid.UUID | None
    service_name: str
    location_id: uuid.UUID | None
    location_name: str
    location_kind: str
    where: str  # address or video link; a home visit without one uses the client's address
    series_id: uuid.UUID | None
    notes: str | None = None


@dataclass
class Resolved:
    client: Client
    start: datetime
    end: datetime
    service: Service | None
    location: Location | None
    notes: str
    errors: dict[str, str] = field(default_factory=dict)


def workspace_zone(session: Session, workspace_id: uuid.UUID) -> ZoneInfo:
    return workspaces.time_zone(session, workspace_id)


def parse_local(value: str, zone: ZoneInfo) -> datetime | None:
    try:
        wall = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    return place(wall, zone)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        return None


@contextmanager
def _schedule_write(actor: Actor) -> Iterator[Session]:
    """A workspace session holding the schedule lock: the one way into a conflict-checked write."""
    with workspace_session(actor) as session:
        lock_schedule(session, actor.workspace_id)
        yield session


def _length_errors(start: datetime, end: datetime) -> dict[str, str]:
    if end <= start:
        return {"end": "The end must be after the start."}
    if end - start > MAX_DURATION:
        return {"end": "An appointment can last at most 12 hours."}
    return {}


def _date_errors(starts: list[datetime], zone: ZoneInfo, field: str = "start") -> dict[str, str]:
    """Appointments lie between clock.EARLIEST_DATE and HORIZON_YEARS ahead (local dates)."""
    today = clock.today(zone)
    for start in starts:
        message = clock.out_of_range(start.astimezone(zone).date(), today)
        if message:
            return {field: message}
    return {}


def _resolve(session: Session, data: AppointmentInput, zone: ZoneInfo) -> Resolved:
    errors: dict[str, str] = {}
    client = None
    client_id = _uuid(data.client_id)
    if client_id is not None:
        client = session.exec(select(Client).where(Client.id == client_id)).first()
    if client is None:
        errors["client_id"] = N_("Choose a client.")
    service = location = None
    if data.service_id:
        service_id = _uuid(data.service_id)
        service = session.exec(select(Service).where(Service.id == service_id)).first() if service_id else None
        if service is None:
            errors["service_id"] = N_("Choose a service from the list.")
    if data.location_id:
        location_id = _uuid(data.location_id)
        location = session.exec(select(Location).where(Location.id == location_id)).first() if location_id else None
        if location is None:
            errors["location_id"] = N_("Choose a location from the list.")
    start = parse_local(data.start, zone) if data.start else None
    if start is None:
        errors["start"] = N_("Enter the start date and time.")
    end = None
    if data.end:
        end = parse_local(data.end, zone)
        if end is None:
            errors["end"] = N_("Enter the end date and time.")
    elif start is not None:
        minutes = None
        if data.duration_minutes:
            try:
                minutes = int(data.duration_minutes)
            except ValueError:
                errors["duration_minutes"] = N_("Enter the duration in minutes.")
        elif service is not None:
            minutes = service.default_duration_minutes
        if minutes is None and "duration_minutes" not in errors:
            errors["end"] = N_("Enter an end time or choose a service with a default duration.")
        elif minutes is not None:
            end = start + timedelta(minutes=minutes)
    if start and end:
        errors.update(_length_errors(start, end))
    if start:
        errors.update(_date_errors([start], zone))
    if len(data.notes) > 5000:
        errors["notes"] = N_("Keep the notes under 5,000 characters.")
    if errors:
        raise ValidationFailed(errors)
    return Resolved(client, start, end, service, location, data.notes.strip())


def _audit_override(session: Session, actor: Actor, appointment_id: uuid.UUID, conflicts: list[Conflict]) -> None:
    audit.record(session, "appointment.conflict_override", workspace_id=actor.workspace_id, user_id=actor.user_id,
                 entity_type="appointment", entity_id=appointment_id, context=actor.context,
                 details={"conflicting": [str(c.appointment_id) for c in conflicts]})


def check_times(actor: Actor, start: str, end: str = "", duration_minutes: str = "", service_id: str = "",
                exclude_id: uuid.UUID | None = None) -> list[Conflict]:
    """Live check while the therapist picks a time: conflicts for a single slot."""
    with read_session(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        start_at = parse_local(start, zone)
        if start_at is None:
            return []
        end_at = parse_local(end, zone) if end else None
        if end_at is None:
            minutes = int(duration_minutes) if duration_minutes.isdigit() else None
            if minutes is None and _uuid(service_id):
                service = session.exec(select(Service).where(Service.id == _uuid(service_id))).first()
                minutes = service.default_duration_minutes if service else None
            if minutes is None:
                return []
            end_at = start_at + timedelta(minutes=minutes)
        if end_at <= start_at:
            return []
        return find_conflicts(session, start_at, end_at, [exclude_id] if exclude_id else [])


def conflicts_between(actor: Actor, start: datetime, end: datetime,
                      exclude_id: uuid.UUID | None = None) -> tuple[list[Conflict], ZoneInfo]:
    """The API's check for aware times: the conflicts and the zone to show them in, from
    one read session."""
    with read_session(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        if end <= start:
            return [], zone
        found = find_conflicts(session, start.astimezone(UTC), end.astimezone(UTC), [exclude_id] if exclude_id else [])
        return found, zone


def create_appointment(actor: Actor, data: AppointmentInput, recurrence: Recurrence | None = None,
                       override: bool = False) -> list[uuid.UUID]:
    """Book one appointment, or a weekly series; all occurrences or none are saved."""
    with _schedule_write(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        resolved = _resolve(session, data, zone)
        slots = ([(resolved.start, resolved.end)] if recurrence is None
                 else expand(resolved.start, resolved.end - resolved.start, recurrence, zone))
        # The first start was checked by _resolve; a later occurrence past the horizon is the series' end.
        errors = _date_errors([start for start, _ in slots], zone,
                              field="start" if recurrence is None else "until" if recurrence.until else "count")
        if errors:
            raise ValidationFailed(errors)
        conflicts = {slot: find_conflicts(session, *slot) for slot in slots}
        # Occurrences of the same new series can't overlap each other (weekly, <= 12 h).
        found = [c for cs in conflicts.values() for c in cs]
        if found and not override:
            raise ConflictsFound(found)
        series_id = uuid.uuid4() if recurrence is not None else None
        ids = []
        for slot in slots:
            row = Appointment(id=uuid.uuid4(), workspace_id=actor.workspace_id, client_id=resolved.client.id,
                              service_id=resolved.service.id if resolved.service else None,
                              location_id=resolved.location.id if resolved.location else None,
                              starts_at=slot[0], ends_at=slot[1], status="scheduled", series_id=series_id)
            crypto.seal(session, row, "notes_enc", resolved.notes or None)
            session.add(row)
            ids.append(row.id)
            audit.record(session, "appointment.created", workspace_id=actor.workspace_id, user_id=actor.user_id,
                         entity_type="appointment", entity_id=row.id, context=actor.context,
                         details={"series": bool(series_id)})
            if conflicts[slot]:
                _audit_override(session, actor, row.id, conflicts[slot])
        return ids


def _get(session: Session, appointment_id: uuid.UUID) -> Appointment:
    row = session.exec(select(Appointment).where(Appointment.id == appointment_id)).first()
    if row is None:
        raise NotFound(N_("Appointment not found."))
    return row


def _targets(session: Session, row: Appointment, scope: str) -> list[Appointment]:
    if scope not in SCOPES:
        raise ValidationFailed({"scope": N_("Choose this appointment, this and following, or all.")})
    if scope == "this" or row.series_id is None:
        return [row]
    statement = select(Appointment).where(Appointment.series_id == row.series_id)
    if scope == "following":
        statement = statement.where(Appointment.starts_at >= row.starts_at)
    return list(session.exec(statement.order_by(Appointment.starts_at)).all())


def update_appointment(actor: Actor, appointment_id: uuid.UUID, data: AppointmentInput, scope: str = "this",
                       override: bool = False) -> list[uuid.UUID]:
    """Edit or move. For a series, the wall-clock shift and new length apply to each target."""
    with _schedule_write(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        row = _get(session, appointment_id)
        resolved = _resolve(session, data, zone)
        targets = _targets(session, row, scope)
        shift = local_wall_time(resolved.start, zone) - local_wall_time(row.starts_at, zone)
        duration = resolved.end - resolved.start
        planned = []
        for target in targets:
            start = place(local_wall_time(target.starts_at, zone) + shift, zone)
            planned.append((target, start, start + duration))
        errors = _date_errors([start for _, start, _ in planned], zone)
        if errors:
            raise ValidationFailed(errors)
        excluded = [t.id for t in targets]
        conflicts = {t.id: find_conflicts(session, s, e, excluded) for t, s, e in planned
                     if t.status in ACTIVE_STATUSES}
        found = [c for cs in conflicts.values() for c in cs]
        if found and not override:
            raise ConflictsFound(found)
        for target, start, end in planned:
            target.client_id = resolved.client.id
            target.service_id = resolved.service.id if resolved.service else None
            target.location_id = resolved.location.id if resolved.location else None
            target.starts_at, target.ends_at, target.updated_at = start, end, utcnow()
            crypto.seal(session, target, "notes_enc", resolved.notes or None)
            audit.record(session, "appointment.updated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                         entity_type="appointment", entity_id=target.id, context=actor.context,
                         details={"scope": scope})
            if conflicts.get(target.id):
                _audit_override(session, actor, target.id, conflicts[target.id])
        return excluded


def move_appointment(actor: Actor, appointment_id: uuid.UUID, new_start: str, new_end: str = "",
                     override: bool = False) -> None:
    """Drag and drop on the calendar: only the times change (an empty end keeps the length),
    through the same conflict rules as any booking."""
    with _schedule_write(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        row = _get(session, appointment_id)
        start = parse_local(new_start, zone)
        if start is None:
            raise ValidationFailed({"start": N_("Enter the start date and time.")})
        end = parse_local(new_end, zone) if new_end else start + (row.ends_at - row.starts_at)
        if end is None:
            raise ValidationFailed({"end": N_("Enter the end date and time.")})
        errors = _length_errors(start, end) or _date_errors([start], zone)
        if errors:
            raise ValidationFailed(errors)
        found = find_conflicts(session, start, end, [row.id]) if row.status in ACTIVE_STATUSES else []
        if found and not override:
            raise ConflictsFound(found)
        row.starts_at, row.ends_at, row.updated_at = start, end, utcnow()
        audit.record(session, "appointment.updated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="appointment", entity_id=row.id, context=actor.context,
                     details={"scope": "this", "moved": True})
        if found:
            _audit_override(session, actor, row.id, found)


def _has_final_note(session: Session, appointment_id: uuid.UUID) -> bool:
    return session.exec(select(exists().where(SoapNote.appointment_id == appointment_id,
                                              SoapNote.status == "finalized"))).one()


def set_status(actor: Actor, appointment_id: uuid.UUID, status: str, scope: str = "this",
               override: bool = False) -> list[uuid.UUID]:
    if status not in TRANSITIONS:
        raise ValidationFailed({"status": N_("Unknown status.")})
    # Restoring a cancelled or no-show appointment is a booking again: same lock, same check.
    with _schedule_write(actor) as session:
        row = _get(session, appointment_id)
        targets = [t for t in _targets(session, row, scope) if t.status != status]
        for target in targets:
            if status not in TRANSITIONS[target.status]:
                raise ServiceError(msg("An appointment that is {current} can't be marked {target}.",
                                       current=msg(STATUS_WORDS[target.status]), target=msg(STATUS_WORDS[status])))
            if target.status == "attended" and _has_final_note(session, target.id):
                raise ServiceError(N_("This appointment has a finalized session note, so it stays attended."))
        reviving = status in ACTIVE_STATUSES
        excluded = [t.id for t in targets]
        for target in targets:
            if reviving and target.status in ("cancelled", "no_show"):
                found = find_conflicts(session, target.starts_at, target.ends_at, excluded)
                if found and not override:
                    raise ConflictsFound(found)
                if found:
                    _audit_override(session, actor, target.id, found)
            audit.record(session, "appointment.status_changed", workspace_id=actor.workspace_id,
                         user_id=actor.user_id, entity_type="appointment", entity_id=target.id,
                         context=actor.context, details={"from": target.status, "to": status, "scope": scope})
            target.status, target.updated_at = status, utcnow()
        return excluded


def _views(session: Session, workspace_id: uuid.UUID, rows: list, zone: ZoneInfo) -> list[AppointmentView]:
    """Rows of _joined() into views; only the client's name (and, for a home visit with no
    address of its own, the client's address) is decrypted."""
    def open_(table: str, column: str, row_id: uuid.UUID, blob: bytes | None) -> str:
        return crypto.opened_text(session, workspace_id, table, column, row_id, blob)

    # A client's name is opened once per read: a window of weeks holds most clients many times
    # (weekly sessions), and each opening is an AES-GCM decryption (docs/ARCHITECTURE.md "Read path").
    names: dict[uuid.UUID, str] = {}
    views = []
    with_notes = bool(rows) and "notes_enc" in rows[0]._fields  # once: _fields is built per access
    for row in rows:
        name = names.get(row.client_id)
        if name is None:
            first = open_("clients", "first_name_enc", row.client_id, row.first_name_enc)
            last = open_("clients", "last_name_enc", row.client_id, row.last_name_enc)
            name = names[row.client_id] = f"{first} {last}".strip()
        kind = row.location_kind or ""
        where = ""
        if kind == "online":
            where = row.video_link or ""
        elif kind:
            where = row.location_address or (open_("clients", "address_enc", row.client_id, row.client_address_enc)
                                             if kind == "home" else "")
        notes = open_("appointments", "notes_enc", row.id, row.notes_enc) if with_notes else None
        views.append(AppointmentView(
            id=row.id, client_id=row.client_id, client_name=name,
            starts_at=row.starts_at.astimezone(zone), ends_at=row.ends_at.astimezone(zone), status=row.status,
            service_id=row.service_id, service_name=row.service_name or "", location_id=row.location_id,
            location_name=row.location_name or "", location_kind=kind, where=where, series_id=row.series_id,
            notes=notes,
        ))
    return views


def _joined(with_notes: bool = False):
    # Only the columns the views need: loading four whole entities per row costs more
    # than the query itself.
    columns = [
        Appointment.id, Appointment.client_id, Appointment.starts_at, Appointment.ends_at, Appointment.status,
        Appointment.service_id, Appointment.location_id, Appointment.series_id,
        Client.first_name_enc, Client.last_name_enc, Client.address_enc.label("client_address_enc"),
        Service.name.label("service_name"), Location.name.label("location_name"),
        Location.kind.label("location_kind"), Location.address.label("location_address"), Location.video_link,
    ]
    if with_notes:
        columns.append(Appointment.notes_enc)
    return (
        select(*columns)
        .join(Client, Client.id == Appointment.client_id)
        .outerjoin(Service, Service.id == Appointment.service_id)
        .outerjoin(Location, Location.id == Appointment.location_id)
    )


@lru_cache(maxsize=2)
def _week_statement(include_cancelled: bool):
    """The calendar's query, built once: only its bound values change between calls."""
    statement = _joined().where(Appointment.starts_at >= bindparam("range_start"),
                                Appointment.starts_at < bindparam("range_end"))
    if not include_cancelled:
        statement = statement.where(Appointment.status != "cancelled")
    return scoped(statement.order_by(Appointment.starts_at))


def schedule(actor: Actor, first_day: date, days: int = 7, include_cancelled: bool = True) -> list[AppointmentView]:
    """The calendar's read: appointments starting in [first_day, first_day + days) local time."""
    if not 1 <= days <= 84:
        raise ValidationFailed({"days": N_("Show between 1 and 84 days.")})
    with read_session(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        start = place(datetime.combine(first_day, time()), zone)
        end = place(datetime.combine(first_day + timedelta(days=days), time()), zone)
        rows = session.exec(_week_statement(include_cancelled),  # type: ignore[call-overload]
                            params={"range_start": start, "range_end": end}).all()
        views = _views(session, actor.workspace_id, rows, zone)
        audit.record_read(session, "appointment.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                          entity_type="appointment", context=actor.context,
                          details={"count": len(views), "days": days})
        return views


def get_appointment(actor: Actor, appointment_id: uuid.UUID, audit_read: bool = True) -> AppointmentView:
    with read_session(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        rows = session.exec(_joined(with_notes=True).where(Appointment.id == appointment_id)).all()
        if not rows:
            raise NotFound(N_("Appointment not found."))
        view = _views(session, actor.workspace_id, rows, zone)[0]
        if audit_read:
            audit.record_read(session, "appointment.read", workspace_id=actor.workspace_id, user_id=actor.user_id,
                              entity_type="appointment", entity_id=appointment_id, context=actor.context)
        return view


def client_appointments(actor: Actor, client_id: uuid.UUID, limit: int = 20) -> list[AppointmentView]:
    with read_session(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        rows = session.exec(_joined().where(Appointment.client_id == client_id)
                            .order_by(Appointment.starts_at.desc()).limit(limit)).all()
        return _views(session, actor.workspace_id, rows, zone)


LIST_SORTS = ("start", "-start")
MAX_LIST_RANGE = timedelta(days=366)


@dataclass(frozen=True)
class AppointmentPage:
    items: list[AppointmentView]
    total: int


def _list_clauses(by_client: bool, by_status: bool, by_location: bool) -> list:
    clauses = [Appointment.starts_at >= bindparam("range_start"), Appointment.starts_at < bindparam("range_end")]
    if by_client:
        clauses.append(Appointment.client_id == bindparam("client_id"))
    if by_status:
        clauses.append(Appointment.status == bindparam("status"))
    if by_location:
        clauses.append(Appointment.location_id == bindparam("location_id"))
    return clauses


@lru_cache(maxsize=16)
def _list_statement(by_client: bool, by_status: bool, by_location: bool, sort: str):
    """One page and, as a window count, its total; built once per filter combination."""
    order = Appointment.starts_at.desc() if sort == "-start" else Appointment.starts_at
    return scoped(_joined().add_columns(func.count().over().label("total"))
                  .where(*_list_clauses(by_client, by_status, by_location))
                  .order_by(order, Appointment.id).offset(bindparam("offset")).limit(bindparam("limit")))


@lru_cache(maxsize=8)
def _count_statement(by_client: bool, by_status: bool, by_location: bool):
    return scoped(select(func.count()).select_from(Appointment).where(*_list_clauses(by_client, by_status,
                                                                                     by_location)))


def list_range(actor: Actor, start: datetime, end: datetime, *, client_id: uuid.UUID | None = None,
               status: str | None = None, location_id: uuid.UUID | None = None, sort: str = "start",
               page: int = 1, page_size: int = 50) -> AppointmentPage:
    """Appointments starting in [start, end) (aware datetimes), filtered, one page of them:
    the REST API's list. Same joins, decryption and audit as the calendar's read."""
    errors: dict[str, str] = {}
    if start.tzinfo is None or end.tzinfo is None:
        errors["start"] = N_("Give times with their UTC offset.")
    elif end <= start:
        errors["end"] = N_("The end must be after the start.")
    elif end - start > MAX_LIST_RANGE:
        errors["end"] = N_("Ask for at most 366 days at a time.")
    if sort not in LIST_SORTS:
        errors["sort"] = N_("Sort by start or -start.")
    if status is not None and status not in APPOINTMENT_STATUSES:
        errors["status"] = N_("Unknown status.")
    if errors:
        raise ValidationFailed(errors)
    with read_session(actor) as session:
        zone = workspace_zone(session, actor.workspace_id)
        params = {"range_start": start, "range_end": end, "client_id": client_id, "status": status,
                  "location_id": location_id, "offset": (page - 1) * page_size, "limit": page_size}
        filters = (client_id is not None, status is not None, location_id is not None)
        rows = session.exec(_list_statement(*filters, sort), params=params).all()  # type: ignore[call-overload]
        # An empty page (past the end, or nothing there) still reports the total.
        total = rows[0].total if rows else session.exec(_count_statement(*filters),  # type: ignore[call-overload]
                                                        params=params).one()
        views = _views(session, actor.workspace_id, rows, zone)
        audit.record_read(session, "appointment.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                          entity_type="appointment", context=actor.context, details={"count": len(views)})
        return AppointmentPage(items=views, total=total)
