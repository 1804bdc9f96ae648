"""GET /api/v1/health against a real PostgreSQL and SeaweedFS, then with each stopped."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from pazpaz.api.app import build_api
from tests.conftest import reset_caches
from tests.support.services import create_database, start_postgres, start_s3


@pytest.fixture
def own_services(monkeypatch):
    """A PostgreSQL and an S3 of this test's own, so stopping them harms no other test."""
    pg = start_postgres("pg-health")
    weed = start_s3("s3-health")
    try:
        monkeypatch.setenv("DATABASE_URL", create_database(pg))
        s3 = weed.settings
        monkeypatch.setenv("S3_ENDPOINT_URL", s3.endpoint_url)
        monkeypatch.setenv("S3_ACCESS_KEY_ID", s3.access_key_id)
        monkeypatch.setenv("S3_SECRET_ACCESS_KEY", s3.secret_access_key)
        monkeypatch.setenv("S3_BUCKET", s3.bucket)
        reset_caches()
        yield pg, weed
    finally:
        weed.stop()
        pg.stop()
        reset_caches()


def health(client: TestClient) -> tuple[int, dict]:
    response = client.get("/api/v1/health")
    return response.status_code, response.json()


def test_health_reports_each_part(own_services):
    pg, weed = own_services
    client = TestClient(build_api())
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["storage"] == "ok"
    assert body["version"]

    weed.stop()
    status, body = health(client)
    assert status == 503
    assert body["storage"] == "down" and body["database"] == "ok"

    pg.stop()
    status, body = health(client)
    assert status == 503
    assert body["database"] == "down"


def test_s3_enforces_signatures(own_services):
    from dataclasses import replace

    from pazpaz.services.storage import bucket_reachable

    _, weed = own_services
    assert bucket_reachable(weed.settings)
    assert not bucket_reachable(replace(weed.settings, secret_access_key="wrong-secret-value"))
