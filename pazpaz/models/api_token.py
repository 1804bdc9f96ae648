"""ApiToken: a personal access token for /api/v1 (only its SHA-256 is stored)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped

API_TOKEN_SCOPES = ("read", "read-write")


class ApiToken(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("scope IN ('read', 'read-write')", name="ck_api_tokens_scope"),
        Index("ix_api_tokens_workspace_user", "workspace_id", "user_id"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    # The token's own label (e.g. "Import script"), chosen by the user; not PII of a client.
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    scope: str = Field(max_length=16, default="read")
    created_at: datetime = timestamp(default_now=True)
    expires_at: datetime | None = timestamp(nullable=True)
    last_used_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)
