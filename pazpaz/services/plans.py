"""Plans of care: per client, goals (text, target date, status) with milestones, and the
SOAP notes tagged with the goals they worked on. Clinical content: owner only.

A client has at most one plan (uq_plans_of_care_client); it is created on first use with
insert-on-conflict-then-read, so simultaneous first edits share one plan. A note's goal
tags are part of its record: they can change while it is a draft and are frozen once it is
finalized (like its text, which only changes by amendment).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, delete, select

from pazpaz.i18n import N_, msg
from pazpaz.models import Client, Goal, Milestone, PlanOfCare, SoapNote, SoapNoteGoal
from pazpaz.models.base import utcnow
from pazpaz.services import audit, clock, crypto, workspaces
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor, workspace_session

GOAL_STATUSES = ("active", "achieved", "dropped")
# A note's status inside a progress line (translated with it, where it is shown).
NOTE_STATUS_WORDS = {"draft": N_("draft"), "finalized": N_("finalized")}


@dataclass(frozen=True)
class ProgressPoint:
    when: date | None
    kind: str  # "milestone" | "session"
    text: str
    ref_id: uuid.UUID


@dataclass(frozen=True)
class GoalView:
    id: uuid.UUID
    text: str
    target_date: date | None
    status: str
    progress: list[ProgressPoint]  # oldest first: milestones and tagged sessions


@dataclass(frozen=True)
class PlanView:
    client_id: uuid.UUID
    summary: str
    goals: list[GoalView]



def _record(session: Session, actor: Actor, action: str, entity_type: str, entity_id: uuid.UUID) -> None:
    audit.record(session, action, workspace_id=actor.workspace_id, user_id=actor.user_id, entity_type=entity_type,
                 entity_id=entity_id, context=actor.context)


def _parse_date(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = N_("Enter a date (YYYY-MM-DD).")
        return None


def _text(value: str, field: str, errors: dict[str, str], required: bool = True, limit: int = 2000) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = N_("This can't be empty.")
    elif len(value) > limit:
        errors[field] = f"Keep this under {limit} characters."
    return value


def _date_in_range(value: date | None, field: str, errors: dict[str, str], today: date,
                   earliest: date = clock.EARLIEST_DATE) -> None:
    message = clock.out_of_range(value, today, earliest) if value else None
    if message:
        errors[field] = message


def _plan(session: Session, actor: Actor, client_id: uuid.UUID, create: bool) -> PlanOfCare | None:
    if session.exec(select(Client.id).where(Client.id == client_id)).first() is None:
        raise NotFound(N_("Client not found."))
    plan = session.exec(select(PlanOfCare).where(PlanOfCare.client_id == client_id)).first()
    if plan is None and create:
        now = utcnow()
        inserted = session.execute(
            insert(PlanOfCare).values(id=uuid.uuid4(), workspace_id=actor.workspace_id, client_id=client_id,
                                      created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=[PlanOfCare.client_id]).returning(PlanOfCare.id)
        ).scalar_one_or_none()
        if inserted is not None:
            _record(session, actor, "plan_of_care.created", "plan_of_care", inserted)
        # Ours, or the one a simultaneous caller committed first (READ COMMITTED sees it now).
        plan = session.exec(select(PlanOfCare).where(PlanOfCare.client_id == client_id)).one()
    return plan


def _note_line(status: str) -> str:
    """A tagged note in a goal's progress: our words, translated where they are shown."""
    return msg("Session note ({status})", status=msg(NOTE_STATUS_WORDS.get(status, status)))


def get_plan(actor: Actor, client_id: uuid.UUID) -> PlanView:
    actor.require_owner()
    with workspace_session(actor) as session:
        plan = _plan(session, actor, client_id, create=False)
        if plan is None:
            return PlanView(client_id, "", [])
        goals = session.exec(select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.created_at)).all()
        views = []
        for goal in goals:
            points = [ProgressPoint(m.reached_on, "milestone",
                                    " — ".join(filter(None, [crypto.unseal(session, m, "text_enc"),
                                                             crypto.unseal(session, m, "progress_note_enc")])),
                                    m.id)
                      for m in session.exec(select(Milestone).where(Milestone.goal_id == goal.id)).all()]
            tagged = session.exec(select(SoapNote).join(SoapNoteGoal, SoapNoteGoal.note_id == SoapNote.id)
                                  .where(SoapNoteGoal.goal_id == goal.id)).all()
            points += [ProgressPoint(n.session_date, "session", _note_line(n.status), n.id) for n in tagged]
            points.sort(key=lambda p: (p.when or date.min, p.kind))
            views.append(GoalView(goal.id, crypto.unseal(session, goal, "text_enc") or "", goal.target_date,
                                  goal.status, points))
        _record(session, actor, "plan_of_care.read", "plan_of_care", plan.id)
        return PlanView(client_id, crypto.unseal(session, plan, "summary_enc") or "", views)


def save_summary(actor: Actor, client_id: uuid.UUID, summary: str) -> None:
    actor.require_owner()
    errors: dict[str, str] = {}
    summary = _text(summary, "summary", errors, required=False, limit=10_000)
    if errors:
        raise ValidationFailed(errors)
    with workspace_session(actor) as session:
        plan = _plan(session, actor, client_id, create=True)
        crypto.seal(session, plan, "summary_enc", summary or None)
        plan.updated_at = utcnow()
        _record(session, actor, "plan_of_care.updated", "plan_of_care", plan.id)


def add_goal(actor: Actor, client_id: uuid.UUID, text: str, target_date: str = "") -> uuid.UUID:
    actor.require_owner()
    errors: dict[str, str] = {}
    text = _text(text, "goal_text", errors)
    target = _parse_date(target_date, "target_date", errors)
    with workspace_session(actor) as session:
        # A new goal aims ahead: its target is today (workspace time) or later, within the horizon.
        today = clock.today(workspaces.time_zone(session, actor.workspace_id))
        _date_in_range(target, "target_date", errors, today, earliest=today)
        if errors:
            raise ValidationFailed(errors)
        plan = _plan(session, actor, client_id, create=True)
        goal = Goal(id=uuid.uuid4(), workspace_id=actor.workspace_id, plan_id=plan.id, target_date=target)
        crypto.seal(session, goal, "text_enc", text)
        session.add(goal)
        _record(session, actor, "goal.created", "goal", goal.id)
        return goal.id


def _goal(session: Session, goal_id: uuid.UUID) -> Goal:
    goal = session.exec(select(Goal).where(Goal.id == goal_id)).first()
    if goal is None:
        raise NotFound(N_("Goal not found."))
    return goal


def set_goal_status(actor: Actor, goal_id: uuid.UUID, status: str) -> None:
    actor.require_owner()
    if status not in GOAL_STATUSES:
        raise ValidationFailed({"status": N_("Choose active, achieved or dropped.")})
    with workspace_session(actor) as session:
        goal = _goal(session, goal_id)
        goal.status = status
        _record(session, actor, "goal.updated", "goal", goal.id)


def add_milestone(actor: Actor, goal_id: uuid.UUID, text: str, reached_on: str = "",
                  progress_note: str = "") -> uuid.UUID:
    actor.require_owner()
    errors: dict[str, str] = {}
    text = _text(text, "milestone_text", errors)
    note = _text(progress_note, "progress_note", errors, required=False)
    when = _parse_date(reached_on, "reached_on", errors)
    with workspace_session(actor) as session:
        _date_in_range(when, "reached_on", errors, clock.today(workspaces.time_zone(session, actor.workspace_id)))
        if errors:
            raise ValidationFailed(errors)
        goal = _goal(session, goal_id)
        milestone = Milestone(id=uuid.uuid4(), workspace_id=actor.workspace_id, goal_id=goal.id, reached_on=when)
        crypto.seal(session, milestone, "text_enc", text)
        crypto.seal(session, milestone, "progress_note_enc", note or None)
        session.add(milestone)
        _record(session, actor, "milestone.created", "milestone", milestone.id)
        return milestone.id


def tag_goals(actor: Actor, note_id: uuid.UUID, goal_ids: list[uuid.UUID]) -> None:
    """Set the goals a draft note worked on (replacing the previous tags). A finalized note's
    tags are refused: the note row is locked first, so a concurrent finalize either waits for
    these tags or makes this call see "finalized"."""
    actor.require_owner()
    with workspace_session(actor) as session:
        note = session.exec(select(SoapNote).where(SoapNote.id == note_id).with_for_update(key_share=True)).first()
        if note is None:
            raise NotFound(N_("Note not found."))
        if note.status != "draft":
            raise ServiceError(N_("This note is finalized, so the goals it worked on can no longer change."))
        plan = session.exec(select(PlanOfCare).where(PlanOfCare.client_id == note.client_id)).first()
        allowed = set() if plan is None else set(session.exec(select(Goal.id).where(Goal.plan_id == plan.id)).all())
        if not set(goal_ids) <= allowed:
            raise NotFound(N_("Goal not found."))
        session.execute(delete(SoapNoteGoal).where(SoapNoteGoal.note_id == note_id))
        for goal_id in goal_ids:
            session.add(SoapNoteGoal(note_id=note_id, goal_id=goal_id, workspace_id=actor.workspace_id))
        _record(session, actor, "soap_note.goals_tagged", "soap_note", note_id)


def note_goals(actor: Actor, note_id: uuid.UUID) -> tuple[list[tuple[uuid.UUID, str]], set[uuid.UUID]]:
    """(the client's goals as (id, text), the ids this note is tagged with)."""
    actor.require_owner()
    with workspace_session(actor) as session:
        note = session.exec(select(SoapNote).where(SoapNote.id == note_id)).first()
        if note is None:
            raise NotFound(N_("Note not found."))
        plan = session.exec(select(PlanOfCare).where(PlanOfCare.client_id == note.client_id)).first()
        if plan is None:
            return [], set()
        goals = session.exec(select(Goal).where(Goal.plan_id == plan.id, Goal.status == "active")
                             .order_by(Goal.created_at)).all()
        tagged = set(session.exec(select(SoapNoteGoal.goal_id).where(SoapNoteGoal.note_id == note_id)).all())
        return [(g.id, crypto.unseal(session, g, "text_enc") or "") for g in goals], tagged
