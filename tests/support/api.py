"""Helpers for /api/v1 tests: a client over the real ASGI routes and tokens made by the service."""

from __future__ import annotations

from starlette.testclient import TestClient

from pazpaz.services import api_tokens
from pazpaz.services.scope import Actor


def api_client() -> TestClient:
    from pazpaz.api.app import build_api

    return TestClient(build_api(), base_url="http://localhost:3100", raise_server_exceptions=False)


def token_for(actor: Actor, scope: str = "read-write", days: int | None = 30) -> str:
    return api_tokens.create(actor, "test", scope, days).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
