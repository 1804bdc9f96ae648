"""Shared by the data-safety tests (backup, schedule, erasure, exports): one SeaweedFS for the
session; each test empties its bucket first."""

from __future__ import annotations

import pytest

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
