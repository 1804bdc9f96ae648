"""The ASGI side of PazPaz: our Starlette routes mounted in front of Reflex
(rx.App(api_transformer=...)), and the App subclass that wraps everything Reflex serves
in the security-headers middleware."""

from __future__ import annotations

from pathlib import Path

import reflex as rx
from reflex.utils import prerequisites
from reflex_base import constants
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp

from pazpaz.api import auth, exports, feed, files, health, invitations, reminder_links, second_step
from pazpaz.api.headers import SecurityHeadersMiddleware, build_policy
from pazpaz.api.rest import rest_mount
from pazpaz.api.websocket_cookie import HashWebsocketCookie
from pazpaz.infra.tab_state import use_tab_state_manager
from pazpaz.settings import get_settings


def build_api() -> Starlette:
    return Starlette(routes=[
        Route("/api/v1/health", health.health_endpoint, methods=["GET"]),
        rest_mount(),  # /api/v1 (REST API); health above stays a plain route
        Route("/auth/continue", auth.continue_page, methods=["GET"]),
        Route("/auth/continue.js", auth.continue_script, methods=["GET"]),
        Route("/auth/redeem", auth.redeem, methods=["POST"]),
        Route("/auth/signout", auth.sign_out, methods=["POST"]),
        Route("/auth/second-step", second_step.second_step_page, methods=["GET"]),
        Route("/auth/second-step", second_step.second_step_submit, methods=["POST"]),
        Route("/auth/second-step.js", second_step.second_step_script, methods=["GET"]),
        Route("/auth/invitation", invitations.invitation_page, methods=["GET"]),
        Route("/auth/invitation", invitations.accept_invitation, methods=["POST"]),
        Route("/files/{attachment_id}/open", files.open_endpoint, methods=["GET"]),
        Route("/files/{attachment_id}", files.file_endpoint, methods=["GET"]),
        Route("/feed/{token}.ics", feed.feed_endpoint, methods=["GET"]),
        Route("/exports/{export_id}", exports.export_endpoint, methods=["GET"]),
        Route("/appointment/{purpose}", reminder_links.show, methods=["GET"]),
        Route("/appointment/{purpose}", reminder_links.act, methods=["POST"]),
    ])


def frontend_build_dir() -> Path:
    """Where `reflex run --env prod` puts the static front end it serves on our port."""
    return prerequisites.get_web_dir() / constants.Dirs.STATIC


def with_security_headers(asgi_app: ASGIApp) -> ASGIApp:
    settings = get_settings()
    policy = build_policy(settings.public_url, settings.port, settings.bind_host, frontend_build_dir())
    return SecurityHeadersMiddleware(asgi_app, policy)


class PazPazApp(rx.App):
    """rx.App whose ASGI app is wrapped as a whole.

    An api_transformer only wraps what sits inside Reflex's outermost Starlette app; that
    outer app still answers CORS preflights and unhandled errors itself. The server (Granian,
    factory=True) calls the App instance to get the ASGI app, so wrapping here covers every
    response the port serves.
    """

    def __call__(self) -> ASGIApp:
        return with_security_headers(HashWebsocketCookie(super().__call__()))

    def _setup_state(self) -> None:
        super()._setup_state()
        # With REDIS_URL: a cancelled page-load event gives the tab's lock back, the session
        # binding every event checks is read with the event's states, and the calendar's window
        # only by the handlers that use it (infra/tab_state.py).
        if getattr(self, "_state_manager", None) is not None:
            from pazpaz.state.binding import SessionBindingState
            from pazpaz.state.calendar import shown_on_demand

            use_tab_state_manager(self._state_manager, always_loaded=(SessionBindingState,),
                                  on_demand=shown_on_demand())
