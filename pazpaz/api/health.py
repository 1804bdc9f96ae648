"""GET /api/v1/health: 200 when PostgreSQL and storage answer, 503 naming what is down."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from pazpaz.db import get_engine
from pazpaz.services import health
from pazpaz.settings import get_settings


def health_endpoint(request: Request) -> JSONResponse:
    result = health.check(get_engine(), get_settings().s3)
    return JSONResponse(result.as_dict(), status_code=200 if result.ok else 503,
                        headers={"Cache-Control": "no-store"})
