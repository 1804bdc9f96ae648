"""Reflex's websocket (`/_event`) receives the session cookie as "h." + SHA-256 of the token,
never the token itself.

Reflex copies each connection's headers into the tab's state (`router_data`, `router.headers`),
and with REDIS_URL that state is pickled into Redis: a live session token there would let anyone
who reads Redis sign in as that user over HTTP. The hash is what the sessions table keys on, so
the state code checks sessions with it (`auth.validate_session(..., hashed=True)`), while every
HTTP route keeps requiring the token itself: a hash read from Redis or the database opens nothing.
A client sending "h.<hash>" as its cookie gets that value hashed again, like any other.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

from pazpaz.services import auth
from pazpaz.settings import get_settings

EVENT_PATH = "/_event"


def _rewrite(cookie_header: str) -> str:
    name = get_settings().session_cookie_name
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return ""  # unparsable: the connection is anonymous
    return "; ".join(f"{key}={auth.websocket_cookie_value(morsel.value) if key == name else morsel.coded_value}"
                     for key, morsel in jar.items())


class HashWebsocketCookie:
    """ASGI wrapper: the session cookie of every `/_event` connection becomes its hash."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Websocket, or the long-polling fallback if Reflex is ever configured for it.
        if scope["type"] in ("websocket", "http") and scope.get("path", "").startswith(EVENT_PATH):
            headers = [(key, _rewrite(value.decode("latin-1")).encode("latin-1") if key == b"cookie" else value)
                       for key, value in scope.get("headers", [])]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
