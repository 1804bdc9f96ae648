"""Who is signed in: derived from the HttpOnly cookie on every check, never from client vars."""

from __future__ import annotations

import asyncio
from http.cookies import CookieError, SimpleCookie

import reflex as rx

from pazpaz.api.auth import signin_redirect
from pazpaz.services.scope import Actor, system_session
from pazpaz.services import auth
from pazpaz.services.audit import RequestContext
from pazpaz.settings import get_settings


def _validate(token: str | None, context: RequestContext, known_user: str
              ) -> tuple[auth.SignedIn, auth.Profile | None] | None:
    with system_session() as session:
        identity = auth.validate_session(session, token, context)
        if identity is None:
            return None
        # The profile (names, time zone) is loaded once per tab, not on every handler.
        if known_user == str(identity.user_id):
            return identity, None
        return identity, auth.profile(session, identity)


def cookie_token(cookie_header: str) -> str | None:
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(get_settings().session_cookie_name)
    return morsel.value if morsel else None


def _all_substates(cls: type) -> list[type]:
    found = []
    for sub in cls.get_substates():
        found.append(sub)
        found.extend(_all_substates(sub))
    return found


class SessionState(rx.State):
    """View data about the signed-in user; identity itself lives in backend-only vars."""

    user_name: str = ""
    workspace_name: str = ""
    role: str = ""
    time_zone: str = "UTC"
    signed_in: bool = False
    _user_id: str = ""
    _workspace_id: str = ""

    def request_context(self) -> RequestContext:
        return RequestContext(ip=self.router.session.client_ip, user_agent=self.router.headers.user_agent)

    async def current_identity(self) -> auth.SignedIn | None:
        """Re-check the session with the server; every data handler calls this first."""
        token = cookie_token(self.router.headers.cookie)
        known = self._user_id if self.signed_in else ""
        result = await asyncio.to_thread(_validate, token, self.request_context(), known)
        if result is None:
            await self._forget()
            return None
        identity, profile = result
        if self._user_id and self._user_id != str(identity.user_id):
            await self._forget()  # another person signed in on this tab: drop the last one's data
        self._user_id = str(identity.user_id)
        self._workspace_id = str(identity.workspace_id)
        self.role = identity.role
        if profile is not None:
            self.user_name = profile.user_name
            self.workspace_name = profile.workspace_name
            self.time_zone = profile.time_zone
        self.signed_in = True
        return identity

    async def actor(self) -> Actor | None:
        """The acting user for a data handler, re-derived from the cookie every time."""
        identity = await self.current_identity()
        if identity is None:
            return None
        return Actor(workspace_id=identity.workspace_id, user_id=identity.user_id, role=identity.role,
                     context=self.request_context())

    async def _forget(self) -> None:
        """Drop identity and every page's data held for this tab (notes, clients, files...)."""
        for page_state in _all_substates(SessionState):
            (await self.get_state(page_state)).reset()
        self._user_id = ""
        self._workspace_id = ""
        self.user_name = ""
        self.workspace_name = ""
        self.role = ""
        self.signed_in = False

    @rx.var
    def is_owner(self) -> bool:
        return self.role == "owner"

    @rx.event
    async def require_signed_in(self):
        if await self.current_identity() is None:
            return rx.redirect(signin_redirect(self.router.url.path))
        return None
