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
    def __init__(self, email_rate: str, ip_rate: str, storage: Storage | None = None,
                 invite_rate: str = "20/hour") -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._email_rate = parse(email_rate)
        self._ip_rate = parse(ip_rate)
        self._invite_rate = parse(invite_rate)

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

    def hit_invite(self, owner_key: str) -> None:
        """Count one invitation mail sent by this owner (user id); raise RateLimited when the
        owner's limit is spent or the store fails: each invitation mails an address of the
        owner's choosing, so a flood must stop here."""
        try:
            allowed = self._limiter.hit(self._invite_rate, "invite", "owner", owner_key)
            if not allowed:
                reset_at = self._limiter.get_window_stats(self._invite_rate, "invite", "owner", owner_key).reset_time
        except Exception as error:
            log.error("rate limiter unavailable; refusing invitations (%s)", type(error).__name__)
            raise RateLimited(60) from None
        if not allowed:
            raise RateLimited(int(max(1.0, reset_at - time.time())))


@lru_cache(maxsize=1)
def get_limiter() -> SignInLimiter:
    settings = get_settings()
    return SignInLimiter(settings.rate_limit_email, settings.rate_limit_ip, invite_rate=settings.rate_limit_invite)


# Calendar feed reads (services/calendar_feed.py). Phone calendars poll every 5 minutes at
# the most (12 an hour); the rest is room for manual refreshes. Per address, several users
# behind one network (or one calendar provider's fetchers) share the budget.
FEED_TOKEN_RATE = "30/hour"
FEED_IP_RATE = "240/hour"


class FeedLimiter:
    """Moving-window limits on reading a calendar feed, per link and per client address;
    fail closed (a store failure refuses the read)."""

    def __init__(self, token_rate: str, ip_rate: str, storage: Storage | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._rates = {"token": parse(token_rate), "ip": parse(ip_rate)}

    def hit(self, kind: str, key: str) -> None:
        """Count one read against `kind` ("token": a feed row id, "ip": an address); raise
        RateLimited when its budget is spent or the store fails."""
        rate, key = self._rates[kind], key or "unknown"
        try:
            allowed = self._limiter.hit(rate, "feed", kind, key)
            if not allowed:
                reset_at = self._limiter.get_window_stats(rate, "feed", kind, key).reset_time
        except Exception as error:
            log.error("rate limiter unavailable; refusing calendar feed reads (%s)", type(error).__name__)
            raise RateLimited(60) from None
        if not allowed:
            raise RateLimited(int(max(1.0, reset_at - time.time())))


@lru_cache(maxsize=1)
def get_feed_limiter() -> FeedLimiter:
    return FeedLimiter(FEED_TOKEN_RATE, FEED_IP_RATE)
