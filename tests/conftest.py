"""Test-wide set-up: a throwaway data dir and fixed keys, one embedded PostgreSQL, an SMTP sink.

Environment is set before any settings are read, so no test touches ./data.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.services import TESTDATA

if TYPE_CHECKING:
    from tests.support.smtp_sink import SmtpSink

RUN_DIR = TESTDATA / "run"
shutil.rmtree(RUN_DIR, ignore_errors=True)
RUN_DIR.mkdir(parents=True, exist_ok=True)

os.environ["PAZPAZ_DATA_DIR"] = str(RUN_DIR)
os.environ["PAZPAZ_PUBLIC_URL"] = "http://localhost:3100"
for _name, _seed in (("PAZPAZ_SECRET_KEY", b"s"), ("PAZPAZ_KEK", b"k"), ("PAZPAZ_BLIND_INDEX_KEY", b"b")):
    os.environ[_name] = base64.urlsafe_b64encode(_seed * 32).decode()
for _name in ("DATABASE_URL", "S3_ENDPOINT_URL", "SMTP_HOST"):
    os.environ.pop(_name, None)


def reset_caches() -> None:
    from pazpaz.services import api_tokens, ratelimit
    from pazpaz.settings import get_settings

    get_settings.cache_clear()
    api_tokens.clear_cache()
    ratelimit.get_limiter.cache_clear()
    ratelimit.get_feed_limiter.cache_clear()
    ratelimit.get_api_limiter.cache_clear()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    from tests.support.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def pg_server():
    from tests.support.services import migrated_template, start_postgres

    pg = start_postgres("pg")
    template = migrated_template(pg)
    yield pg, template
    pg.stop()


@pytest.fixture
def app_env(pg_server, smtp_sink, monkeypatch) -> Iterator[str]:
    """A fresh migrated database and SMTP pointed at the sink; returns the database URL,
    which connects as the app's own role (no superuser, owns nothing), as in production."""
    from pazpaz.infra.roles import APP_ROLE
    from tests.support.services import create_database

    pg, template = pg_server
    url = create_database(pg, template, user=APP_ROLE)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(smtp_sink.port))
    monkeypatch.setenv("SMTP_TLS", "none")
    monkeypatch.setenv("SMTP_FROM", "PazPaz <no-reply@pazpaz.test>")
    monkeypatch.setenv("PAZPAZ_SIGNUP", "open")
    reset_caches()
    yield url
    reset_caches()
    # psycopg 3 connections sit in reference cycles: a dropped engine's pool would hold its
    # connections until the cycle collector runs, and the server's slots run out.
    from pazpaz.db import dispose_engines

    dispose_engines()


@pytest.fixture
def owner_env(app_env, monkeypatch) -> Iterator[str]:
    """app_env, but connected as the owner (superuser) of the database: only for code that
    runs as the owner in production too (the benchmark seeder's bulk load)."""
    from sqlalchemy.engine import make_url

    url = make_url(app_env).set(username="postgres").render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    reset_caches()
    yield url
    reset_caches()
