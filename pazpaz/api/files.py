"""GET /files/{id}: stream a stored file to the browser after checking the app-signed URL.

The embedded S3 listens on 127.0.0.1 only, so a phone can't reach a presigned S3 URL; this
route checks the request's own session, the HMAC signature and expiry the attachments
service issued, and streams the
object, decrypted by the service as it goes (S3 only holds ciphertext), with safe headers.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from pazpaz.api.http import request_context
from pazpaz.api.pages import NOT_FOUND, plain
from pazpaz.services import attachments, auth
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import Actor
from pazpaz.settings import get_settings


async def file_endpoint(request: Request) -> Response:
    query = request.query_params
    # The signed link alone is not enough: it also needs this request's own session, of an
    # owner of that workspace (clinical files are the owner's), so a link left in a shared
    # machine's history dies with the sign-out, and a copied link opens in no other browser.
    token = request.cookies.get(get_settings().session_cookie_name)
    viewer = await run_in_threadpool(auth.validate_session, token, request_context(request))
    if viewer is None or viewer.role != "owner" or str(viewer.workspace_id) != query.get("w", ""):
        return plain(request, NOT_FOUND, 404, headers={"Cache-Control": "no-store"})
    try:
        stream = await run_in_threadpool(attachments.open_signed, request.path_params["attachment_id"],
                                         query.get("w", ""), query.get("v", ""), query.get("e", ""),
                                         query.get("s", ""))
    except attachments.LinkExpired as expired:
        return plain(request, expired.message(), 403, headers={"Cache-Control": "no-store"})
    except NotFound:
        return plain(request, NOT_FOUND, 404, headers={"Cache-Control": "no-store"})
    except attachments.StorageUnavailable as down:
        return plain(request, down.message(), 503, headers={"Cache-Control": "no-store"})
    headers = {
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(stream.file_name)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        "Referrer-Policy": "no-referrer",
    }
    if stream.length:
        headers["Content-Length"] = str(stream.length)
    return StreamingResponse(iterate_in_threadpool(stream.chunks), media_type=stream.content_type, headers=headers)


async def open_endpoint(request: Request) -> Response:
    """GET /files/{id}/open: the link a thumbnail carries, opened by the user's click in a new
    tab. Same checks as the in-app "open" (owner's session, the practice's file), the same
    audit row (attachment.read), then a redirect to a fresh short-lived signed URL."""
    no_store = {"Cache-Control": "no-store"}
    context = request_context(request)
    signed_in = await run_in_threadpool(auth.validate_session,
                                        request.cookies.get(get_settings().session_cookie_name), context)
    if signed_in is None or signed_in.role != "owner":
        return plain(request, NOT_FOUND, 404, headers=no_store)
    try:
        attachment_id = uuid.UUID(request.path_params["attachment_id"])
        url = await run_in_threadpool(attachments.download_url,
                                      Actor(signed_in.workspace_id, signed_in.user_id, signed_in.role, context),
                                      attachment_id)
    except (ValueError, NotFound):
        return plain(request, NOT_FOUND, 404, headers=no_store)
    return RedirectResponse(url, status_code=303, headers={**no_store, "Referrer-Policy": "no-referrer"})
