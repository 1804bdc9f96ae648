"""The Starlette app mounted in front of Reflex (rx.App(api_transformer=...))."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from pazpaz.api import auth, files, health


def build_api() -> Starlette:
    return Starlette(routes=[
        Route("/api/v1/health", health.health_endpoint, methods=["GET"]),
        Route("/auth/continue", auth.continue_page, methods=["GET"]),
        Route("/auth/redeem", auth.redeem, methods=["POST"]),
        Route("/auth/signout", auth.sign_out, methods=["POST"]),
        Route("/files/{attachment_id}", files.file_endpoint, methods=["GET"]),
    ])
