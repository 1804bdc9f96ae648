"""/api/v1/appointments: list by range and filters, conflicts, get, book (once or weekly),
update / move with a scope, status changes. A conflict is 409 unless "override": true."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from pazpaz.api.rest.deps import ActorDep, Page, PageDep, json_list_response, json_response
from pazpaz.api.rest.schemas import (
    AppointmentCreate,
    AppointmentIn,
    AppointmentOut,
    AppointmentStatus,
    Changed,
    ConflictOut,
    CreatedMany,
    MoveIn,
    Scope,
    StatusIn,
    When,
)
from pazpaz.services import appointments
from pazpaz.services.appointments import AppointmentInput, AppointmentView
from pazpaz.services.recurrence import Recurrence

router = APIRouter(prefix="/appointments", tags=["appointments"])
CONFLICT_RESPONSE = {409: {"description": "Overlaps other appointments (listed in `conflicts`); "
                                          "send \"override\": true to book anyway."}}


def _out(view: AppointmentView, trusted: bool = False) -> AppointmentOut:
    """trusted: the view comes straight from the service (typed values), so pydantic's
    validation is skipped; serialisation still goes through the model."""
    build = AppointmentOut.model_construct if trusted else AppointmentOut
    return build(id=view.id, client_id=view.client_id, client_name=view.client_name, start=view.starts_at,
                          end=view.ends_at, status=view.status, service_id=view.service_id,
                          service_name=view.service_name, location_id=view.location_id,
                          location_name=view.location_name, location_kind=view.location_kind, where=view.where,
                          series_id=view.series_id, notes=view.notes)


def _input(body: AppointmentIn) -> AppointmentInput:
    return AppointmentInput(client_id=str(body.client_id), start=body.start.isoformat(),
                            end=body.end.isoformat() if body.end else "",
                            duration_minutes=str(body.duration_minutes) if body.duration_minutes else "",
                            service_id=str(body.service_id) if body.service_id else "",
                            location_id=str(body.location_id) if body.location_id else "", notes=body.notes)


@router.get("", response_model=Page[AppointmentOut], summary="List appointments starting in [start, end)")
def list_appointments(actor: ActorDep, paging: PageDep, start: When, end: When,
                      client_id: uuid.UUID | None = None, status: AppointmentStatus | None = None,
                      location_id: uuid.UUID | None = None,
                      sort: Annotated[Literal["start", "-start"], Query()] = "start"):
    found = appointments.list_range(actor, start, end, client_id=client_id, status=status, location_id=location_id,
                                    sort=sort, page=paging.page, page_size=paging.page_size)
    return json_response(Page[AppointmentOut].model_construct(
        total=found.total, page=paging.page, page_size=paging.page_size,
        items=[_out(v, trusted=True) for v in found.items]))


@router.get("/conflicts", response_model=list[ConflictOut], summary="Active appointments overlapping [start, end)")
def conflicts(actor: ActorDep, start: When, end: When, exclude_id: uuid.UUID | None = None):
    if end <= start:
        raise RequestValidationError([{"loc": ("query", "end"), "msg": "The end must be after the start.",
                                       "type": "value_error"}])
    found, zone = appointments.conflicts_between(actor, start, end, exclude_id=exclude_id)
    return json_list_response([ConflictOut.model_construct(
        id=c.appointment_id, start=c.starts_at.astimezone(zone), end=c.ends_at.astimezone(zone),
        client_initials=c.client_initials) for c in found])


@router.post("", response_model=CreatedMany, status_code=201, responses=CONFLICT_RESPONSE,
             summary="Book an appointment or a weekly series")
def create_appointment(actor: ActorDep, body: AppointmentCreate):
    rule = body.recurrence
    recurrence = (Recurrence(interval_weeks=rule.interval_weeks, count=rule.count, until=rule.until)
                  if rule is not None else None)
    return CreatedMany(ids=appointments.create_appointment(actor, _input(body), recurrence, override=body.override))


@router.get("/{appointment_id}", response_model=AppointmentOut, summary="Get an appointment")
def get_appointment(actor: ActorDep, appointment_id: uuid.UUID):
    return _out(appointments.get_appointment(actor, appointment_id))


@router.put("/{appointment_id}", response_model=Changed, responses=CONFLICT_RESPONSE,
            summary="Edit or move (for a series: this, following or all)")
def update_appointment(actor: ActorDep, appointment_id: uuid.UUID, body: AppointmentIn, scope: Scope = "this"):
    return Changed(ids=appointments.update_appointment(actor, appointment_id, _input(body), scope,
                                                       override=body.override))


@router.post("/{appointment_id}/move", response_model=Changed, responses=CONFLICT_RESPONSE,
             summary="Move: only the times change")
def move_appointment(actor: ActorDep, appointment_id: uuid.UUID, body: MoveIn):
    appointments.move_appointment(actor, appointment_id, body.start.isoformat(),
                                  body.end.isoformat() if body.end else "", override=body.override)
    return Changed(ids=[appointment_id])


@router.post("/{appointment_id}/status", response_model=Changed, responses=CONFLICT_RESPONSE,
             summary="Change the status (for a series: this, following or all)")
def set_status(actor: ActorDep, appointment_id: uuid.UUID, body: StatusIn):
    return Changed(ids=appointments.set_status(actor, appointment_id, body.status, body.scope,
                                               override=body.override))
