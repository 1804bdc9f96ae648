"""Settings > API tokens: make a personal access token (shown once), list, revoke."""

from __future__ import annotations

import functools
import uuid

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.models.base import utcnow
from pazpaz.services import api_tokens
from pazpaz.services.scope import Actor
from pazpaz.state.handler import handler, page_id
from pazpaz.state.session import SessionState

EXPIRY_OPTIONS = {"30": 30, "90": 90, "365": 365, "never": None}
SCOPE_LABELS = {"read": N_("Read only"), "read-write": N_("Read and write")}
STATE_LABELS = {"active": N_("active"), "revoked": N_("revoked"), "expired": N_("expired")}


class ApiTokenState(SessionState):
    tokens: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}
    error: str = ""
    # The new token's value, shown once; cleared on the next load or when dismissed.
    new_token: str = ""
    form_key: str = "0"

    async def _refresh(self, actor: Actor) -> None:
        now, never = utcnow(), self._t(N_("never"))
        self.tokens = [self._item(t, never, "active" if t.active(now) else ("revoked" if t.revoked_at else "expired"))
                       for t in await self._call(api_tokens.list_tokens, actor)]

    def _item(self, token: api_tokens.TokenView, never: str, state: str) -> dict[str, str]:
        return {"id": str(token.id), "name": token.name, "scope": token.scope,
                "scope_label": self._t(SCOPE_LABELS.get(token.scope, token.scope)),
                "created": self._datetime(token.created_at), "expires": self._datetime(token.expires_at) or never,
                "last_used": self._datetime(token.last_used_at) or never, "state": state,
                "state_label": self._t(STATE_LABELS[state])}

    @rx.event
    @handler
    async def load(self):
        self.field_errors, self.error, self.new_token = {}, "", ""
        await self._refresh(await self._actor())

    @rx.event
    @handler(invalid="")
    async def create(self, form_data: dict):
        actor = await self._actor()
        self.field_errors, self.error, self.new_token = {}, "", ""
        expiry = str(form_data.get("token_expiry", "90"))
        scope = "read-write" if form_data.get("token_scope") == "read-write" else "read"
        made = await self._call(api_tokens.create, actor, str(form_data.get("token_name", "")), scope,
                                EXPIRY_OPTIONS.get(expiry, 90))
        self.new_token = made.token
        self.form_key = str(uuid.uuid4())
        await self._refresh(actor)

    @rx.event
    @handler
    def dismiss(self):
        self.new_token = ""

    @rx.event
    @handler(fields=None, invalid=None, not_found_says=N_("That token was not found."))
    async def revoke(self, token_id: str):
        actor = await self._actor()
        await self._call(api_tokens.revoke, actor, _token_id(token_id))
        await self._refresh(actor)
        self._notify(N_("Token revoked."))


_token_id = functools.partial(page_id, missing=N_("That token was not found."))
