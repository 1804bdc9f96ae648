"""SoapNote (the clinical record of a session) and its immutable versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class SoapNote(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "soap_notes"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'finalized')", name="ck_soap_notes_status"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600",
                        name="ck_soap_notes_duration"),
        CheckConstraint("lock_version >= 1", name="ck_soap_notes_lock_version"),
        # One note per appointment (amendments are rows of soap_note_versions); notes written
        # directly on a client have no appointment, and NULLs never collide.
        UniqueConstraint("appointment_id", name="uq_soap_notes_appointment"),
        Index("ix_soap_notes_workspace_client_created", "workspace_id", "client_id", "created_at"),
        Index("ix_soap_notes_workspace_appointment", "workspace_id", "appointment_id"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    client_id: uuid.UUID = Field(foreign_key="clients.id")
    appointment_id: uuid.UUID | None = Field(default=None, foreign_key="appointments.id")
    status: str = Field(default="draft", max_length=16)
    subjective_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    objective_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    assessment_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    plan_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    session_date: date | None = Field(default=None)
    duration_minutes: int | None = Field(default=None)
    # Optimistic locking: every save must name the version it read.
    lock_version: int = Field(default=1)
    finalized_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)


class SoapNoteVersion(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "soap_note_versions"
    __table_args__ = (
        UniqueConstraint("note_id", "version_number", name="uq_soap_note_versions_number"),
        CheckConstraint("version_number >= 1", name="ck_soap_note_versions_number"),
        Index("ix_soap_note_versions_workspace_note", "workspace_id", "note_id"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    note_id: uuid.UUID = Field(foreign_key="soap_notes.id")
    version_number: int
    subjective_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    objective_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    assessment_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    plan_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    amendment_reason_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    content_hash: str = Field(max_length=64)
    # Set on a version that records a file removed from the finalized note (its text is the
    # previous version's; the reason is amendment_reason_enc). No FK: see migration 0013.
    removed_attachment_id: uuid.UUID | None = Field(default=None)
    created_by: uuid.UUID = Field(foreign_key="users.id")
    created_at: datetime = timestamp(default_now=True)
