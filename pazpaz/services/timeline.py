"""A client's history in one list: appointments, notes, plan-of-care changes and files,
newest first. Assistants see only the appointments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from pazpaz.i18n import N_, msg
from pazpaz.models import (
    Appointment,
    Attachment,
    Client,
    Goal,
    Milestone,
    PlanOfCare,
    Service,
    SoapNote,
    SoapNoteVersion,
)
from pazpaz.services import audit, crypto, paging, workspaces
from pazpaz.services.appointments import STATUS_WORDS
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import Actor, workspace_session


@dataclass(frozen=True)
class TimelineItem:
    when: datetime  # workspace-local
    kind: str  # appointment | note | goal | milestone | file
    title: str
    link: str


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    total: int
    page: int
    pages: int


def client_timeline(actor: Actor, client_id: uuid.UUID, page: int = 1, page_size: int = 20) -> TimelinePage:
    with workspace_session(actor) as session:
        if session.exec(select(Client.id).where(Client.id == client_id)).first() is None:
            raise NotFound(N_("Client not found."))
        zone = workspaces.time_zone(session, actor.workspace_id)
        items: list[TimelineItem] = []
        for appointment, service_name in session.exec(
            select(Appointment, Service.name).outerjoin(Service, Service.id == Appointment.service_id)
            .where(Appointment.client_id == client_id)
        ).all():
            status = msg(STATUS_WORDS.get(appointment.status, appointment.status))
            title = (msg("Appointment · {status} · {service}", status=status, service=service_name) if service_name
                     else msg("Appointment · {status}", status=status))
            items.append(TimelineItem(appointment.starts_at, "appointment", title, ""))
        if actor.is_owner:
            versions = dict(session.exec(select(SoapNoteVersion.note_id, func.count())
                                         .group_by(SoapNoteVersion.note_id)).all())
            for note in session.exec(select(SoapNote).where(SoapNote.client_id == client_id)).all():
                state = (N_("draft") if note.status == "draft"
                         else N_("amended") if versions.get(note.id, 0) > 1 else N_("final"))
                items.append(TimelineItem(note.finalized_at or note.created_at, "note",
                                          msg("Session note · {state}", state=msg(state)),
                                          f"/notes/{note.id}"))
            plan = session.exec(select(PlanOfCare).where(PlanOfCare.client_id == client_id)).first()
            if plan is not None:
                for goal in session.exec(select(Goal).where(Goal.plan_id == plan.id)).all():
                    text = crypto.unseal(session, goal, "text_enc") or ""
                    items.append(TimelineItem(goal.created_at, "goal", msg("Goal added · {text}", text=text), ""))
                    for milestone in session.exec(select(Milestone).where(Milestone.goal_id == goal.id)).all():
                        label = crypto.unseal(session, milestone, "text_enc") or ""
                        items.append(TimelineItem(milestone.created_at, "milestone",
                                                  msg("Milestone · {text}", text=label), ""))
            for attachment in session.exec(select(Attachment).where(Attachment.client_id == client_id,
                                                                    Attachment.status == "complete")).all():
                name = crypto.unseal(session, attachment, "file_name_enc") or "file"
                items.append(TimelineItem(attachment.created_at, "file", msg("File · {name}", name=name), ""))
        items.sort(key=lambda item: item.when, reverse=True)
        total = len(items)
        page, pages = paging.clamp(total, page, page_size)
        shown = [TimelineItem(i.when.astimezone(zone), i.kind, i.title, i.link)
                 for i in items[(page - 1) * page_size: page * page_size]]
        audit.record(session, "client.timeline_read", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="client", entity_id=client_id, context=actor.context, details={"count": len(shown)})
        return TimelinePage(shown, total, page, pages)
