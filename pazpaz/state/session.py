"""Who is signed in: derived from the HttpOnly cookie on every check, never from client vars.

Every page state derives from SessionState. Its helpers start with an underscore: Reflex
makes every public method of a state an event the browser may call, so anything that is
not meant to be called from a page must stay private (see tests/unit/test_state_handlers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

import reflex as rx
from reflex_base.utils.exceptions import ImmutableStateError

from pazpaz import i18n
from pazpaz.services import auth, languages
from pazpaz.services import formatting as fmt
from pazpaz.services.audit import RequestContext
from pazpaz.services.client_ip import client_ip
from pazpaz.services.scope import Actor
from pazpaz.settings import get_settings
from pazpaz.state import binding
from pazpaz.state.handler import Failures, SignInRequired, handler

T = TypeVar("T")
# How long a notice shows (assets/app.css, .pz-notice: a 6 s fade) before events may clear it.
NOTICE_SECONDS = 6.0


def _all_substates(cls: type) -> list[type]:
    found = []
    for sub in cls.get_substates():
        found.append(sub)
        found.extend(_all_substates(sub))
    return found


class SessionState(rx.State):
    """View data about the signed-in user; identity itself lives in backend-only vars."""

    FAILURES: ClassVar[Failures] = Failures()

    user_name: str = ""
    workspace_name: str = ""
    role: str = ""
    time_zone: str = "UTC"
    signed_in: bool = False
    # A short confirmation ("Client archived.") shown by the shell. A state var rather than
    # rx.toast: Reflex sends toasts as script strings the browser must eval(), and the CSP
    # allows no eval (docs/ARCHITECTURE.md "HTTP headers").
    notice: str = ""
    notice_id: int = 0
    # When the notice was set (epoch seconds, shared by every process through Redis): the next
    # event after it has faded clears it, or every later page of the tab would fade it in again.
    _notice_at: float = 0.0
    # The reader's language: pages look their words up by it (components/i18n.t;
    # docs/ARCHITECTURE.md, "Translation layer").
    # English until the user or the browser says otherwise.
    language: str = i18n.DEFAULT_LANGUAGE
    # Remembered by the browser (a preference, not a secret) for the pages before sign-in.
    language_cookie: str = rx.Cookie("", name=i18n.LANGUAGE_COOKIE, max_age=365 * 24 * 3600, same_site="lax")
    _user_id: str = ""
    _workspace_id: str = ""

    def _notify(self, text: str) -> None:
        self.notice = self._t(text)
        self.notice_id += 1  # a new key restarts the fade-out even for the same text
        self._notice_at = time.time()

    def _expire_notice(self) -> None:
        """Drop a notice the page has already faded out (app.css: 6 s)."""
        if not self.notice or time.time() - self._notice_at < NOTICE_SECONDS:
            return
        # A background handler outside `async with self` can't write: the next event will.
        with contextlib.suppress(ImmutableStateError):
            self.notice = ""

    def _t(self, text: str) -> str:
        """A msgid (or an i18n.Msg from a service) in the tab's language."""
        return i18n.translate(self.language, text)

    def _use_language(self, language: str | None) -> None:
        language = i18n.supported(language)
        if language != self.language:
            self.language = language
        if self.language_cookie != language:
            self.language_cookie = language

    def _date(self, value: date | datetime | None) -> str:
        """A date (or a moment's day in the practice's zone) as the reader reads it; "" for none."""
        return fmt.format_date(value, language=self.language, zone=self.time_zone) if value else ""

    def _datetime(self, moment: datetime | None) -> str:
        """A moment in the practice's zone as the reader reads it ("30 Nov 2026, 16:05"); "" for none."""
        return fmt.format_datetime(moment, language=self.language, zone=self.time_zone) if moment else ""

    def _browser_language(self) -> str:
        return i18n.reader(self.router.headers.cookie, self.router.headers.accept_language)

    def _request_context(self) -> RequestContext:
        # Reflex's own X-Forwarded-For reading (rxconfig trusted_proxy_hops) stays off, so
        # client_ip is the socket peer; PAZPAZ_TRUSTED_PROXIES decides what to believe.
        headers = self.router.headers
        ip = client_ip(self.router.session.client_ip, headers.raw_headers.get("x-forwarded-for"),
                       get_settings().trusted_proxies)
        return RequestContext(ip=ip, user_agent=headers.user_agent)

    async def _identity(self) -> auth.SignedIn | None:
        """Re-check the session with the server (None when it is gone)."""
        token = auth.cookie_token(self.router.headers.cookie)
        known = self._user_id if self.signed_in else ""
        verified = await binding.fresh_identity(self, token)
        if verified is not None:  # checked a moment ago, before this very event
            profile = None if known == str(verified.user_id) else await asyncio.to_thread(auth.profile, verified)
            result: tuple[auth.SignedIn, auth.Profile | None] | None = (verified, profile)
        else:
            state_key = binding.session_key(token) if token else None
            result = await asyncio.to_thread(auth.check_session, state_key, self._request_context(), known, None, True)
        if result is None:
            await self._forget()
            return None
        identity, profile = result
        if self._user_id and self._user_id != str(identity.user_id):
            await self._forget()  # another person signed in on this tab: drop the last one's data
        # Assigned only when they change: an assignment marks the var dirty, so every event
        # would otherwise send them again and recompute the vars that depend on them.
        if self._user_id != (user_id := str(identity.user_id)):
            self._user_id = user_id
        if self._workspace_id != (workspace_id := str(identity.workspace_id)):
            self._workspace_id = workspace_id
        if self.role != identity.role:
            self.role = identity.role
        if profile is not None:
            self.user_name = profile.user_name
            self.workspace_name = profile.workspace_name
            self.time_zone = profile.time_zone
            if profile.language is None:  # the first visit: the browser's language, kept for mails
                await asyncio.to_thread(languages.default_user_language, identity, self._browser_language(),
                                        self._request_context())
            self._use_language(profile.language or self._browser_language())
        if not self.signed_in:
            self.signed_in = True
        return identity

    async def _actor(self) -> Actor:
        """The acting user, re-derived from the cookie; raises SignInRequired when the session is gone."""
        identity = await self._identity()
        if identity is None:
            raise SignInRequired()
        self._expire_notice()
        return Actor(workspace_id=identity.workspace_id, user_id=identity.user_id, role=identity.role,
                     context=self._request_context(), session_id=identity.session_id)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a (blocking, database) service call off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

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

    @rx.var
    def direction(self) -> str:
        return i18n.direction(self.language)

    @rx.event
    @handler
    async def require_signed_in(self):
        await self._actor()
