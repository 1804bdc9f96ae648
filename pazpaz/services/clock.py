"""The one "now" that domain rules read, and the date range a practice's records may use.

Rules that depend on the current moment (is this appointment under way yet? is a goal's
target in the past?) call now() instead of the system clock, so tests can freeze time
with frozen() and never depend on the real date. Timestamps that only record when a row
was written (created_at, updated_at, audit times) keep using the real clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# Nothing a practice records today happened before this date.
EARLIEST_DATE = date(2000, 1, 1)
# Nothing is planned further ahead than this.
HORIZON_YEARS = 10

_lock = threading.Lock()
_frozen: datetime | None = None


def now() -> datetime:
    """The current moment, aware, in UTC (or the frozen moment in tests)."""
    frozen_at = _frozen
    return frozen_at if frozen_at is not None else datetime.now(UTC)


def today(zone: ZoneInfo) -> date:
    """Today's date in a workspace's time zone."""
    return now().astimezone(zone).date()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze now() for every thread of the process (tests only)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("Freeze the clock at an aware datetime.")
    with _lock:
        previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        with _lock:
            _frozen = previous


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def latest_date(today_: date) -> date:
    """The last date an appointment, session or goal may fall on."""
    return years_after(today_, HORIZON_YEARS)


def out_of_range(day: date, today_: date, earliest: date = EARLIEST_DATE) -> str | None:
    """A user-facing message when day is outside [earliest, today + HORIZON_YEARS], else None."""
    latest = latest_date(today_)
    if earliest <= day <= latest:
        return None
    return f"Choose a date between {earliest.isoformat()} and {latest.isoformat()}."
