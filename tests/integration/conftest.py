"""Shared by integration tests: one SeaweedFS for the data-safety tests (each empties its
bucket first), and a fresh Reflex app with its own tab index for the tab-state tests."""

from __future__ import annotations

import pytest
import reflex as rx
from reflex_base.registry import RegistrationContext

from pazpaz.state import binding
from tests.support.services import start_s3


@pytest.fixture(scope="session")
def backup_s3():
    weed = start_s3("s3-backup")
    yield weed
    weed.stop()


@pytest.fixture(scope="session")
def redis_server():
    from tests.support.redis_server import start_redis

    server = start_redis("redis")
    yield server
    server.stop()


@pytest.fixture
def app(app_env, monkeypatch):
    # A fresh App (its own in-memory state manager) and tab index per test, next to any App
    # already built: sessions of earlier tests' databases stay out of this one's index.
    monkeypatch.setattr(binding, "INDEX", binding._Index())
    registration = RegistrationContext.set(RegistrationContext.get().fork())
    app = rx.App()
    previous = binding._app
    binding.install(app)
    yield app
    binding._app = previous
    RegistrationContext.reset(registration)
