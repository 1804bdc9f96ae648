"""Client: a person the therapist treats. Every personal field is encrypted."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Index, LargeBinary
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class Client(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "clients"
    __table_args__ = (
        Index("ix_clients_workspace_archived", "workspace_id", "archived_at"),
        Index("ix_clients_workspace_email_index", "workspace_id", "email_index"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    # Set by the clients service before the first flush (sealed, never empty bytes).
    first_name_enc: bytes = Field(default=None, sa_type=LargeBinary, nullable=False)
    last_name_enc: bytes = Field(default=None, sa_type=LargeBinary, nullable=False)
    email_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    email_index: str | None = Field(default=None, max_length=64)
    phone_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    date_of_birth_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    address_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    emergency_contact_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    intake_notes_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    # The client asked not to get appointment reminders (no email: none are sent anyway).
    reminders_opt_out: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # A legal hold (litigation, an authority's request) blocks erasure; its reason is encrypted.
    legal_hold: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    legal_hold_reason_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)
    archived_at: datetime | None = timestamp(nullable=True)
