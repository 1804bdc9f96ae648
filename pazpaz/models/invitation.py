"""Invitation: an owner asks someone to join the practice as an assistant.

No user exists until the invitee accepts, so an invitation can't pre-claim an address:
signing up with it still creates the person's own practice (docs/ARCHITECTURE.md,
"Invitations"). Only the SHA-256 of the mailed token is stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped

PENDING = "accepted_at IS NULL AND revoked_at IS NULL"


class Invitation(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_workspace_created", "workspace_id", "created_at"),
        # One pending invitation per address and practice: inviting again renews it.
        # Not unique across practices: an invitation must not reveal other practices' addresses.
        Index("uq_invitations_pending_email", "workspace_id", "email_index", unique=True,
              postgresql_where=text(PENDING)),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    invited_by: uuid.UUID = Field(foreign_key="users.id")
    email_index: str = Field(max_length=64)
    email_encrypted: bytes = Field(sa_type=LargeBinary)
    name_encrypted: bytes = Field(sa_type=LargeBinary)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp(default_now=True)
    expires_at: datetime = timestamp()
    accepted_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)
    accepted_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
