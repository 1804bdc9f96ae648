"""Sign-in rate limits per email and per IP (moving window, via `limits`); fail closed."""

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

    def hit(self, email_key: str, ip: str) -> None:
        """Count one attempt; raise RateLimited when either limit is spent or the store fails."""
        checks = ((self._email_rate, "email", email_key), (self._ip_rate, "ip", ip or "unknown"))
        try:
            for rate, kind, key in checks:
                if not self._limiter.hit(rate, "signin", kind, key):
                    reset_at = self._limiter.get_window_stats(rate, "signin", kind, key).reset_time
                    raise RateLimited(int(max(1.0, reset_at - time.time())))
        except RateLimited:
            raise
        except Exception as error:  # the limiter's store is down: refuse rather than let floods through
            log.error("rate limiter unavailable; refusing sign-in link requests (%s)", type(error).__name__)
            raise RateLimited(60) from None


@lru_cache(maxsize=1)
def get_limiter() -> SignInLimiter:
    settings = get_settings()
    return SignInLimiter(settings.rate_limit_email, settings.rate_limit_ip)
