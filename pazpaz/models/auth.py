"""Sign-in links and sessions: only SHA-256 hashes of their tokens are stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class MagicLinkToken(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "magic_link_tokens"
    __table_args__ = (
        # 'invite' is no longer issued (invitations have their own table); kept for old rows.
        CheckConstraint("purpose IN ('signin', 'signup', 'invite')", name="ck_magic_link_purpose"),
        Index("ix_magic_link_tokens_workspace_user", "workspace_id", "user_id"),
    )

    id: uuid.UUID = uuid_pk()
    token_hash: str = Field(max_length=64, unique=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    purpose: str = Field(max_length=16, default="signin")
    next_path: str = Field(max_length=200, default="/")
    created_at: datetime = timestamp(default_now=True)
    expires_at: datetime = timestamp()
    used_at: datetime | None = timestamp(nullable=True)


class AuthSession(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_workspace_user", "workspace_id", "user_id"),)

    id: uuid.UUID = uuid_pk()
    token_hash: str = Field(max_length=64, unique=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    created_at: datetime = timestamp(default_now=True)
    last_seen_at: datetime = timestamp(default_now=True)
    expires_at: datetime = timestamp()
    revoked_at: datetime | None = timestamp(nullable=True)
    revoke_reason: str | None = Field(default=None, max_length=32)
    # What Settings > Security shows: a short device label parsed at sign-in (never the raw
    # user agent) and the sign-in address cut to its network (/24, /48), encrypted.
    device_label: str | None = Field(default=None, max_length=64)
    ip_encrypted: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
