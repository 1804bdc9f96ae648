"""GET /exports/{id}: download a finished export zip through its app-signed 5-minute link,
for a request carrying the session of an owner of that practice (like /files)."""

from __future__ import annotations

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from pazpaz.api.http import request_context
from pazpaz.api.pages import NOT_FOUND, plain
from pazpaz.services import auth, exports
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import Actor
from pazpaz.settings import get_settings

NO_STORE = {"Cache-Control": "no-store"}


async def export_endpoint(request: Request) -> Response:
    query = request.query_params
    token = request.cookies.get(get_settings().session_cookie_name)
    context = request_context(request)
    signed_in = await run_in_threadpool(auth.validate_session, token, context)
    if signed_in is None:
        return plain(request, NOT_FOUND, 404, headers=NO_STORE)
    viewer = Actor(signed_in.workspace_id, signed_in.user_id, signed_in.role, context)
    try:
        download = await run_in_threadpool(exports.open_download, viewer, request.path_params["export_id"],
                                           query.get("w", ""), query.get("e", ""), query.get("s", ""))
    except exports.LinkExpired as expired:
        return plain(request, expired.message(), 403, headers=NO_STORE)
    except NotFound:
        return plain(request, NOT_FOUND, 404, headers=NO_STORE)
    headers = {"Content-Disposition": f'attachment; filename="{download.file_name}"',
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", **NO_STORE,
               "Content-Security-Policy": "sandbox; default-src 'none'"}
    return StreamingResponse(iterate_in_threadpool(download.chunks), media_type="application/zip", headers=headers)
