"""AuditEvent: append-only record of every auth event and data access (ids, never content)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class AuditEvent(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_workspace_time", "workspace_id", "occurred_at"),)

    id: uuid.UUID = uuid_pk()
    # Nullable: a failed sign-in with an unknown token belongs to no workspace.
    workspace_id: uuid.UUID | None = Field(default=None, foreign_key="workspaces.id")
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=64)
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: uuid.UUID | None = Field(default=None)
    occurred_at: datetime = timestamp(default_now=True)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
