"""SOAP notes (owner only; anyone else hears 404): list per client, open for an appointment,
get with versions, save a draft with lock_version (stale: 409), finalize, amend with a reason,
and the plan goals a note worked on."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from pazpaz.api.rest.deps import ActorDep, Page, PageDep, slice_page
from pazpaz.api.rest.schemas import (
    AmendIn,
    Body,
    Created,
    DraftIn,
    FinalizeIn,
    LockVersion,
    NoteOut,
    NoteSummaryOut,
    Sections,
    VersionOut,
)
from pazpaz.services import clients, plans, soap_notes

router = APIRouter(tags=["notes"])
STALE = {409: {"description": "lock_version is stale (someone saved first), or the note's state refuses it."}}


class OpenedNote(BaseModel):
    id: uuid.UUID
    marked_attended: bool


class GoalTag(BaseModel):
    id: uuid.UUID
    text: str
    tagged: bool


class GoalTagsIn(Body):
    goal_ids: list[uuid.UUID]


def _sections(body: Sections) -> dict[str, str]:
    return {key: getattr(body, key) for key in soap_notes.SECTIONS}


@router.get("/clients/{client_id}/notes", response_model=Page[NoteSummaryOut], summary="A client's notes")
def list_notes(actor: ActorDep, client_id: uuid.UUID, paging: PageDep):
    actor.require_owner()
    clients.require_client(actor, client_id)
    notes = [NoteSummaryOut(id=n.id, status=n.status, session_date=n.session_date, versions=n.versions,
                            updated_at=n.updated_at) for n in soap_notes.client_notes(actor, client_id)]
    return slice_page(NoteSummaryOut, notes, paging)


@router.post("/clients/{client_id}/notes", response_model=Created, status_code=201,
             summary="Start a note on a client (no appointment)")
def create_note(actor: ActorDep, client_id: uuid.UUID):
    return Created(id=soap_notes.create_for_client(actor, client_id))


@router.post("/appointments/{appointment_id}/note", response_model=OpenedNote,
             summary="The appointment's note (created the first time; marks a started appointment attended)")
def open_note(actor: ActorDep, appointment_id: uuid.UUID):
    note_id, marked = soap_notes.open_for_appointment(actor, appointment_id)
    return OpenedNote(id=note_id, marked_attended=marked)


@router.get("/notes/{note_id}", response_model=NoteOut, summary="A note with its versions")
def get_note(actor: ActorDep, note_id: uuid.UUID):
    view = soap_notes.get_note(actor, note_id)
    return NoteOut(id=view.id, client_id=view.client_id, appointment_id=view.appointment_id, status=view.status,
                   sections=view.sections, session_date=view.session_date, duration_minutes=view.duration_minutes,
                   lock_version=view.lock_version, updated_at=view.updated_at,
                   versions=[VersionOut(number=v.number, content_hash=v.content_hash, created_at=v.created_at,
                                        reason=v.reason, sections=v.sections, diff=v.diff) for v in view.versions])


@router.put("/notes/{note_id}/draft", response_model=LockVersion, responses=STALE, summary="Save a draft")
def save_draft(actor: ActorDep, note_id: uuid.UUID, body: DraftIn):
    version = soap_notes.save_draft(actor, note_id, _sections(body), body.lock_version,
                                    body.session_date.isoformat() if body.session_date else "",
                                    str(body.duration_minutes) if body.duration_minutes else "")
    return LockVersion(lock_version=version)


@router.post("/notes/{note_id}/finalize", response_model=LockVersion, responses=STALE, summary="Finalize a note")
def finalize(actor: ActorDep, note_id: uuid.UUID, body: FinalizeIn):
    return LockVersion(lock_version=soap_notes.finalize(actor, note_id, _sections(body), body.lock_version))


@router.post("/notes/{note_id}/amend", response_model=LockVersion, responses=STALE,
             summary="Amend a finalized note (a reason is required; a new version is kept)")
def amend(actor: ActorDep, note_id: uuid.UUID, body: AmendIn):
    return LockVersion(lock_version=soap_notes.amend(actor, note_id, _sections(body), body.reason,
                                                     body.lock_version))


@router.get("/notes/{note_id}/goals", response_model=list[GoalTag], summary="The client's active goals, "
                                                                             "marked when this note worked on them")
def note_goals(actor: ActorDep, note_id: uuid.UUID):
    goals, tagged = plans.note_goals(actor, note_id)
    return [GoalTag(id=goal_id, text=text, tagged=goal_id in tagged) for goal_id, text in goals]


@router.put("/notes/{note_id}/goals", status_code=204, responses=STALE, summary="Set the goals a draft worked on")
def tag_goals(actor: ActorDep, note_id: uuid.UUID, body: GoalTagsIn) -> None:
    plans.tag_goals(actor, note_id, list(dict.fromkeys(body.goal_ids)))
