"""The practice's catalog: services offered and the locations it works at."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from sqlmodel import Session, select

from pazpaz.i18n import N_, msg
from pazpaz.models import LOCATION_KINDS, Location, Service, Workspace
from pazpaz.services import audit
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import Actor, read_session, scoped, workspace_session

URL_RE = re.compile(r"^https://\S+$")
MAX_PRICE = Decimal(100_000)
# What people type around a price: a symbol or code on either side ("₪280", "280 ₪", "EUR 80").
CURRENCY_MARKS = {"₪": "ILS", "ש\"ח": "ILS", "ש״ח": "ILS", "NIS": "ILS", "€": "EUR", "$": "USD", "US$": "USD",
                  "£": "GBP"}
_MARK = r"[A-Za-z]{3}|US\$|ש[\"״]ח|[₪€$£]"
PRICE_RE = re.compile(
    rf"^(?:(?P<before>{_MARK})\s*)?(?P<sign>-)?\s*(?P<number>[0-9][0-9,.]*)\s*(?:(?P<after>{_MARK}))?$")
# 1,280.50 / 1280.50 / 280,50 (a decimal comma, as typed in much of Europe)
NUMBER_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$|^\d+,\d{1,2}$")
# Direction marks and non-breaking spaces come along when a price is copied from RTL text.
INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)
PRICE_HINT = N_("Enter a price like 280 or 280.50 (or leave it empty).")


@dataclass(frozen=True)
class ServiceInput:
    name: str
    duration_minutes: str  # as typed
    price: str = ""  # as typed: "280", "280.50", "₪280", "280 ₪", "1,280.50"; empty: no price


@dataclass(frozen=True)
class ServiceView:
    id: uuid.UUID
    name: str
    duration_minutes: int
    price: str  # "350.00" (machine form; empty: no price)
    active: bool
    price_cents: int | None = None
    currency: str = "EUR"  # the practice's ISO 4217 code


def parse_price(text: str, currency: str) -> int | None:
    """A typed price in minor units (None when empty), for a practice whose prices are in
    `currency`. Raises ValidationFailed({"price": ...}) with a message the boundary translates."""
    typed = " ".join(str(text).translate(INVISIBLE).replace("\xa0", " ").split())
    if not typed:
        return None
    match = PRICE_RE.match(typed)
    if match is None or (match["before"] and match["after"]) or not NUMBER_RE.match(match["number"]):
        raise ValidationFailed({"price": PRICE_HINT})
    mark = match["before"] or match["after"]
    if mark:
        named = CURRENCY_MARKS.get(mark, CURRENCY_MARKS.get(mark.upper(), mark.upper()))
        if named != currency:
            raise ValidationFailed({"price": msg("This practice's prices are in {currency}.", currency=currency)})
    number = match["number"]
    number = number.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", number) else number.replace(",", "")
    amount = Decimal(number)
    if match["sign"]:
        raise ValidationFailed({"price": N_("A price can't be negative.")})
    if amount > MAX_PRICE:
        raise ValidationFailed({"price": N_("That price looks too high: keep it under 100,000.")})
    return int(amount * 100)


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


@dataclass(frozen=True)
class ServiceChoice:
    id: uuid.UUID
    name: str
    duration_minutes: int


@dataclass(frozen=True)
class LocationChoice:
    id: uuid.UUID
    name: str
    kind: str


@dataclass(frozen=True)
class BookingChoices:
    """What the booking form offers: the active services and locations, by name."""

    services: list[ServiceChoice]
    locations: list[LocationChoice]


def _service_values(data: ServiceInput, currency: str) -> tuple[str, int, int | None]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = N_("Enter a name for the service.")
    elif len(name) > 200:
        errors["name"] = N_("Keep the name under 200 characters.")
    duration = 0
    try:
        duration = int(str(data.duration_minutes).strip())
        if not 5 <= duration <= 600:
            raise ValueError
    except ValueError:
        errors["duration_minutes"] = N_("Enter a duration between 5 and 600 minutes.")
    price_cents: int | None = None
    try:
        price_cents = parse_price(data.price, currency)
    except ValidationFailed as failed:
        errors.update(failed.errors)
    if errors:
        raise ValidationFailed(errors)
    return name, duration, price_cents


def _service_view(row: Service, currency: str) -> ServiceView:
    price = "" if row.price_cents is None else f"{row.price_cents / 100:.2f}"
    return ServiceView(row.id, row.name, row.default_duration_minutes, price, row.active, row.price_cents, currency)


def practice_currency(session: Session, actor: Actor) -> str:
    workspace = session.get(Workspace, actor.workspace_id)
    return workspace.currency if workspace is not None else "EUR"


def _location_values(data: LocationInput) -> LocationInput:
    errors: dict[str, str] = {}
    name, kind = data.name.strip(), data.kind.strip()
    address, video = data.address.strip(), data.video_link.strip()
    if not name:
        errors["name"] = N_("Enter a name for the location.")
    elif len(name) > 200:
        errors["name"] = N_("Keep the name under 200 characters.")
    if kind not in LOCATION_KINDS:
        errors["kind"] = N_("Choose clinic, home visit or online.")
    if kind == "clinic" and not address:
        errors["address"] = N_("Enter the clinic's address.")
    if len(address) > 500:
        errors["address"] = N_("Keep the address under 500 characters.")
    if video and (not URL_RE.match(video) or len(video) > 500):
        errors["video_link"] = N_("Enter a video link starting with https://.")
    if errors:
        raise ValidationFailed(errors)
    return LocationInput(name, kind, address, video)


def _location_view(row: Location) -> LocationView:
    return LocationView(row.id, row.name, row.kind, row.address or "", row.video_link or "", row.active)



def list_services(actor: Actor, include_inactive: bool = False) -> list[ServiceView]:
    with read_session(actor) as session:
        currency = practice_currency(session, actor)
        return [_service_view(row, currency) for row in _rows(session, Service, include_inactive)]


def _get(session: Session, model: type[Service] | type[Location], row_id: uuid.UUID) -> Service | Location:
    row = session.exec(select(model).where(model.id == row_id)).first()
    if row is None:
        raise NotFound(N_("Service not found.") if model is Service else N_("Location not found."))
    return row


def _list(actor: Actor, model: type[Service] | type[Location], include_inactive: bool) -> list:
    with read_session(actor) as session:
        return _rows(session, model, include_inactive)


def _rows(session: Session, model: type[Service] | type[Location], include_inactive: bool) -> list:
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
    with workspace_session(actor) as session:
        name, duration, price_cents = _service_values(data, practice_currency(session, actor))
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


@lru_cache(maxsize=1)
def _choice_statements():
    """The booking pickers' queries, built once: the columns they show, no entities and no
    currency lookup (the calendar opens with them: docs/ARCHITECTURE.md "Read path")."""
    return (scoped(select(Service.id, Service.name, Service.default_duration_minutes)
                   .where(Service.active).order_by(Service.name)),
            scoped(select(Location.id, Location.name, Location.kind).where(Location.active).order_by(Location.name)))


def booking_choices(actor: Actor) -> BookingChoices:
    services, locations = _choice_statements()
    with read_session(actor) as session:
        return BookingChoices([ServiceChoice(*row) for row in session.exec(services).all()],
                              [LocationChoice(*row) for row in session.exec(locations).all()])


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
