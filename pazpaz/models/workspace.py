"""Workspace: one therapist's practice; every piece of practice data belongs to one."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=200)
    time_zone: str = Field(max_length=64)
    created_at: datetime = timestamp(default_now=True)


class WorkspaceKey(SQLModel, table=True):
    """A per-workspace data key, stored only wrapped by the key-encryption key."""

    __tablename__ = "workspace_keys"

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id", index=True)
    wrapped_key: bytes = Field(sa_type=LargeBinary)
    active: bool = Field(default=True)
    created_at: datetime = timestamp(default_now=True)
