"""Reflex configuration: our origin only, no telemetry, no third-party calls."""

import os

import reflex as rx

from pazpaz.components.theme import theme
from pazpaz.settings import get_settings

_settings = get_settings()
# Reflex's opportunistic lock (a worker keeps a tab's state between its events and hands it over
# through Redis when another process asks) stays OFF: with it on, a tab reconnecting to another
# process under load once came back with an empty state (docs/ARCHITECTURE.md "Several
# processes (Redis)"). Off, every event loads and saves the tab's state in Redis under its lock.
os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "false")

config = rx.Config(
    app_name="pazpaz",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Websocket handshakes and API calls from any other origin are refused.
    cors_allowed_origins=[_settings.public_url],
    frontend_port=_settings.port,
    backend_port=_settings.port,
    backend_host=_settings.bind_host,
    # One worker keeps tab state in memory: nothing (notes, names) is pickled to disk. With
    # REDIS_URL every worker and machine shares tab state through Redis, pickled there (what
    # that means for Redis's security: README "Several processes").
    state_manager_mode="redis" if _settings.redis_url else "memory",
    redis_url=_settings.redis_url,
    # A tab's Redis lock outlives a slow handler on a busy machine (Reflex's default, 10 s,
    # drops the event's changes when exceeded); long work runs as background events anyway.
    redis_lock_expiration=30_000,
    # A tab's state lives no longer than an idle session (the memory manager uses this too).
    redis_token_expiration=_settings.session_idle_minutes * 60,
    plugins=[
        rx.plugins.SitemapPlugin(),
        # One theme for every page: colours chosen for WCAG AA contrast (components/theme.py).
        rx.plugins.RadixThemesPlugin(theme=theme()),
    ],
)
