"""Real PostgreSQL (embedded wheel) and S3 (SeaweedFS) for tests, under .testdata/."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg2

from pazpaz.infra import postgres, s3
from pazpaz.infra.roles import APP_ROLE
from pazpaz.launcher import run_migrations
from pazpaz.settings import S3Settings

# Each pytest-xdist worker (`make test` runs two) gets its own PostgreSQL, S3 stores and data
# dir, so the workers never share a server, a template database or a lock file.
TESTDATA = Path(__file__).resolve().parents[2] / ".testdata" / os.environ.get("PYTEST_XDIST_WORKER", "")


def start_postgres(name: str) -> postgres.EmbeddedPostgres:
    pg = postgres.start(TESTDATA / name)
    pg.ensure_app_role(APP_ROLE)
    return pg


def create_database(pg: postgres.EmbeddedPostgres, template: str | None = None, user: str = "postgres") -> str:
    """A new database (a copy of template, grants included); its URL for `user` (the owner
    `postgres` by default, or APP_ROLE to connect as the app does)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    connection = psycopg2.connect(pg.admin_dsn())
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            clause = f' TEMPLATE "{template}"' if template else ""
            cursor.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        connection.close()
    return pg.url(name, user=user)


def migrated_template(pg: postgres.EmbeddedPostgres) -> str:
    """A database at Alembic head, used as the template for fast per-test databases."""
    pg.ensure_database("pazpaz_template")
    run_migrations(pg.url("pazpaz_template"), APP_ROLE)
    return "pazpaz_template"


def s3_settings(port: int) -> S3Settings:
    return S3Settings(
        endpoint_url=f"http://127.0.0.1:{port}",
        bucket="pazpaz-test",
        access_key_id="test-key",
        secret_access_key="test-secret-" + "x" * 20,
        region="us-east-1",
        public_endpoint=None,
    )


def start_s3(name: str) -> s3.EmbeddedS3:
    from tests.support.ports import free_weed_ports

    ports = free_weed_ports()
    return s3.start(TESTDATA / name, s3_settings(ports.s3), ports)
