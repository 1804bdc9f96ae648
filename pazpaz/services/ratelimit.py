"""Sign-in rate limits per IP and per email (moving window, via `limits`); fail closed.

Counted in this process's memory, or in Redis when REDIS_URL is set, so that every worker and
machine draws on one budget (docs/ARCHITECTURE.md "Several processes (Redis)"); a store that fails refuses.

The two limits answer differently (docs/ARCHITECTURE.md "Sign-in rate limits"): the per-IP
limit refuses the request; the per-email limit only stops further mail to that address, so a
stranger who floods a therapist's address can neither refuse her a link nor learn anything.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from pazpaz.services.errors import RateLimited
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.ratelimit")


def _hit_or_refuse(limiter: MovingWindowRateLimiter, rate: RateLimitItem, refusing: str, *keys: str) -> None:
    """Count one hit; raise RateLimited (with the seconds until a slot frees) when the budget
    is spent, or when the store fails: refuse rather than let a flood through (fail closed)."""
    try:
        allowed = limiter.hit(rate, *keys)
        if not allowed:
            reset_at = limiter.get_window_stats(rate, *keys).reset_time
    except Exception as error:
        log.error("rate limiter unavailable; refusing %s (%s)", refusing, type(error).__name__)
        raise RateLimited(60) from None
    if not allowed:
        raise RateLimited(int(max(1.0, reset_at - time.time())))


class _InlineExpiryMemoryStorage(MemoryStorage):
    """`limits`' memory storage without its per-request timer thread.

    MemoryStorage starts a new threading.Timer (10 ms) on every hit whose previous timer has
    fired, only to drop expired entries: under steady API traffic that is a thread start on
    most requests (the largest single cost of a cached-token API call). The moving window
    never needs that sweep to be right (it compares timestamps), so the sweep runs here in
    the caller's thread at most once a second, bounding memory the same way."""

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0
        self._sweep_lock = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private hook
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweep_lock.release()


# A Redis that does not answer within this long counts as down: the request is refused (fail
# closed) instead of holding a sign-in or API worker thread.
REDIS_TIMEOUT_SECONDS = 2.0


def shared_storage() -> Storage:
    """Where the budgets are counted: Redis when REDIS_URL is set, so every process (and every
    machine) behind the same Redis draws on one budget; else this process's memory."""
    url = get_settings().redis_url
    if url is None:
        return _InlineExpiryMemoryStorage()
    if url.startswith("unix://"):
        url = "redis+unix://" + url[len("unix://"):]  # `limits` spells the socket scheme so
    return RedisStorage(url, key_prefix="pazpaz-limits", socket_timeout=REDIS_TIMEOUT_SECONDS,
                        socket_connect_timeout=REDIS_TIMEOUT_SECONDS)


class Budgets:
    """Moving-window budgets by kind (e.g. per link and per address), each counted per key."""

    def __init__(self, namespace: str, rates: dict[str, str], refusing: str, storage: Storage | None = None) -> None:
        self._limiter = MovingWindowRateLimiter(storage or shared_storage())
        self._namespace, self._refusing = namespace, refusing
        self._rates = {kind: parse(rate) for kind, rate in rates.items()}

    def hit(self, kind: str, key: str) -> None:
        """Count one use of `kind` by `key`; raise RateLimited when spent or the store fails."""
        _hit_or_refuse(self._limiter, self._rates[kind], self._refusing, self._namespace, kind, key or "unknown")


class SignInLimiter:
    def __init__(self, email_rate: str, ip_rate: str, storage: Storage | None = None,
                 invite_rate: str = "20/hour") -> None:
        self._limiter = MovingWindowRateLimiter(storage or shared_storage())
        self._email_rate = parse(email_rate)
        self._ip_rate = parse(ip_rate)
        self._invite_rate = parse(invite_rate)

    def hit_ip(self, ip: str) -> None:
        """Count one request from `ip`; raise RateLimited when its limit is spent or the store fails."""
        _hit_or_refuse(self._limiter, self._ip_rate, "sign-in link requests", "signin", "ip", ip or "unknown")

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
        _hit_or_refuse(self._limiter, self._invite_rate, "invitations", "invite", "owner", owner_key)


@lru_cache(maxsize=1)
def get_limiter() -> SignInLimiter:
    settings = get_settings()
    return SignInLimiter(settings.rate_limit_email, settings.rate_limit_ip, invite_rate=settings.rate_limit_invite)


# Calendar feed reads (services/calendar_feed.py). Phone calendars poll every 5 minutes at
# the most (12 an hour); the rest is room for manual refreshes. Per address, several users
# behind one network (or one calendar provider's fetchers) share the budget.
FEED_TOKEN_RATE = "30/hour"
FEED_IP_RATE = "240/hour"


class FeedLimiter(Budgets):
    """Calendar feed reads, per link ("token": a feed row id) and per client address ("ip")."""

    def __init__(self, token_rate: str, ip_rate: str, storage: Storage | None = None) -> None:
        super().__init__("feed", {"token": token_rate, "ip": ip_rate}, "calendar feed reads", storage)


@lru_cache(maxsize=1)
def get_feed_limiter() -> FeedLimiter:
    return FeedLimiter(FEED_TOKEN_RATE, FEED_IP_RATE)


class ApiLimiter(Budgets):
    """Per-token limits on /api/v1, one budget for reads and one for writes."""

    def __init__(self, read_rate: str, write_rate: str, storage: Storage | None = None) -> None:
        super().__init__("api", {"read": read_rate, "write": write_rate}, "API calls", storage)


@lru_cache(maxsize=1)
def get_api_limiter() -> ApiLimiter:
    settings = get_settings()
    return ApiLimiter(settings.api_rate_read, settings.api_rate_write)
