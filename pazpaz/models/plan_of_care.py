"""PlanOfCare for a client: goals, each with milestones."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from pazpaz.models.base import timestamp, uuid_pk
from pazpaz.models.scoping import WorkspaceScoped


class PlanOfCare(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "plans_of_care"
    __table_args__ = (
        Index("ix_plans_of_care_workspace_client", "workspace_id", "client_id"),
        UniqueConstraint("client_id", name="uq_plans_of_care_client"),  # one plan per client
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    client_id: uuid.UUID = Field(foreign_key="clients.id")
    summary_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = timestamp(default_now=True)
    updated_at: datetime = timestamp(default_now=True)


class Goal(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'achieved', 'dropped')", name="ck_goals_status"),
        Index("ix_goals_workspace_plan", "workspace_id", "plan_id"),
    )

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    plan_id: uuid.UUID = Field(foreign_key="plans_of_care.id")
    text_enc: bytes = Field(sa_type=LargeBinary)
    target_date: date | None = Field(default=None)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = timestamp(default_now=True)


class Milestone(SQLModel, WorkspaceScoped, table=True):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_workspace_goal", "workspace_id", "goal_id"),)

    id: uuid.UUID = uuid_pk()
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    goal_id: uuid.UUID = Field(foreign_key="goals.id")
    text_enc: bytes = Field(sa_type=LargeBinary)
    reached_on: date | None = Field(default=None)
    progress_note_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = timestamp(default_now=True)


class SoapNoteGoal(SQLModel, WorkspaceScoped, table=True):
    """A goal a SOAP note worked on."""

    __tablename__ = "soap_note_goals"
    __table_args__ = (
        Index("ix_soap_note_goals_workspace_goal", "workspace_id", "goal_id"),
        Index("ix_soap_note_goals_workspace_note", "workspace_id", "note_id"),
    )

    note_id: uuid.UUID = Field(foreign_key="soap_notes.id", primary_key=True)
    goal_id: uuid.UUID = Field(foreign_key="goals.id", primary_key=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")
    created_at: datetime = timestamp(default_now=True)
