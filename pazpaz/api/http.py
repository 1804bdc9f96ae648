"""Helpers shared by the plain HTTP routes."""

from __future__ import annotations

from starlette.requests import Request

from pazpaz.services.audit import RequestContext
from pazpaz.services.client_ip import client_ip
from pazpaz.settings import get_settings

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def request_context(request: Request) -> RequestContext:
    forwarded_for = ", ".join(request.headers.getlist("x-forwarded-for"))
    return RequestContext(
        ip=client_ip(request.client.host if request.client else None, forwarded_for, get_settings().trusted_proxies),
        user_agent=request.headers.get("user-agent"),
    )


def same_origin(request: Request, public_url: str) -> bool:
    """Refuse cross-site form posts: browsers always send Origin on POST."""
    origin = request.headers.get("origin")
    return origin is None or origin == public_url
