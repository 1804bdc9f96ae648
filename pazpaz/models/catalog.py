"""Service (what is offered) and Location (where: clinic, client's home, online)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped

LOCATION_KINDS = ("clinic", "home", "online")


class Service(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("default_duration_minutes BETWEEN 5 AND 600", name="ck_services_duration"),
        CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="ck_services_price"),
        Index("ix_services_workspace_active", "workspace_id", "active"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    name: str = Field(max_length=200)
    default_duration_minutes: int = Field(default=60)
    price_cents: int | None = Field(default=None)
    active: bool = Field(default=True)
    created_at: datetime = timestamp(default_now=True)


class Location(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint("kind IN ('clinic', 'home', 'online')", name="ck_locations_kind"),
        Index("ix_locations_workspace_active", "workspace_id", "active"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    # The practice's own address or video link, not a client's: kept in clear.
    address: str | None = Field(default=None, max_length=500)
    video_link: str | None = Field(default=None, max_length=500)
    active: bool = Field(default=True)
    created_at: datetime = timestamp(default_now=True)
