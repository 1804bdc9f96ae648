"""Settings > Services and Locations."""

from __future__ import annotations

import asyncio
import uuid

import reflex as rx

from pazpaz.api.auth import signin_redirect
from pazpaz.services import catalog
from pazpaz.services.catalog import LocationInput, ServiceInput
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.state.session import SessionState


class CatalogState(SessionState):
    services: list[dict[str, str]] = []
    locations: list[dict[str, str]] = []
    service_form: dict[str, str] = {}
    location_form: dict[str, str] = {}
    service_errors: dict[str, str] = {}
    location_errors: dict[str, str] = {}
    service_key: str = "new"
    location_key: str = "new"
    message: str = ""

    async def _refresh(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        self.services = [
            {"id": str(s.id), "name": s.name, "duration": str(s.duration_minutes), "price": s.price,
             "active": "yes" if s.active else ""}
            for s in await asyncio.to_thread(catalog.list_services, actor, True)
        ]
        self.locations = [
            {"id": str(loc.id), "name": loc.name, "kind": loc.kind, "address": loc.address,
             "video_link": loc.video_link, "active": "yes" if loc.active else ""}
            for loc in await asyncio.to_thread(catalog.list_locations, actor, True)
        ]
        return None

    @rx.event
    async def load(self):
        self.service_form, self.location_form = {}, {}
        self.service_errors, self.location_errors, self.message = {}, {}, ""
        return await self._refresh()

    @rx.event
    def edit_service(self, service: dict):
        self.service_form, self.service_errors = dict(service), {}
        self.service_key = str(service.get("id", "new"))

    @rx.event
    def edit_location(self, location: dict):
        self.location_form, self.location_errors = dict(location), {}
        self.location_key = str(location.get("id", "new"))

    @rx.event
    async def save_service(self, form_data: dict):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        service_id = self.service_form.get("id")
        data = ServiceInput(str(form_data.get("service_name", "")), str(form_data.get("service_duration", "")),
                            str(form_data.get("service_price", "")))
        try:
            await asyncio.to_thread(catalog.save_service, actor, data, uuid.UUID(service_id) if service_id else None)
        except ValidationFailed as invalid:
            self.service_errors = invalid.errors
            return None
        except NotFound:
            self.message = "Only the practice owner can change services."
            return None
        self.service_form, self.service_errors, self.service_key = {}, {}, str(uuid.uuid4())
        await self._refresh()
        return rx.toast.success("Service saved.")

    @rx.event
    async def save_location(self, form_data: dict):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        location_id = self.location_form.get("id")
        data = LocationInput(str(form_data.get("location_name", "")), str(form_data.get("location_kind", "")),
                             str(form_data.get("location_address", "")), str(form_data.get("location_video", "")))
        try:
            await asyncio.to_thread(catalog.save_location, actor, data,
                                    uuid.UUID(location_id) if location_id else None)
        except ValidationFailed as invalid:
            self.location_errors = invalid.errors
            return None
        except NotFound:
            self.message = "Only the practice owner can change locations."
            return None
        self.location_form, self.location_errors, self.location_key = {}, {}, str(uuid.uuid4())
        await self._refresh()
        return rx.toast.success("Location saved.")

    @rx.event
    async def set_service_active(self, service_id: str, active: bool):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        try:
            await asyncio.to_thread(catalog.set_service_active, actor, uuid.UUID(service_id), active)
        except (NotFound, ValueError):
            self.message = "That service was not found."
        return await self._refresh()

    @rx.event
    async def set_location_active(self, location_id: str, active: bool):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        try:
            await asyncio.to_thread(catalog.set_location_active, actor, uuid.UUID(location_id), active)
        except (NotFound, ValueError):
            self.message = "That location was not found."
        return await self._refresh()
