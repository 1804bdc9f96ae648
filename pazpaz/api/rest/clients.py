"""/api/v1/clients: list (q, archived, sort, pages), get, create, update, archive, restore, timeline."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from pazpaz.api.rest.deps import ActorDep, Page, PageDep
from pazpaz.api.rest.schemas import ClientIn, ClientOut, Created, TimelineItemOut
from pazpaz.services import clients, timeline
from pazpaz.services.clients import ClientInput, ClientView

router = APIRouter(prefix="/clients", tags=["clients"])


def _out(view: ClientView) -> ClientOut:
    return ClientOut(id=view.id, first_name=view.first_name, last_name=view.last_name, email=view.email,
                     phone=view.phone, date_of_birth=view.date_of_birth, address=view.address,
                     emergency_contact=view.emergency_contact, intake_notes=view.intake_notes,
                     archived=view.archived, last_visit=view.last_visit)


def _input(body: ClientIn) -> ClientInput:
    return ClientInput(first_name=body.first_name, last_name=body.last_name, email=body.email, phone=body.phone,
                       date_of_birth=body.date_of_birth.isoformat() if body.date_of_birth else "",
                       address=body.address, emergency_contact=body.emergency_contact,
                       intake_notes=body.intake_notes)


@router.get("", response_model=Page[ClientOut], summary="List clients")
def list_clients(actor: ActorDep, paging: PageDep,
                 q: Annotated[str, Query(max_length=200, description="Name, email or phone digits.")] = "",
                 archived: bool = False,
                 sort: Annotated[Literal["name", "last_visit"], Query(description="name, or last_visit "
                                                                                  "(most recent first).")] = "name"):
    found = clients.list_clients(actor, clients.ListQuery(search=q, sort=sort, page=paging.page,
                                                          page_size=paging.page_size, archived=archived))
    return Page[ClientOut](total=found.total, page=found.page, page_size=found.page_size,
                           items=[_out(v) for v in found.items])


@router.post("", response_model=Created, status_code=201, summary="Create a client")
def create_client(actor: ActorDep, body: ClientIn):
    return Created(id=clients.create_client(actor, _input(body)))


@router.get("/{client_id}", response_model=ClientOut, summary="Get a client")
def get_client(actor: ActorDep, client_id: uuid.UUID):
    return _out(clients.get_client(actor, client_id))


@router.put("/{client_id}", response_model=ClientOut, summary="Update a client (every contact field)")
def update_client(actor: ActorDep, client_id: uuid.UUID, body: ClientIn):
    clients.update_client(actor, client_id, _input(body))
    return _out(clients.get_client(actor, client_id))


@router.post("/{client_id}/archive", status_code=204, summary="Archive a client")
def archive_client(actor: ActorDep, client_id: uuid.UUID) -> None:
    clients.set_archived(actor, client_id, True)


@router.post("/{client_id}/restore", status_code=204, summary="Restore an archived client")
def restore_client(actor: ActorDep, client_id: uuid.UUID) -> None:
    clients.set_archived(actor, client_id, False)


@router.get("/{client_id}/timeline", response_model=Page[TimelineItemOut], summary="A client's timeline")
def client_timeline(actor: ActorDep, client_id: uuid.UUID, paging: PageDep):
    found = timeline.client_timeline(actor, client_id, paging.page, paging.page_size)
    return Page[TimelineItemOut](total=found.total, page=found.page, page_size=paging.page_size,
                                 items=[TimelineItemOut(when=i.when, kind=i.kind, title=i.title) for i in found.items])
