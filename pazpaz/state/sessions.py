"""Settings > Security: the user's own sessions, "Sign out" per device and "everywhere else"."""

from __future__ import annotations

import functools
from typing import ClassVar

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import devices, sessions
from pazpaz.services.scope import Actor
from pazpaz.state.handler import Failures, handler, page_id
from pazpaz.state.session import SessionState


class SessionsState(SessionState):
    FAILURES: ClassVar[Failures] = Failures(fields=None)

    sessions: list[dict[str, str]] = []
    error: str = ""

    async def _refresh(self, actor: Actor) -> None:
        found = await self._call(sessions.list_sessions, actor)
        unknown = self._t(N_("unknown"))
        self.sessions = [
            {"id": str(s.id), "device": devices.shown(s.device, self.language), "ip": s.approximate_ip or unknown,
             "signed_in": self._datetime(s.signed_in_at), "last_active": self._datetime(s.last_active_at),
             "current": "yes" if s.is_current else ""}
            for s in found
        ]

    @rx.var
    def others(self) -> int:
        return sum(1 for s in self.sessions if not s.get("current"))

    @rx.event
    @handler
    async def load(self):
        self.error = ""
        await self._refresh(await self._actor())

    @rx.event
    @handler(not_found_says=N_("That session has already ended."))
    async def sign_out_session(self, session_id: str):
        actor = await self._actor()
        self.error = ""
        await self._call(sessions.revoke_session, actor, _session_id(session_id))
        await self._refresh(actor)
        self._notify(N_("That device is signed out."))

    @rx.event
    @handler
    async def sign_out_others(self):
        actor = await self._actor()
        self.error = ""
        count = await self._call(sessions.revoke_other_sessions, actor)
        await self._refresh(actor)
        self._notify(N_("Signed out everywhere else.") if count else N_("No other device was signed in."))


_session_id = functools.partial(page_id, missing=N_("That session has already ended."))
