"""RFC 7807 problem+json for every error /api/v1 answers (docs/ARCHITECTURE.md "REST API").

Exception handlers turn FastAPI's and the services' errors into one shape; `ProblemGuard`
(pure ASGI, around the whole sub-app) turns anything else into a bare 500 without a stack
trace or message (messages can carry PII), and refuses bodies of the wrong media type (415)
before a route reads them.
"""

from __future__ import annotations

import logging
from datetime import UTC
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pazpaz.services import workspaces
from pazpaz.services.appointments import ConflictsFound
from pazpaz.services.attachments import LinkExpired, StorageUnavailable
from pazpaz.services.errors import NotFound, RateLimited, ServiceError, ValidationFailed
from pazpaz.services.soap_notes import StaleNote

log = logging.getLogger("pazpaz.api.rest")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://pazpaz.app/problems/"


class ConflictItem(BaseModel):
    id: str
    start: str
    end: str
    client_initials: str


class Problem(BaseModel):
    """RFC 7807 problem details."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: dict[str, str] | None = Field(default=None, description="Per field, for 422.")
    conflicts: list[ConflictItem] | None = Field(default=None, description="For a booking conflict (409).")


def _slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def problem(status: int, detail: str = "", instance: str = "", headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {"type": TYPE_BASE + _slug(status), "title": phrase, "status": status,
                            "detail": detail or phrase + ".", "instance": instance}
    body.update({key: value for key, value in extra.items() if value is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _instance(request: Request) -> str:
    # The path only: a query string may carry a search text (PII).
    return request.url.path


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    detail = error.detail if isinstance(error.detail, str) else ""
    return problem(error.status_code, detail, _instance(request), headers=dict(error.headers or {}))


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    errors: dict[str, str] = {}
    for item in error.errors():
        key = _field(tuple(item.get("loc", ())))
        message = str(item.get("msg", "Invalid value."))
        errors[key] = f"{errors[key]} {message}" if key in errors else message
    return problem(422, "Some values are missing or invalid.", _instance(request), errors=errors)


async def _service_error(request: Request, error: ServiceError) -> JSONResponse:
    instance = _instance(request)
    if isinstance(error, NotFound):
        return problem(404, str(error), instance)
    if isinstance(error, ValidationFailed):
        return problem(422, str(error), instance, errors=error.errors)
    if isinstance(error, ConflictsFound):
        actor = getattr(request.state, "actor", None)
        zone = await run_in_threadpool(workspaces.zone_of, actor) if actor is not None else UTC
        conflicts = [{"id": str(c.appointment_id), "start": c.starts_at.astimezone(zone).isoformat(),
                      "end": c.ends_at.astimezone(zone).isoformat(), "client_initials": c.client_initials}
                     for c in error.conflicts]
        return problem(409, f"{error} Send \"override\": true to book anyway.", instance, conflicts=conflicts)
    if isinstance(error, StaleNote):
        return problem(409, "The note was saved elsewhere since you read it: read it again for the current "
                            "lock_version.", instance)
    if isinstance(error, RateLimited):
        return problem(429, "Too many requests for this token. Try again later.", instance,
                       headers={"Retry-After": str(error.retry_after_seconds)})
    if isinstance(error, LinkExpired):
        return problem(403, str(error), instance)
    if isinstance(error, StorageUnavailable):
        return problem(503, str(error), instance)
    # A refusal by a business rule (a status change that isn't allowed, a finalized note ...).
    return problem(409, str(error), instance)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # Starlette's ServerErrorMiddleware answers with this, then re-raises; ProblemGuard logs it.
    return problem(500, "Something went wrong on our side.", _instance(request))


def install(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ServiceError, _service_error)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _media_type(scope: Scope) -> str:
    return _header(scope, b"content-type").split(";")[0].strip().lower()


BODY_TYPES = ("application/json", "multipart/form-data")


class BodyTooLarge(Exception):
    pass


def body_limit(scope: Scope) -> int:
    """Bytes a request body may have: an upload's file limit plus room for the multipart
    envelope, and far less for JSON."""
    from pazpaz.services.attachments import max_bytes

    if scope["method"] == "POST" and scope.get("path", "").rstrip("/").endswith("/attachments"):
        return max_bytes() + 64 * 1024
    return 1024 * 1024


class ProblemGuard:
    """Around the whole sub-app: refuses wrong media types (415) and bodies over the limit
    (413, counted while they stream in), and turns an unexpected error into a problem+json
    500 (logged by type only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("root_path", "") + scope.get("path", "")
        refusal = self._refuse_media_type(scope, path)
        limit = body_limit(scope)
        declared = _header(scope, b"content-length")
        if refusal is None and declared.isdigit() and int(declared) > limit:
            refusal = _too_large(path)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        state = {"started": False, "received": 0, "too_large": False, "replaced": False}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["too_large"] = True
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            if state["too_large"]:
                # The route saw the body break off (FastAPI answers that with its own 400):
                # the client hears what really happened.
                if message["type"] == "http.response.start" and not state["replaced"]:
                    state["replaced"] = state["started"] = True
                    await _too_large(path)(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not state["started"]:
                await _too_large(path)(scope, receive, send)
        except Exception as error:
            log.error("API request failed: %s", type(error).__name__)
            if not state["started"]:
                await problem(500, "Something went wrong on our side.", path)(scope, receive, send)

    @staticmethod
    def _refuse_media_type(scope: Scope, path: str) -> JSONResponse | None:
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return None
        media = _media_type(scope)
        length = _header(scope, b"content-length")
        has_body = bool(media) or (length not in ("", "0")) or bool(_header(scope, b"transfer-encoding"))
        if has_body and media not in BODY_TYPES:
            return problem(415, "Send JSON (application/json), or multipart/form-data for uploads.", path)
        return None


def _too_large(path: str) -> JSONResponse:
    from pazpaz.settings import get_settings

    return problem(413, f"The request body is too large (files up to {get_settings().max_upload_mb} MB).", path)
