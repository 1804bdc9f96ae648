"""Sign-in rate limits: per IP (refuses) and per email (stops mail), and closed when the store fails."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage

from pazpaz.services.errors import RateLimited
from pazpaz.services.ratelimit import SignInLimiter


def test_email_limit_stops_mail_without_refusing():
    limiter = SignInLimiter("3/15minutes", "100/15minutes")
    assert [limiter.mail_allowed("email-a") for _ in range(4)] == [True, True, True, False]
    assert limiter.mail_allowed("email-b")  # another address is unaffected


def test_ip_limit_refuses_after_quota_with_minutes_in_message():
    limiter = SignInLimiter("100/15minutes", "2/15minutes")
    limiter.hit_ip("10.0.0.9")
    limiter.hit_ip("10.0.0.9")
    with pytest.raises(RateLimited) as refused:
        limiter.hit_ip("10.0.0.9")
    assert "try again in" in str(refused.value)
    assert 0 < refused.value.retry_after_seconds <= 15 * 60
    limiter.hit_ip("10.0.0.10")


class BrokenStorage(MemoryStorage):
    def acquire_entry(self, *args, **kwargs):
        raise ConnectionError("store down")


def test_fails_closed_when_the_store_is_down():
    limiter = SignInLimiter("5/minute", "5/minute", storage=BrokenStorage())
    with pytest.raises(RateLimited):
        limiter.hit_ip("10.0.0.1")
    assert not limiter.mail_allowed("a")


def test_memory_budgets_start_no_thread_per_hit_and_still_expire(monkeypatch):
    import threading

    from pazpaz.services import ratelimit
    from pazpaz.services.ratelimit import ApiLimiter

    storage = ratelimit._InlineExpiryMemoryStorage()
    limiter = ApiLimiter("50/minute", "5/minute", storage=storage)
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread))
    for _ in range(50):
        limiter.hit("read", "token-a")
    with pytest.raises(RateLimited):
        limiter.hit("read", "token-a")  # the budget is still enforced
    limiter.hit("read", "token-b")
    assert started == []  # limits' MemoryStorage started a timer thread on most hits

    # The sweep still drops what has expired (memory stays bounded), at most once a second.
    for entries in storage.events.values():
        for entry in entries:
            entry.expiry = 0.0
    storage._next_sweep = 0.0
    limiter.hit("write", "token-c")
    assert {key.split("/")[3]: len(entries) for key, entries in storage.events.items()} == {
        "token-a": 0, "token-b": 0, "token-c": 1}
