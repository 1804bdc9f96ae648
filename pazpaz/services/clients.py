"""Clients: create, edit, archive / restore, detail, and searchable paginated lists.

Names and contact details are encrypted, so search decrypts the workspace's client list
in memory (hundreds to a few thousand rows) instead of asking PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import func
from sqlmodel import Session, select

from pazpaz.i18n import N_
from pazpaz.models import Appointment, Client
from pazpaz.models.base import utcnow
from pazpaz.services import audit, crypto, paging, workspaces
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor, read_session, scoped, workspace_session

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth", "address", "emergency_contact")
CLINICAL_FIELDS = ("intake_notes",)
LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40, "address": 500,
          "emergency_contact": 300, "intake_notes": 20_000}
PHONE_RE = re.compile(r"^\+?[0-9 ().\-]{6,40}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SORTS = ("name", "last_visit")
MAX_PAGE_SIZE = 200  # the REST API allows up to 200 a page; the UI asks for 25
REQUIRED_NAMES = ("first_name", "last_name")


@dataclass(frozen=True)
class ClientInput:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    date_of_birth: str = ""  # YYYY-MM-DD, as a date input sends it
    address: str = ""
    emergency_contact: str = ""
    intake_notes: str | None = None  # None: leave unchanged / not allowed to see

    def cleaned(self) -> ClientInput:
        def tidy(value: str | None) -> str | None:
            return value.strip() if isinstance(value, str) else value

        return ClientInput(**{name: tidy(getattr(self, name)) for name in (*CONTACT_FIELDS, *CLINICAL_FIELDS)})


@dataclass(frozen=True)
class ClientView:
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    phone: str
    date_of_birth: str
    address: str
    emergency_contact: str
    intake_notes: str | None  # None for roles that may not read clinical content
    archived: bool
    last_visit: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class ClientPage:
    items: list[ClientView]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return paging.clamp(self.total, 1, self.page_size)[1]


@dataclass
class ListQuery:
    search: str = ""
    sort: str = "name"
    page: int = 1
    page_size: int = 25
    archived: bool = False


def validate(data: ClientInput, today: date | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.first_name:
        errors["first_name"] = N_("Enter the client's first name.")
    for name, limit in LIMITS.items():
        value = getattr(data, name)
        if value and len(value) > limit:
            errors[name] = f"Keep this under {limit} characters."
    if data.email and not EMAIL_RE.match(data.email):
        errors["email"] = N_("Enter an email address like name@example.com.")
    if data.phone and (not PHONE_RE.match(data.phone) or sum(c.isdigit() for c in data.phone) < 6):
        errors["phone"] = N_("Enter a phone number using digits, spaces, +, ( ) or -.")
    if data.date_of_birth:
        try:
            born = date.fromisoformat(data.date_of_birth)
        except ValueError:
            errors["date_of_birth"] = N_("Enter the date of birth as a date (YYYY-MM-DD).")
        else:
            if born > (today or date.today()) or born.year < 1900:
                errors["date_of_birth"] = N_("The date of birth must be between 1900 and today.")
    return errors


def _view(session: Session, row: Client, actor: Actor, last_visit: datetime | None = None) -> ClientView:
    def text(column: str) -> str:
        return crypto.unseal(session, row, column) or ""

    return ClientView(
        id=row.id,
        first_name=text("first_name_enc"),
        last_name=text("last_name_enc"),
        email=text("email_enc"),
        phone=text("phone_enc"),
        date_of_birth=text("date_of_birth_enc"),
        address=text("address_enc"),
        emergency_contact=text("emergency_contact_enc"),
        intake_notes=text("intake_notes_enc") if actor.is_owner else None,
        archived=row.archived_at is not None,
        last_visit=last_visit,
    )


def _write(session: Session, row: Client, data: ClientInput) -> list[str]:
    """Seal changed fields into row; returns the names of the fields that changed (no values)."""
    changed: list[str] = []
    fields = CONTACT_FIELDS + (CLINICAL_FIELDS if data.intake_notes is not None else ())
    for name in fields:
        column = f"{name}_enc"
        stored = getattr(row, column)
        new = getattr(data, name) or ""
        old = (crypto.unseal(session, row, column) or "") if stored else ""
        if stored is not None and new == old:
            continue
        if name in REQUIRED_NAMES:
            # Name columns are NOT NULL: an empty last name is still sealed.
            setattr(row, column, crypto.encrypt_field(session, row.workspace_id, "clients", column, row.id, new))
        else:
            crypto.seal(session, row, column, new or None)
        if new != old:
            changed.append(name)
    row.email_index = crypto.blind_index("client-email:" + data.email.lower()) if data.email else None
    return changed


def _check(actor: Actor, data: ClientInput) -> ClientInput:
    data = data.cleaned()
    if data.intake_notes is not None and not actor.is_owner:
        raise ServiceError(N_("Only the practice owner can write intake and medical notes."))
    errors = validate(data)
    if errors:
        raise ValidationFailed(errors)
    return data


def create_client(actor: Actor, data: ClientInput) -> uuid.UUID:
    data = _check(actor, data)
    with workspace_session(actor) as session:
        row = Client(id=uuid.uuid4(), workspace_id=actor.workspace_id)
        _write(session, row, data)
        session.add(row)
        audit.record(session, "client.created", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", entity_id=row.id, context=actor.context)
        return row.id


def import_clients(actor: Actor, rows: list[ClientInput]) -> list[uuid.UUID]:
    """Create many clients in one transaction: all valid rows are saved, or none."""
    cleaned = [_check(actor, data) for data in rows]
    with workspace_session(actor) as session:
        ids = []
        for data in cleaned:
            row = Client(id=uuid.uuid4(), workspace_id=actor.workspace_id)
            _write(session, row, data)
            session.add(row)
            ids.append(row.id)
        audit.record(session, "client.imported", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", context=actor.context, details={"count": len(ids)})
        return ids


def _get(session: Session, client_id: uuid.UUID) -> Client:
    # The choke point adds the workspace filter: another workspace's id is simply not found.
    row = session.exec(select(Client).where(Client.id == client_id)).first()
    if row is None:
        raise NotFound(N_("Client not found."))
    return row


def update_client(actor: Actor, client_id: uuid.UUID, data: ClientInput) -> list[str]:
    data = _check(actor, data)
    with workspace_session(actor) as session:
        row = _get(session, client_id)
        changed = _write(session, row, data)
        if changed:
            row.updated_at = utcnow()
        audit.record(session, "client.updated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", entity_id=row.id, context=actor.context, details={"fields": changed})
        return changed


def set_archived(actor: Actor, client_id: uuid.UUID, archived: bool) -> None:
    with workspace_session(actor) as session:
        row = _get(session, client_id)
        row.archived_at = utcnow() if archived else None
        audit.record(session, "client.archived" if archived else "client.restored", workspace_id=actor.workspace_id,
                     user_id=actor.user_id, entity_type="client", entity_id=row.id, context=actor.context)


def _last_visits(session: Session, workspace_id: uuid.UUID,
                 client_ids: list[uuid.UUID] | None = None) -> dict[uuid.UUID, datetime]:
    """Latest attended visit per client, in the workspace's time zone."""
    statement = (
        select(Appointment.client_id, func.max(Appointment.starts_at))
        .where(Appointment.status == "attended")
        .group_by(Appointment.client_id)
    )
    if client_ids is not None:
        statement = statement.where(Appointment.client_id.in_(client_ids))
    zone = workspaces.time_zone(session, workspace_id)
    return {client_id: when.astimezone(zone) for client_id, when in session.exec(statement).all()}


def get_client(actor: Actor, client_id: uuid.UUID) -> ClientView:
    with workspace_session(actor) as session:
        row = _get(session, client_id)
        view = _view(session, row, actor, _last_visits(session, actor.workspace_id, [row.id]).get(row.id))
        audit.record(session, "client.read", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", entity_id=row.id, context=actor.context)
        return view


def _matches(view: ClientView, needle: str, digits: str) -> bool:
    if needle in view.full_name.lower() or needle in f"{view.last_name} {view.first_name}".lower():
        return True
    if view.email and needle in view.email.lower():
        return True
    return len(digits) >= 3 and digits in re.sub(r"\D", "", view.phone)


def list_clients(actor: Actor, query: ListQuery) -> ClientPage:
    if query.sort not in SORTS:
        raise ValidationFailed({"sort": N_("Sort by name or last visit.")})
    page_size = min(max(query.page_size, 1), MAX_PAGE_SIZE)
    with workspace_session(actor) as session:
        archived = Client.archived_at.is_not(None) if query.archived else Client.archived_at.is_(None)
        rows = session.exec(select(Client).where(archived)).all()
        visits = _last_visits(session, actor.workspace_id)
        views = [_view(session, row, actor, visits.get(row.id)) for row in rows]
        needle = query.search.strip().lower()
        if needle:
            digits = re.sub(r"\D", "", needle)
            views = [v for v in views if _matches(v, needle, digits)]
        views.sort(key=lambda v: (v.last_name.lower(), v.first_name.lower(), str(v.id)))
        if query.sort == "last_visit":
            # Most recent visit first; never-seen clients last, still by name.
            views.sort(key=lambda v: (v.last_visit is None, -(v.last_visit.timestamp() if v.last_visit else 0)))
        total = len(views)
        page, _ = paging.clamp(total, query.page, page_size)
        items = views[(page - 1) * page_size: page * page_size]
        # One READ event for the list, not one per row; the search text itself may be PII.
        audit.record(session, "client.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", context=actor.context,
                     details={"count": len(items), "searched": bool(needle), "archived": query.archived})
        return ClientPage(items=items, total=total, page=page, page_size=page_size)


@lru_cache(maxsize=1)
def _choices_statement():
    """The picker's query, built once: only the columns it shows, no Client entities (building
    an ORM object per client cost more than the query: docs/ARCHITECTURE.md "Read path")."""
    return scoped(select(Client.id, Client.first_name_enc, Client.last_name_enc)
                  .where(Client.archived_at.is_(None)))


def client_choices(actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Active clients as (id, full name) for pickers, sorted by name. A read: its only write is
    the audit row (scope.read_session)."""
    with read_session(actor) as session:
        rows = session.exec(_choices_statement()).all()  # type: ignore[call-overload]
        names = [(row.id, " ".join(crypto.opened_text(session, actor.workspace_id, "clients", column, row.id,
                                                      getattr(row, column))
                                   for column in ("first_name_enc", "last_name_enc")).strip()) for row in rows]
        audit.record_read(session, "client.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                          entity_type="client", context=actor.context, details={"count": len(names), "picker": True})
    return sorted(names, key=lambda pair: pair[1].lower())


def require_client(actor: Actor, client_id: uuid.UUID) -> None:
    """NotFound unless the client is the workspace's: lists under a client (its notes, its
    files) answer "not found" for another workspace's id instead of an empty list."""
    with workspace_session(actor) as session:
        if session.exec(select(Client.id).where(Client.id == client_id)).first() is None:
            raise NotFound(N_("Client not found."))
