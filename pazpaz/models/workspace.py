"""Workspace: one therapist's practice; every piece of practice data belongs to one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=200)
    time_zone: str = Field(max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    # Language of mails to clients (reminders), and the ISO 4217 currency of every price.
    language: str = Field(default="en", max_length=8)
    currency: str = Field(default="EUR", max_length=3)
    created_at: datetime = timestamp(default_now=True)


class WorkspaceKey(SQLModel, WorkspaceScoped, table=True):
    """A per-workspace data key, stored only wrapped by the key-encryption key."""

    __tablename__ = "workspace_keys"

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id", index=True)
    wrapped_key: bytes = Field(sa_type=LargeBinary)
    active: bool = Field(default=True)
    created_at: datetime = timestamp(default_now=True)
