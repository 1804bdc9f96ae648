"""The client page's "Legal hold and erasure" card (owner only). Thin: calls services/erasure."""

from __future__ import annotations

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import erasure
from pazpaz.services.errors import NotFound
from pazpaz.state.clients import client_id_from_path
from pazpaz.state.handler import handler
from pazpaz.state.session import SessionState


class ErasureState(SessionState):
    visible: bool = False
    hold_reason: str = ""  # "" = no hold
    field_errors: dict[str, str] = {}
    error: str = ""
    form_key: str = "0"

    def _client(self):
        client_id = client_id_from_path(self.router.url.path)
        if client_id is None:
            raise NotFound(N_("Client not found."))
        return client_id

    @rx.event
    @handler
    async def load(self):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        try:
            self.hold_reason = await self._call(erasure.legal_hold, actor, self._client()) or ""
        except NotFound:  # assistants (and unknown clients) see no card
            self.visible = False
            return
        self.visible = True

    @rx.event
    @handler
    async def set_hold(self, form_data: dict):
        actor = await self._actor()
        reason = str(form_data.get("hold_reason", "")).strip()
        if not reason:
            self.field_errors = {"hold_reason": self._t(N_("Say why the records are on hold."))}
            return
        await self._call(erasure.set_legal_hold, actor, self._client(), reason)
        self.hold_reason, self.field_errors = reason, {}
        self._notify(N_("Legal hold set."))

    @rx.event
    @handler
    async def lift_hold(self):
        actor = await self._actor()
        await self._call(erasure.set_legal_hold, actor, self._client(), None)
        self.hold_reason = ""
        self._notify(N_("Legal hold lifted."))

    @rx.event
    @handler
    async def erase(self, form_data: dict):
        actor = await self._actor()
        self.field_errors, self.error = {}, ""
        await self._call(erasure.erase_client, actor, self._client(), str(form_data.get("confirm_name", "")),
                         str(form_data.get("erase_reason", "")))
        self._notify(N_("The client and all their records were erased."))
        return rx.redirect("/clients")
