"""Settings of the REST API's per-token rate limits."""

from __future__ import annotations

import pytest

from pazpaz.services.errors import RateLimited
from pazpaz.services.ratelimit import ApiLimiter
from pazpaz.settings import SettingsError
from tests.unit.test_settings import settings_from


def test_api_rate_limits_default_and_validate(tmp_path):
    defaults = settings_from(tmp_path)
    assert (defaults.api_rate_read, defaults.api_rate_write) == ("600/minute", "120/minute")
    custom = settings_from(tmp_path, PAZPAZ_API_RATE_READ="10/second")
    assert custom.api_rate_read == "10/second"
    with pytest.raises(SettingsError, match="PAZPAZ_API_RATE_WRITE"):
        settings_from(tmp_path, PAZPAZ_API_RATE_WRITE="lots")


def test_reads_and_writes_have_separate_budgets_per_token():
    limiter = ApiLimiter("2/minute", "1/minute")
    limiter.hit("read", "a")
    limiter.hit("read", "a")
    limiter.hit("write", "a")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("read", "a")
    assert refused.value.retry_after_seconds >= 1
    with pytest.raises(RateLimited):
        limiter.hit("write", "a")
    limiter.hit("read", "b")  # another token has its own budget
