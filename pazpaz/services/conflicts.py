"""Conflict detection (DESIGN.md "Scheduling rules"): the one function every path that
books or moves an appointment calls.

Two appointments conflict when a.start < b.end and b.start < a.end in the same workspace,
counting only active statuses. Back-to-back is not a conflict.

A check followed by a write is only safe if no other writer checks in between, so every
write path takes lock_schedule() first (docs/ARCHITECTURE.md, "Concurrency").
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func
from sqlmodel import Session, select

from pazpaz.models import ACTIVE_STATUSES, Appointment, Client
from pazpaz.services import crypto
from pazpaz.services.scope import scoped

# Appointments are at most this long (a CHECK constraint holds it), so a conflict
# search only scans starts within this window before the new end: an index range scan.
MAX_DURATION = timedelta(hours=12)


@dataclass(frozen=True)
class Conflict:
    appointment_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    client_initials: str


def schedule_lock_key(workspace_id: uuid.UUID) -> int:
    """The advisory-lock key of one schedule. Today a workspace has one practitioner, so the
    workspace is the schedule; with several practitioners this becomes (workspace, practitioner).
    A hash keeps the key apart from the fixed keys used elsewhere (launcher, auth)."""
    digest = hashlib.sha256(b"pazpaz.schedule:" + workspace_id.bytes).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_schedule(session: Session, workspace_id: uuid.UUID) -> None:
    """Serialise writers of one schedule until the transaction ends (commit or rollback).

    Take it before reading anything the conflict check depends on: under READ COMMITTED the
    next statement then sees every booking committed by the previous holder."""
    session.execute(select(func.pg_advisory_xact_lock(schedule_lock_key(workspace_id))))


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def initials(first: str, last: str) -> str:
    return "".join(part[:1].upper() + "." for part in (first, last) if part)


@lru_cache(maxsize=2)
def _conflict_statement(with_exclusions: bool):
    """Built once (only bound values change): the query itself takes ~0.03 ms, so building
    and hashing a fresh statement per check was most of a check's cost."""
    end, start, earliest = bindparam("slot_end"), bindparam("slot_start"), bindparam("slot_earliest")
    statement = (
        select(Appointment.id, Appointment.starts_at, Appointment.ends_at, Client.id.label("client_id"),
               Client.workspace_id, Client.first_name_enc, Client.last_name_enc)
        .join(Client, Client.id == Appointment.client_id)
        .where(
            Appointment.starts_at < end,
            Appointment.starts_at > earliest,
            Appointment.ends_at > start,
            Appointment.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Appointment.starts_at)
    )
    if with_exclusions:
        statement = statement.where(Appointment.id.not_in(bindparam("excluded", expanding=True)))
    return scoped(statement)


def find_conflicts(
    session: Session, start: datetime, end: datetime, exclude_ids: Iterable[uuid.UUID] = ()
) -> list[Conflict]:
    """Active appointments overlapping [start, end) in the session's workspace."""
    excluded = list(exclude_ids)
    params = {"slot_start": start, "slot_end": end, "slot_earliest": start - MAX_DURATION, "excluded": excluded}
    conflicts = []
    for row in session.exec(_conflict_statement(bool(excluded)), params=params).all():  # type: ignore[call-overload]
        first = _open_name(session, row, "first_name_enc")
        last = _open_name(session, row, "last_name_enc")
        conflicts.append(Conflict(row.id, row.starts_at, row.ends_at, initials(first, last)))
    return conflicts


def _open_name(session: Session, row, column: str) -> str:
    blob = getattr(row, column)
    return crypto.opened_text(session, row.workspace_id, "clients", column, row.client_id, blob)
