"""Attachment: a file (photo, PDF) kept in S3 under a server-generated key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class Attachment(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'complete', 'deleted')", name="ck_attachments_status"),
        CheckConstraint("size_bytes >= 0", name="ck_attachments_size"),
        Index("ix_attachments_workspace_client", "workspace_id", "client_id"),
        Index("ix_attachments_workspace_status_created", "workspace_id", "status", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    client_id: uuid.UUID = Field(foreign_key="clients.id")
    note_id: uuid.UUID | None = Field(default=None, foreign_key="soap_notes.id")
    file_name_enc: bytes = Field(sa_type=LargeBinary)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(default=0)
    s3_key: str = Field(max_length=300, unique=True)
    status: str = Field(default="pending", max_length=16)
    # True once the object (and thumbnail) are known to be app-encrypted: then a plaintext
    # object under this key is a substitution and is never served (docs/ARCHITECTURE.md "Files").
    body_encrypted: bool = Field(default=True)
    created_at: datetime = timestamp(default_now=True)
    deleted_at: datetime | None = timestamp(nullable=True)
