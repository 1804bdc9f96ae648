"""Scheduled work: per-kind job status, and the claim rows that make mails idempotent."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class JobRun(SQLModel, table=True):
    """Last run and last error of one job kind for the whole instance.

    Not workspace-scoped on purpose: a job (the sweeper, the reminder scan) runs for every
    workspace at once, and the row holds no practice data: times, counts, an exception's
    type name (never its message, which can carry PII)."""

    __tablename__ = "job_runs"

    kind: str = Field(primary_key=True, max_length=64)
    last_started_at: datetime | None = timestamp(nullable=True)
    last_finished_at: datetime | None = timestamp(nullable=True)
    last_success_at: datetime | None = timestamp(nullable=True)
    last_error_at: datetime | None = timestamp(nullable=True)
    last_error: str | None = Field(default=None, max_length=200)
    last_result: str | None = Field(default=None, max_length=200)
    runs: int = Field(default=0)
    failures: int = Field(default=0)


class ReminderDelivery(SQLModel, WorkspaceScoped, table=True):
    """One reminder of one appointment for one start time: the unique key is the claim, so a
    retry, a second scan or a second worker never mails it twice."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'skipped')", name="ck_reminder_deliveries_status"),
        UniqueConstraint("appointment_id", "offset_minutes", "starts_at", name="uq_reminder_deliveries_key"),
        Index("ix_reminder_deliveries_workspace_appointment", "workspace_id", "appointment_id"),
        Index("ix_reminder_deliveries_status", "status", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id")
    offset_minutes: int
    starts_at: datetime = timestamp()  # the start this reminder announces
    status: str = Field(default="pending", max_length=16)
    outcome: str | None = Field(default=None, max_length=32)  # why skipped (moved, cancelled, opted out ...)
    created_at: datetime = timestamp(default_now=True)
    sent_at: datetime | None = timestamp(nullable=True)


class ClientResponse(SQLModel, WorkspaceScoped, table=True):
    """A client's answer through a reminder link; unseen cancellations are the therapist's badge."""

    __tablename__ = "client_responses"
    __table_args__ = (
        CheckConstraint("action IN ('confirmed', 'cancelled')", name="ck_client_responses_action"),
        Index("ix_client_responses_workspace_seen", "workspace_id", "seen_at"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id")
    action: str = Field(max_length=16)
    created_at: datetime = timestamp(default_now=True)
    seen_at: datetime | None = timestamp(nullable=True)


class AgendaDelivery(SQLModel, WorkspaceScoped, table=True):
    """The daily agenda mailed to one user for one (local) day: at most once."""

    __tablename__ = "agenda_deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_agenda_deliveries_user_day"),
        Index("ix_agenda_deliveries_workspace_user", "workspace_id", "user_id"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    day: date
    created_at: datetime = timestamp(default_now=True)
