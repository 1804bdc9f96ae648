"""Settings > Team: the owner invites assistants and deactivates users."""

from __future__ import annotations

import functools
import uuid

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import team, two_factor
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import Actor
from pazpaz.state import binding
from pazpaz.state.handler import handler, page_id
from pazpaz.state.session import SessionState

ROLE_LABELS = {"owner": N_("owner"), "assistant": N_("assistant")}


class TeamState(SessionState):
    members: list[dict[str, str]] = []
    can_manage: bool = False
    field_errors: dict[str, str] = {}
    error: str = ""
    invite_key: str = "0"
    invitations: list[dict[str, str]] = []

    async def _refresh(self, actor: Actor) -> None:
        try:
            members = await self._call(team.list_members, actor)
        except NotFound:
            self.can_manage, self.members = False, []  # not the owner: the team section stays hidden
            self.invitations = []
            return
        self.can_manage = True
        self.members = [
            {"id": str(m.id), "name": m.name, "email": m.email, "role": m.role,
             "role_label": self._t(ROLE_LABELS.get(m.role, m.role)),
             "active": "yes" if m.active else "", "is_me": "yes" if m.id == actor.user_id else "",
             "two_step": "yes" if m.two_step else ""}
            for m in members
        ]
        pending = await self._call(team.list_invitations, actor)
        self.invitations = [
            {"id": str(p.id), "name": p.name, "email": p.email, "expires": self._datetime(p.expires_at),
             "expired": "yes" if p.expired else ""}
            for p in pending
        ]

    @rx.event
    @handler
    async def load(self):
        self.field_errors, self.error = {}, ""
        await self._refresh(await self._actor())

    @rx.event
    @handler(invalid="", failed=N_("The invitation could not be sent just now. Please try again."))
    async def invite(self, form_data: dict):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        await self._call(team.invite_assistant, actor, str(form_data.get("invite_email", "")),
                         str(form_data.get("invite_name", "")))
        self.invite_key = str(uuid.uuid4())  # remounts the form: fields clear
        await self._refresh(actor)
        self._notify(N_("Invitation sent."))

    @rx.event
    @handler(fields=None, invalid=None, not_found_says=team.INVITATION_MISSING)
    async def resend_invitation(self, invitation_id: str):
        actor = await self._actor()
        self.error = ""
        await self._call(team.resend_invitation, actor, _invitation_id(invitation_id))
        await self._refresh(actor)
        self._notify(N_("Invitation sent again. The earlier link no longer works."))

    @rx.event
    @handler(fields=None, invalid=None, not_found_says=team.INVITATION_MISSING)
    async def revoke_invitation(self, invitation_id: str):
        actor = await self._actor()
        self.error = ""
        await self._call(team.revoke_invitation, actor, _invitation_id(invitation_id))
        await self._refresh(actor)
        self._notify(N_("Invitation revoked."))

    @rx.event
    @handler(fields=None, invalid=None, not_found_says=N_("That user was not found."))
    async def set_active(self, user_id: str, active: bool):
        actor = await self._actor()
        change = team.reactivate if active else team.deactivate
        await self._call(change, actor, _user_id(user_id))
        if not active:
            binding.drop_user_soon(str(_user_id(user_id)))  # their open tabs lose their data now
        await self._refresh(actor)


    @rx.event
    @handler(fields=None, invalid=None, not_found_says=N_("That user was not found."))
    async def reset_two_step(self, user_id: str):
        actor = await self._actor()
        await self._call(two_factor.reset_for, actor, _user_id(user_id))
        binding.drop_user_soon(str(_user_id(user_id)))  # their sessions ended: open tabs lose their data now
        await self._refresh(actor)
        self._notify(N_("Two-step sign-in was reset. They sign in with a link alone now, or set it up again "
                     "if the practice requires it."))


_user_id = functools.partial(page_id, missing=N_("That user was not found."))
_invitation_id = functools.partial(page_id, missing=team.INVITATION_MISSING)
