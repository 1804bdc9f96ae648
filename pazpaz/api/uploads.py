"""Reflex's /_upload endpoint, authenticated by the upload request's own cookie.

Reflex resolves an upload's state from the `reflex-client-token` header alone and runs the
handler with the headers its websocket connected with. This ASGI wrapper (installed through
rx.App(api_transformer=[..., guard_uploads])) refuses the request before its body is read unless
the request carries a valid session cookie of the session the tab is bound to
(pazpaz.state.binding). Reflex's GET /_upload/<file> static route is closed: PazPaz keeps files
in S3 only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from pazpaz.api.http import SECURITY_HEADERS, request_context
from pazpaz.settings import get_settings
from pazpaz.state import binding

UPLOAD_PATH = "/_upload"
REFUSED = "Your session has ended. Sign in again, then upload the file again."


def guard_uploads(app: ASGIApp) -> ASGIApp:
    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.rstrip("/") == UPLOAD_PATH or path.startswith(UPLOAD_PATH + "/"):
            request = Request(scope)
            if request.method != "POST" or path.rstrip("/") != UPLOAD_PATH:
                await PlainTextResponse("Not found.", status_code=404, headers=SECURITY_HEADERS)(scope, receive, send)
                return
            cookie = request.cookies.get(get_settings().session_cookie_name)
            tab = request.headers.get("reflex-client-token")
            if not await binding.upload_allowed(tab, cookie, request_context(request)):
                await JSONResponse({"detail": REFUSED}, status_code=403, headers=SECURITY_HEADERS)(scope, receive, send)
                return
        await app(scope, receive, send)

    return guarded
