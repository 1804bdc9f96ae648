"""User: a person who signs in to one workspace (owner or assistant)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, LargeBinary
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
    # Two-step sign-in (docs/ARCHITECTURE.md "Two-step sign-in"): the TOTP secret is
    # encrypted like every other PII column; `totp_pending_encrypted` holds a secret shown
    # for enrolment until a code confirms it.
    totp_secret_encrypted: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
    totp_pending_encrypted: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
    totp_enabled_at: datetime | None = timestamp(nullable=True)
    # The last accepted time step: a step at or before it is never accepted again (replay).
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    # Wrong second-step codes: counted per user in the database (every process sees them).
    second_step_failures: int = Field(default=0)
    second_step_window_start: datetime | None = timestamp(nullable=True)
    second_step_locked_until: datetime | None = timestamp(nullable=True)
    # The language the user reads PazPaz and their mails in (pazpaz/i18n.py LANGUAGES); None
    # until the first visit sets it from the browser's Accept-Language.
    language: str | None = Field(default=None, max_length=8, nullable=True)
