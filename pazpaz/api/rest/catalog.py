"""/api/v1/services and /api/v1/locations: what is offered and where (owner edits, everyone reads)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter

from pazpaz.api.rest.deps import ActorDep, Page, PageDep, slice_page
from pazpaz.api.rest.schemas import ActiveIn, Created, LocationIn, LocationOut, ServiceIn, ServiceOut
from pazpaz.services import catalog
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import Actor

router = APIRouter(tags=["catalog"])
V = TypeVar("V")


def _find(actor: Actor, lister: Callable[..., list[V]], row_id: uuid.UUID, what: str) -> V:
    # The catalog is a handful of rows: a lookup is the list the UI reads, filtered.
    for view in lister(actor, include_inactive=True):
        if view.id == row_id:
            return view
    raise NotFound(f"{what} not found.")


def _service(view: catalog.ServiceView) -> ServiceOut:
    return ServiceOut(id=view.id, name=view.name, duration_minutes=view.duration_minutes, price=view.price,
                      active=view.active, price_cents=view.price_cents, currency=view.currency)


def _location(view: catalog.LocationView) -> LocationOut:
    return LocationOut(id=view.id, name=view.name, kind=view.kind, address=view.address, video_link=view.video_link,
                       active=view.active)


def _service_input(body: ServiceIn) -> catalog.ServiceInput:
    return catalog.ServiceInput(name=body.name, duration_minutes=str(body.duration_minutes), price=body.price)


def _location_input(body: LocationIn) -> catalog.LocationInput:
    return catalog.LocationInput(name=body.name, kind=body.kind, address=body.address, video_link=body.video_link)


@router.get("/services", response_model=Page[ServiceOut], summary="List services")
def list_services(actor: ActorDep, paging: PageDep, include_inactive: bool = False):
    return slice_page(ServiceOut, [_service(v) for v in catalog.list_services(actor, include_inactive)], paging)


@router.post("/services", response_model=Created, status_code=201, summary="Create a service (owner)")
def create_service(actor: ActorDep, body: ServiceIn):
    return Created(id=catalog.save_service(actor, _service_input(body)))


@router.get("/services/{service_id}", response_model=ServiceOut, summary="Get a service")
def get_service(actor: ActorDep, service_id: uuid.UUID):
    return _service(_find(actor, catalog.list_services, service_id, "Service"))


@router.put("/services/{service_id}", response_model=ServiceOut, summary="Update a service (owner)")
def update_service(actor: ActorDep, service_id: uuid.UUID, body: ServiceIn):
    catalog.save_service(actor, _service_input(body), service_id)
    return _service(_find(actor, catalog.list_services, service_id, "Service"))


@router.post("/services/{service_id}/active", status_code=204, summary="Offer or retire a service (owner)")
def set_service_active(actor: ActorDep, service_id: uuid.UUID, body: ActiveIn) -> None:
    catalog.set_service_active(actor, service_id, body.active)


@router.get("/locations", response_model=Page[LocationOut], summary="List locations")
def list_locations(actor: ActorDep, paging: PageDep, include_inactive: bool = False):
    return slice_page(LocationOut, [_location(v) for v in catalog.list_locations(actor, include_inactive)], paging)


@router.post("/locations", response_model=Created, status_code=201, summary="Create a location (owner)")
def create_location(actor: ActorDep, body: LocationIn):
    return Created(id=catalog.save_location(actor, _location_input(body)))


@router.get("/locations/{location_id}", response_model=LocationOut, summary="Get a location")
def get_location(actor: ActorDep, location_id: uuid.UUID):
    return _location(_find(actor, catalog.list_locations, location_id, "Location"))


@router.put("/locations/{location_id}", response_model=LocationOut, summary="Update a location (owner)")
def update_location(actor: ActorDep, location_id: uuid.UUID, body: LocationIn):
    catalog.save_location(actor, _location_input(body), location_id)
    return _location(_find(actor, catalog.list_locations, location_id, "Location"))


@router.post("/locations/{location_id}/active", status_code=204, summary="Use or retire a location (owner)")
def set_location_active(actor: ActorDep, location_id: uuid.UUID, body: ActiveIn) -> None:
    catalog.set_location_active(actor, location_id, body.active)
