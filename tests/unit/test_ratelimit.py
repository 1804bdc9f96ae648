"""Sign-in rate limits: per email and per IP, and closed when the store fails."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage

from pazpaz.services.errors import RateLimited
from pazpaz.services.ratelimit import SignInLimiter


def test_email_limit_refuses_after_quota_with_minutes_in_message():
    limiter = SignInLimiter("3/15minutes", "100/15minutes")
    for _ in range(3):
        limiter.hit("email-a", "10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("email-a", "10.0.0.1")
    assert "try again in" in str(refused.value)
    assert 0 < refused.value.retry_after_seconds <= 15 * 60
    limiter.hit("email-b", "10.0.0.1")  # another address is unaffected


def test_ip_limit_spans_addresses():
    limiter = SignInLimiter("100/15minutes", "2/15minutes")
    limiter.hit("a", "10.0.0.9")
    limiter.hit("b", "10.0.0.9")
    with pytest.raises(RateLimited):
        limiter.hit("c", "10.0.0.9")
    limiter.hit("c", "10.0.0.10")


class BrokenStorage(MemoryStorage):
    def acquire_entry(self, *args, **kwargs):
        raise ConnectionError("store down")


def test_fails_closed_when_the_store_is_down():
    limiter = SignInLimiter("5/minute", "5/minute", storage=BrokenStorage())
    with pytest.raises(RateLimited):
        limiter.hit("a", "10.0.0.1")
