"""Backup codes and half-finished sign-ins (link used, second step pending)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class BackupCode(SQLModel, WorkspaceScoped, table=True):
    """One single-use recovery code; only its argon2 hash is stored."""

    __tablename__ = "backup_codes"
    __table_args__ = (Index("ix_backup_codes_workspace_user", "workspace_id", "user_id"),)

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    code_hash: str = Field(max_length=200)
    created_at: datetime = timestamp(default_now=True)
    used_at: datetime | None = timestamp(nullable=True)


class PendingSignIn(SQLModel, WorkspaceScoped, table=True):
    """The server-side half of a sign-in whose link was used but whose second step
    (a code, or enrolment when the practice requires it) is not done. No session exists
    until it is; its token (hash stored) lives in a short-lived cookie."""

    __tablename__ = "pending_signins"
    __table_args__ = (
        CheckConstraint("stage IN ('code', 'enrol')", name="ck_pending_signins_stage"),
        Index("ix_pending_signins_workspace_user", "workspace_id", "user_id"),
    )

    id: uuid.UUID = uuid_pk()
    token_hash: str = Field(max_length=64, unique=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    stage: str = Field(max_length=8)
    next_path: str = Field(max_length=200, default="/")
    created_at: datetime = timestamp(default_now=True)
    expires_at: datetime = timestamp()
    used_at: datetime | None = timestamp(nullable=True)
