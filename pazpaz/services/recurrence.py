"""Weekly recurrence expanded with dateutil.rrule in the workspace's time zone.

Expansion happens on local wall-clock times and each occurrence is then placed in the
zone, so a 10:00 appointment stays at 10:00 across a DST change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule

from pazpaz.i18n import N_, msg
from pazpaz.services.errors import ValidationFailed

MAX_OCCURRENCES = 104


@dataclass(frozen=True)
class Recurrence:
    interval_weeks: int = 1
    count: int | None = None
    until: date | None = None  # inclusive, in the workspace's time zone

    def validate(self) -> None:
        errors: dict[str, str] = {}
        if not 1 <= self.interval_weeks <= 8:
            errors["interval_weeks"] = N_("Repeat every 1 to 8 weeks.")
        if (self.count is None) == (self.until is None):
            errors["ends"] = N_("End the series after a number of times or on a date.")
        if self.count is not None and not 2 <= self.count <= MAX_OCCURRENCES:
            errors["count"] = msg("Repeat between 2 and {limit} times.", limit=MAX_OCCURRENCES)
        if errors:
            raise ValidationFailed(errors)


def local_wall_time(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def place(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time in the zone, as UTC. A time skipped by a DST jump moves
    forward (fold=0 semantics of zoneinfo), a repeated one takes its first occurrence."""
    aware = wall.replace(tzinfo=zone)
    # Round-trip through UTC normalises non-existent local times.
    return aware.astimezone(UTC)


def expand(start: datetime, duration: timedelta, rule: Recurrence, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) of every occurrence, the first one included."""
    rule.validate()
    wall_start = local_wall_time(start, zone)
    until = datetime.combine(rule.until, time(23, 59, 59)) if rule.until else None
    if until is not None and until < wall_start:
        raise ValidationFailed({"until": N_("The end date must be on or after the first appointment.")})
    occurrences = rrule(WEEKLY, dtstart=wall_start, interval=rule.interval_weeks, count=rule.count, until=until)
    # Never expand more than one past the cap: an "until" of 9999-12-31 would otherwise build
    # hundreds of thousands of dates (while the booking holds the schedule lock).
    walls = list(islice(occurrences, MAX_OCCURRENCES + 1))
    if len(walls) > MAX_OCCURRENCES:
        raise ValidationFailed({"until": msg("A series can have at most {limit} appointments.", limit=MAX_OCCURRENCES)})
    return [(place(w, zone), place(w, zone) + duration) for w in walls]
