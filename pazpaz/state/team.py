"""Settings > Team: the owner invites assistants and deactivates users."""

from __future__ import annotations

import asyncio
import logging
import uuid

import reflex as rx

from pazpaz.api.auth import signin_redirect
from pazpaz.services import team
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.state import binding
from pazpaz.state.session import SessionState

log = logging.getLogger("pazpaz.state.team")


class TeamState(SessionState):
    members: list[dict[str, str]] = []
    can_manage: bool = False
    field_errors: dict[str, str] = {}
    error: str = ""
    invite_key: str = "0"

    async def _refresh(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        try:
            members = await asyncio.to_thread(team.list_members, actor)
        except NotFound:
            self.can_manage, self.members = False, []
            return None
        self.can_manage = True
        self.members = [
            {"id": str(m.id), "name": m.name, "email": m.email, "role": m.role,
             "active": "yes" if m.active else "", "is_me": "yes" if m.id == actor.user_id else ""}
            for m in members
        ]
        return None

    @rx.event
    async def load(self):
        self.field_errors, self.error = {}, ""
        return await self._refresh()

    @rx.event
    async def invite(self, form_data: dict):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        self.field_errors, self.error = {}, ""
        try:
            await asyncio.to_thread(team.invite_assistant, actor, str(form_data.get("invite_email", "")),
                                    str(form_data.get("invite_name", "")))
        except ValidationFailed as invalid:
            self.field_errors = invalid.errors
            return None
        except ServiceError as refused:
            self.error = str(refused)
            return None
        except Exception as error:
            log.error("invitation failed (%s)", type(error).__name__)
            self.error = "The invitation could not be sent just now. Please try again."
            return None
        self.invite_key = str(uuid.uuid4())  # remounts the form: fields clear
        await self._refresh()
        return rx.toast.success("Invitation sent.")

    @rx.event
    async def set_active(self, user_id: str, active: bool):
        actor = await self.actor()
        if actor is None:
            return rx.redirect(signin_redirect("/settings"))
        try:
            if active:
                await asyncio.to_thread(team.reactivate, actor, uuid.UUID(user_id))
            else:
                await asyncio.to_thread(team.deactivate, actor, uuid.UUID(user_id))
                binding.drop_user_soon(user_id)  # their open tabs lose their data now
        except ValidationFailed as invalid:
            self.error = "; ".join(invalid.errors.values())
            return None
        except (NotFound, ValueError):
            self.error = "That user was not found."
            return None
        return await self._refresh()
