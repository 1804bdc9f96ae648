"""GET /feed/{token}.ics: a user's calendar feed, for a phone's calendar subscription.

The token in the path is the only credential (calendar apps send no cookies); it names no
person. Unknown, revoked and malformed links and deactivated users all get the same 404.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pazpaz.api.http import request_context
from pazpaz.services import calendar_feed
from pazpaz.services.errors import NotFound, RateLimited

# A feed is personal and changes with every booking: no shared or stored copies, and a
# link opened in a browser must not leak through Referer.
HEADERS = {
    "Cache-Control": "private, no-store, max-age=0",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}


async def feed_endpoint(request: Request) -> Response:
    try:
        body = await run_in_threadpool(calendar_feed.read, request.path_params["token"], request_context(request))
    except NotFound:
        return PlainTextResponse("Not found.", status_code=404, headers=HEADERS)
    except RateLimited as limited:
        return PlainTextResponse(str(limited), status_code=429,
                                 headers={**HEADERS, "Retry-After": str(limited.retry_after_seconds)})
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={**HEADERS, "Content-Disposition": 'inline; filename="pazpaz.ics"'})
