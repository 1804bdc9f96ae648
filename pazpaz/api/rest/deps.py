"""What every /api/v1 route shares: the bearer-token actor (rate-limited, read-only tokens
refused on writes), the page parameters and the page body."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from pazpaz.api.http import request_context
from pazpaz.services import api_tokens, ratelimit
from pazpaz.services.scope import Actor

log = logging.getLogger("pazpaz.api.rest")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

bearer = HTTPBearer(auto_error=False, description="A personal access token from Settings -> API tokens.")

T = TypeVar("T")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="pazpaz"'})


async def current_actor(request: Request,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Actor:
    """The token's user as an Actor. Cookies are never read here: no CSRF surface.

    A token verified a moment ago is taken from memory; otherwise the database lookup runs
    in the thread pool, never on the event loop."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Send a personal access token: Authorization: Bearer <token>.")
    context = request_context(request)
    identity, start_recheck = api_tokens.cached(credentials.credentials, context)
    if identity is None:
        identity = await run_in_threadpool(api_tokens.authenticate, credentials.credentials, context)
    elif start_recheck:  # off this request's path: the entry is still within its bound
        try:
            asyncio.get_running_loop().run_in_executor(None, api_tokens.recheck_due)
        except RuntimeError:  # the executor is shutting down: the entry lapses as usual
            api_tokens.recheck_not_started()
    if identity is None:
        raise _unauthorized("This token is unknown, expired or revoked, or its user is deactivated.")
    kind = "read" if request.method in READ_METHODS else "write"
    # RateLimited is a ServiceError: the problem handler answers 429 with Retry-After.
    ratelimit.get_api_limiter().hit(kind, str(identity.token_id))
    if kind == "write" and not identity.can_write:
        raise HTTPException(403, "This token is read-only.")
    request.state.actor = identity.actor  # error answers show times in the practice's zone
    return identity.actor


ActorDep = Annotated[Actor, Depends(current_actor)]


class PageParams(BaseModel):
    page: int
    page_size: int


# async: FastAPI runs a plain `def` dependency in the thread pool, a hand-off per request
# for two integers.
async def page_params(page: Annotated[int, Query(ge=1, le=1_000_000, description="From 1.")] = 1,
                page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE) -> PageParams:
    return PageParams(page=page, page_size=page_size)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    total: int
    page: int
    page_size: int
    items: list[T]


def slice_page(model: type[BaseModel], items: list, params: PageParams) -> Page:
    """A page of a list a service returns whole (short lists: the catalog, a client's notes)."""
    start = (params.page - 1) * params.page_size
    return Page[model](total=len(items), page=params.page, page_size=params.page_size,  # type: ignore[valid-type]
                       items=items[start:start + params.page_size])


def json_response(body: BaseModel) -> Response:
    """body as JSON, serialised once by pydantic. A route that returns its model instead has
    FastAPI validate it again against response_model and encode it twice; for the hot lists
    (appointments, conflicts) that was a third of the request. response_model still
    documents the route, and the body is built with the same model."""
    return Response(body.model_dump_json(), media_type="application/json")


def json_list_response(items: list[BaseModel]) -> Response:
    return Response(b"[" + b",".join(item.__pydantic_serializer__.to_json(item) for item in items) + b"]",
                    media_type="application/json")
