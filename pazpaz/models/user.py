"""User: a person who signs in to one workspace (owner or assistant)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, LargeBinary
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped

USER_ROLES = ("owner", "assistant")


class User(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('owner', 'assistant')", name="ck_users_role"),)

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id", index=True)
    # Blind index (HMAC of the normalised address): exact lookup without storing it in clear.
    email_index: str = Field(max_length=64, unique=True)
    email_encrypted: bytes = Field(sa_type=LargeBinary)
    name_encrypted: bytes = Field(sa_type=LargeBinary)
    role: str = Field(max_length=16)
    active: bool = Field(default=True)
    created_at: datetime = timestamp(default_now=True)
