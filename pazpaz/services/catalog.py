"""The practice's catalog: services offered and the locations it works at."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from pazpaz.models import LOCATION_KINDS, Location, Service
from pazpaz.services import audit
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import Actor, workspace_session

URL_RE = re.compile(r"^https://\S+$")


@dataclass(frozen=True)
class ServiceInput:
    name: str
    duration_minutes: str  # as typed
    price: str = ""  # "80" or "80.50"; empty: no price


@dataclass(frozen=True)
class ServiceView:
    id: uuid.UUID
    name: str
    duration_minutes: int
    price: str
    active: bool


@dataclass(frozen=True)
class LocationInput:
    name: str
    kind: str
    address: str = ""
    video_link: str = ""


@dataclass(frozen=True)
class LocationView:
    id: uuid.UUID
    name: str
    kind: str
    address: str
    video_link: str
    active: bool


def _service_values(data: ServiceInput) -> tuple[str, int, int | None]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Enter a name for the service."
    elif len(name) > 200:
        errors["name"] = "Keep the name under 200 characters."
    duration = 0
    try:
        duration = int(str(data.duration_minutes).strip())
        if not 5 <= duration <= 600:
            raise ValueError
    except ValueError:
        errors["duration_minutes"] = "Enter a duration between 5 and 600 minutes."
    price_cents: int | None = None
    if str(data.price).strip():
        try:
            price = Decimal(str(data.price).strip())
            if price < 0 or price > 100_000 or price.as_tuple().exponent < -2:
                raise InvalidOperation
            price_cents = int(price * 100)
        except InvalidOperation:
            errors["price"] = "Enter a price like 80 or 80.50 (or leave it empty)."
    if errors:
        raise ValidationFailed(errors)
    return name, duration, price_cents


def _service_view(row: Service) -> ServiceView:
    price = "" if row.price_cents is None else f"{row.price_cents / 100:.2f}"
    return ServiceView(row.id, row.name, row.default_duration_minutes, price, row.active)


def _location_values(data: LocationInput) -> LocationInput:
    errors: dict[str, str] = {}
    name, kind = data.name.strip(), data.kind.strip()
    address, video = data.address.strip(), data.video_link.strip()
    if not name:
        errors["name"] = "Enter a name for the location."
    elif len(name) > 200:
        errors["name"] = "Keep the name under 200 characters."
    if kind not in LOCATION_KINDS:
        errors["kind"] = "Choose clinic, home visit or online."
    if kind == "clinic" and not address:
        errors["address"] = "Enter the clinic's address."
    if len(address) > 500:
        errors["address"] = "Keep the address under 500 characters."
    if video and (not URL_RE.match(video) or len(video) > 500):
        errors["video_link"] = "Enter a video link starting with https://."
    if errors:
        raise ValidationFailed(errors)
    return LocationInput(name, kind, address, video)


def _location_view(row: Location) -> LocationView:
    return LocationView(row.id, row.name, row.kind, row.address or "", row.video_link or "", row.active)



def list_services(actor: Actor, include_inactive: bool = False) -> list[ServiceView]:
    return [_service_view(row) for row in _list(actor, Service, include_inactive)]


def _get(session: Session, model: type[Service] | type[Location], row_id: uuid.UUID) -> Service | Location:
    row = session.exec(select(model).where(model.id == row_id)).first()
    if row is None:
        raise NotFound(f"{model.__name__} not found.")
    return row


def _list(actor: Actor, model: type[Service] | type[Location], include_inactive: bool) -> list:
    with workspace_session(actor) as session:
        statement = select(model).order_by(model.name)
        if not include_inactive:
            statement = statement.where(model.active)
        return list(session.exec(statement).all())


def _set_active(actor: Actor, model: type[Service] | type[Location], row_id: uuid.UUID, active: bool) -> None:
    actor.require_owner()
    entity = model.__tablename__.rstrip("s")
    with workspace_session(actor) as session:
        row = _get(session, model, row_id)
        row.active = active
        audit.record(session, f"{entity}.activated" if active else f"{entity}.deactivated",
                     workspace_id=actor.workspace_id, user_id=actor.user_id, entity_type=entity,
                     entity_id=row.id, context=actor.context)


def save_service(actor: Actor, data: ServiceInput, service_id: uuid.UUID | None = None) -> uuid.UUID:
    actor.require_owner()
    name, duration, price_cents = _service_values(data)
    with workspace_session(actor) as session:
        if service_id is None:
            row = Service(workspace_id=actor.workspace_id, name=name)
            session.add(row)
            action = "service.created"
        else:
            row = _get(session, Service, service_id)
            action = "service.updated"
        row.name, row.default_duration_minutes, row.price_cents = name, duration, price_cents
        session.flush()
        audit.record(session, action, workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="service", entity_id=row.id, context=actor.context)
        return row.id


def set_service_active(actor: Actor, service_id: uuid.UUID, active: bool) -> None:
    _set_active(actor, Service, service_id, active)


def list_locations(actor: Actor, include_inactive: bool = False) -> list[LocationView]:
    return [_location_view(row) for row in _list(actor, Location, include_inactive)]


def save_location(actor: Actor, data: LocationInput, location_id: uuid.UUID | None = None) -> uuid.UUID:
    actor.require_owner()
    values = _location_values(data)
    with workspace_session(actor) as session:
        if location_id is None:
            row = Location(workspace_id=actor.workspace_id, name=values.name, kind=values.kind)
            session.add(row)
            action = "location.created"
        else:
            row = _get(session, Location, location_id)
            action = "location.updated"
        row.name, row.kind = values.name, values.kind
        row.address, row.video_link = values.address or None, values.video_link or None
        session.flush()
        audit.record(session, action, workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="location", entity_id=row.id, context=actor.context)
        return row.id


def set_location_active(actor: Actor, location_id: uuid.UUID, active: bool) -> None:
    _set_active(actor, Location, location_id, active)
