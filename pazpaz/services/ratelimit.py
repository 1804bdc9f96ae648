"""Sign-in rate limits per IP and per email (moving window, via `limits`); fail closed.

The two limits answer differently (docs/ARCHITECTURE.md "Sign-in rate limits"): the per-IP
limit refuses the request; the per-email limit only stops further mail to that address, so a
stranger who floods a therapist's address can neither refuse her a link nor learn anything.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from limits import parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from pazpaz.services.errors import RateLimited
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.ratelimit")


class SignInLimiter:
    def __init__(self, email_rate: str, ip_rate: str, storage: Storage | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._email_rate = parse(email_rate)
        self._ip_rate = parse(ip_rate)

    def hit_ip(self, ip: str) -> None:
        """Count one request from `ip`; raise RateLimited when its limit is spent or the store fails."""
        key = ip or "unknown"
        try:
            allowed = self._limiter.hit(self._ip_rate, "signin", "ip", key)
            if not allowed:
                reset_at = self._limiter.get_window_stats(self._ip_rate, "signin", "ip", key).reset_time
        except Exception as error:  # the limiter's store is down: refuse rather than let floods through
            log.error("rate limiter unavailable; refusing sign-in link requests (%s)", type(error).__name__)
            raise RateLimited(60) from None
        if not allowed:
            raise RateLimited(int(max(1.0, reset_at - time.time())))

    def mail_allowed(self, email_key: str) -> bool:
        """Count one mail to the address with this blind index; False once its limit is spent
        (or the store fails: then no mail leaves, and the caller answers as usual)."""
        try:
            return bool(self._limiter.hit(self._email_rate, "signin", "email", email_key))
        except Exception as error:
            log.error("rate limiter unavailable; no sign-in mail sent (%s)", type(error).__name__)
            return False


@lru_cache(maxsize=1)
def get_limiter() -> SignInLimiter:
    settings = get_settings()
    return SignInLimiter(settings.rate_limit_email, settings.rate_limit_ip)


class ApiLimiter:
    """Per-token limits on /api/v1, one budget for reads and one for writes; fail closed."""

    def __init__(self, read_rate: str, write_rate: str, storage: Storage | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._rates = {"read": parse(read_rate), "write": parse(write_rate)}

    def hit(self, token_id: str, kind: str) -> None:
        """Count one call of `kind` ("read" or "write"); raise RateLimited when spent or the store fails."""
        rate = self._rates[kind]
        try:
            allowed = self._limiter.hit(rate, "api", kind, token_id)
            if not allowed:
                reset_at = self._limiter.get_window_stats(rate, "api", kind, token_id).reset_time
        except Exception as error:
            log.error("rate limiter unavailable; refusing API calls (%s)", type(error).__name__)
            raise RateLimited(60) from None
        if not allowed:
            raise RateLimited(int(max(1.0, reset_at - time.time())))


@lru_cache(maxsize=1)
def get_api_limiter() -> ApiLimiter:
    settings = get_settings()
    return ApiLimiter(settings.api_rate_read, settings.api_rate_write)
