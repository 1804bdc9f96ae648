"""DataExport: one requested export (a client's record, or the whole practice), built in the
background into an encrypted file and downloaded through a short-lived signed link."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class DataExport(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "data_exports"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'expired')", name="ck_data_exports_status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="ck_data_exports_progress"),
        Index("ix_data_exports_workspace_created", "workspace_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    client_id: uuid.UUID | None = Field(default=None, foreign_key="clients.id")  # None: the whole practice
    status: str = Field(default="queued", max_length=16)
    progress: int = Field(default=0)
    size_bytes: int | None = Field(default=None)
    error: str | None = Field(default=None, max_length=100)  # an exception's type, never its message
    created_at: datetime = timestamp(default_now=True)
    finished_at: datetime | None = timestamp(nullable=True)
    expires_at: datetime | None = timestamp(nullable=True)
