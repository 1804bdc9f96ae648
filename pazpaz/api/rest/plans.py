"""Plans of care (owner only): a client's plan, its summary, goals and milestones."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from pazpaz.api.rest.deps import ActorDep
from pazpaz.api.rest.schemas import (
    Created,
    GoalIn,
    GoalOut,
    GoalStatusIn,
    MilestoneIn,
    PlanOut,
    ProgressOut,
    SummaryIn,
)
from pazpaz.services import plans

router = APIRouter(tags=["plans"])


@router.get("/clients/{client_id}/plan", response_model=PlanOut, summary="A client's plan of care")
def get_plan(actor: ActorDep, client_id: uuid.UUID):
    view = plans.get_plan(actor, client_id)
    return PlanOut(client_id=view.client_id, summary=view.summary, goals=[
        GoalOut(id=g.id, text=g.text, target_date=g.target_date, status=g.status,
                progress=[ProgressOut(when=p.when, kind=p.kind, text=p.text, ref_id=p.ref_id) for p in g.progress])
        for g in view.goals])


@router.put("/clients/{client_id}/plan/summary", status_code=204, summary="Save the plan's summary")
def save_summary(actor: ActorDep, client_id: uuid.UUID, body: SummaryIn) -> None:
    plans.save_summary(actor, client_id, body.summary)


@router.post("/clients/{client_id}/plan/goals", response_model=Created, status_code=201, summary="Add a goal")
def add_goal(actor: ActorDep, client_id: uuid.UUID, body: GoalIn):
    target = body.target_date.isoformat() if body.target_date else ""
    return Created(id=plans.add_goal(actor, client_id, body.text, target))


@router.post("/goals/{goal_id}/status", status_code=204, summary="Mark a goal active, achieved or dropped")
def set_goal_status(actor: ActorDep, goal_id: uuid.UUID, body: GoalStatusIn) -> None:
    plans.set_goal_status(actor, goal_id, body.status)


@router.post("/goals/{goal_id}/milestones", response_model=Created, status_code=201, summary="Add a milestone")
def add_milestone(actor: ActorDep, goal_id: uuid.UUID, body: MilestoneIn):
    reached = body.reached_on.isoformat() if body.reached_on else ""
    return Created(id=plans.add_milestone(actor, goal_id, body.text, reached, body.progress_note))
