"""Settings > Services and Locations."""

from __future__ import annotations

import functools
import uuid
from typing import ClassVar

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import catalog
from pazpaz.services import formatting as fmt
from pazpaz.services.catalog import LocationInput, ServiceInput
from pazpaz.services.scope import Actor
from pazpaz.state.handler import Failures, handler, page_id
from pazpaz.state.session import SessionState

OWNER_ONLY = N_("Only the practice owner can change services and locations.")
KIND_LABELS = {"clinic": N_("Clinic"), "home": N_("Home visit"), "online": N_("Online")}


class CatalogState(SessionState):
    # Each form has its own field errors (chosen per handler); the message line is shared.
    FAILURES: ClassVar[Failures] = Failures(message="message", fields=None, invalid="")

    services: list[dict[str, str]] = []
    locations: list[dict[str, str]] = []
    service_form: dict[str, str] = {}
    location_form: dict[str, str] = {}
    service_errors: dict[str, str] = {}
    location_errors: dict[str, str] = {}
    service_key: str = "new"
    location_key: str = "new"
    message: str = ""

    async def _refresh(self, actor: Actor) -> None:
        self.services = [
            # With its currency, in the reader's locale ("₪350.00"); the edit form gets the same
            # text back and services/catalog.parse_price reads it.
            {"id": str(s.id), "name": s.name, "duration": str(s.duration_minutes),
             "price": ("" if s.price_cents is None
                       else fmt.format_money(s.price_cents, s.currency, language=self.language)),
             "active": "yes" if s.active else ""}
            for s in await self._call(catalog.list_services, actor, True)
        ]
        self.locations = [
            {"id": str(loc.id), "name": loc.name, "kind": loc.kind,
             "kind_label": self._t(KIND_LABELS[loc.kind]) if loc.kind in KIND_LABELS else loc.kind,
             "address": loc.address,
             "video_link": loc.video_link, "active": "yes" if loc.active else ""}
            for loc in await self._call(catalog.list_locations, actor, True)
        ]

    @rx.event
    @handler
    async def load(self):
        self.service_form, self.location_form = {}, {}
        self.service_errors, self.location_errors, self.message = {}, {}, ""
        await self._refresh(await self._actor())

    @rx.event
    @handler
    def edit_service(self, service: dict):
        self.service_form, self.service_errors = dict(service), {}
        self.service_key = str(service.get("id", "new"))

    @rx.event
    @handler
    def edit_location(self, location: dict):
        self.location_form, self.location_errors = dict(location), {}
        self.location_key = str(location.get("id", "new"))

    @rx.event
    @handler(fields="service_errors", not_found_says=OWNER_ONLY)
    async def save_service(self, form_data: dict):
        actor = await self._actor()
        service_id = self.service_form.get("id")
        data = ServiceInput(str(form_data.get("service_name", "")), str(form_data.get("service_duration", "")),
                            str(form_data.get("service_price", "")))
        self.message = ""
        await self._call(catalog.save_service, actor, data, _id(service_id) if service_id else None)
        self.service_form, self.service_errors, self.service_key = {}, {}, str(uuid.uuid4())
        await self._refresh(actor)
        self._notify(N_("Service saved."))

    @rx.event
    @handler(fields="location_errors", not_found_says=OWNER_ONLY)
    async def save_location(self, form_data: dict):
        actor = await self._actor()
        location_id = self.location_form.get("id")
        data = LocationInput(str(form_data.get("location_name", "")), str(form_data.get("location_kind", "")),
                             str(form_data.get("location_address", "")), str(form_data.get("location_video", "")))
        self.message = ""
        await self._call(catalog.save_location, actor, data, _id(location_id) if location_id else None)
        self.location_form, self.location_errors, self.location_key = {}, {}, str(uuid.uuid4())
        await self._refresh(actor)
        self._notify(N_("Location saved."))

    @rx.event
    @handler
    async def set_service_active(self, service_id: str, active: bool):
        actor = await self._actor()
        try:
            await self._call(catalog.set_service_active, actor, _id(service_id), active)
        finally:
            await self._refresh(actor)

    @rx.event
    @handler
    async def set_location_active(self, location_id: str, active: bool):
        actor = await self._actor()
        try:
            await self._call(catalog.set_location_active, actor, _id(location_id), active)
        finally:
            await self._refresh(actor)


_id = functools.partial(page_id, missing=N_("That entry was not found."))
