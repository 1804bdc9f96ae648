"""/api/v1: the REST API (FastAPI), mounted on the app's port next to the Starlette routes.

Every route calls the same services as the UI (scoping, roles, audit, conflict rules);
authentication is a personal access token only (no cookies); every error is
application/problem+json (docs/ARCHITECTURE.md "REST API").
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.routing import Mount
from starlette.types import ASGIApp

from pazpaz.api.rest import appointments, attachments, audit, catalog, clients, docs, notes, plans, problems, tokens

PREFIX = "/api/v1"
DESCRIPTION = ("PazPaz's practice data over HTTP. Authenticate with a personal access token "
               "(Settings -> API tokens, or `python -m pazpaz.cli api-token create`): "
               "`Authorization: Bearer <token>`. Lists take `page` (from 1) and `page_size` (default 50, "
               "at most 200) and answer `total`, `page`, `page_size`, `items`. Times are ISO 8601 with "
               "an offset, in and out (the practice's time zone in responses). Rate limits per token: "
               "reads and writes separately; 429 carries Retry-After.")
ROUTERS = (clients.router, appointments.router, catalog.router, notes.router, plans.router, attachments.router,
           audit.router, tokens.router)


def build_fastapi() -> FastAPI:
    app = FastAPI(title="PazPaz API", version="1", description=DESCRIPTION, openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None, servers=[{"url": PREFIX}])
    problems.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    for router in ROUTERS:
        app.include_router(router, responses=_error_responses())

    @app.get("/docs", include_in_schema=False)
    def api_docs():
        return docs.docs_response(app, PREFIX)

    return app


def _error_responses() -> dict[int | str, dict]:
    shape = {"content": {problems.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    return {code: {"description": text, **shape} for code, text in (
        (401, "No valid token"), (403, "Read-only token"), (404, "Not found (or not yours)"),
        (409, "Refused by a rule"), (422, "Invalid input"), (429, "Rate limited"),
        ("default", "Any other error (405, 413, 415, 500, 503), as problem+json"))}


def _openapi(app: FastAPI) -> dict:
    """FastAPI's document plus the Problem schema every error response points at."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        document = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes, servers=app.servers)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = problems.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        app.openapi_schema = document
    return app.openapi_schema


def build_rest_api() -> ASGIApp:
    return problems.ProblemGuard(build_fastapi())


class _PrefixMount(Mount):
    """Starlette's Mount pattern ends in `.*`, which stops at a newline: a path like
    /api/v1/clients/%0A would fall through to the front end's 404. DOTALL keeps every
    path under the prefix in the API (and in problem+json)."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def rest_mount() -> Mount:
    return _PrefixMount(PREFIX, build_rest_api())
