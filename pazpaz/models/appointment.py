"""Appointment: a booked time with a client (stored in UTC)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped

APPOINTMENT_STATUSES = ("scheduled", "confirmed", "attended", "cancelled", "no_show")
ACTIVE_STATUSES = ("scheduled", "confirmed", "attended")


class Appointment(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ck_appointments_time_order"),
        # Bounded length keeps conflict searches to a short index range.
        CheckConstraint("ends_at - starts_at <= interval '12 hours'", name="ck_appointments_max_length"),
        CheckConstraint(
            "status IN ('scheduled', 'confirmed', 'attended', 'cancelled', 'no_show')",
            name="ck_appointments_status",
        ),
        Index("ix_appointments_workspace_starts", "workspace_id", "starts_at"),
        Index("ix_appointments_workspace_client_starts", "workspace_id", "client_id", "starts_at"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    client_id: uuid.UUID = Field(foreign_key="clients.id")
    service_id: uuid.UUID | None = Field(default=None, foreign_key="services.id")
    location_id: uuid.UUID | None = Field(default=None, foreign_key="locations.id")
    starts_at: datetime = timestamp()
    ends_at: datetime = timestamp()
    status: str = Field(default="scheduled", max_length=16)
    notes_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    series_id: uuid.UUID | None = Field(default=None)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)
