"""CalendarFeedToken: a user's secret iCalendar subscription link (only its SHA-256 is stored)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class CalendarFeedToken(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "calendar_feed_tokens"
    __table_args__ = (
        Index("ix_calendar_feed_tokens_workspace_user", "workspace_id", "user_id"),
        # At most one live link per user: regenerating revokes the old row and inserts the
        # new one in one transaction, and this index makes a second live row impossible.
        Index("uq_calendar_feed_tokens_live_user", "user_id", unique=True,
              postgresql_where=text("revoked_at IS NULL")),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    token_hash: str = Field(max_length=64, unique=True)
    # Off by default: calendar apps and the services that sync them are not end-to-end
    # encrypted, so titles carry initials unless the user chooses otherwise.
    include_full_names: bool = Field(default=False)
    created_at: datetime = timestamp(default_now=True)
    revoked_at: datetime | None = timestamp(nullable=True)
