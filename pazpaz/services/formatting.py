"""The one place dates, times, numbers and money become text (Babel; docs/ARCHITECTURE.md, "Formatting").

Every page, mail and document formats through these functions with the reader's language and the
practice's time zone, so neighbouring screens never disagree ("30/11" beside "2026-11-30").
Times are 24-hour in every language: therapists in Israel and Europe read schedules that way.
The reader's language and the zone are keyword-only and have no default: a forgotten language
would silently show English, and positional order used to differ between these functions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_currency, format_decimal

# Language code the user picks -> the Babel locale that renders it. English uses en_GB for
# day-month order and a 24-hour clock.
LANGUAGES: dict[str, str] = {"en": "en_GB", "he": "he_IL"}
DEFAULT_LANGUAGE = "en"


def babel_locale(language: str) -> Locale:
    return Locale.parse(LANGUAGES.get(language, LANGUAGES[DEFAULT_LANGUAGE]))


def is_rtl(language: str) -> bool:
    return babel_locale(language).character_order == "right-to-left"


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def format_date(value: date | datetime, *, language: str, zone: str | None = None) -> str:
    """30 Nov 2026 in English (Hebrew month names in Hebrew). A datetime is first moved into the practice's zone."""
    if isinstance(value, datetime):
        value = _local(value, zone or "UTC").date()
    return _babel_date(value, "medium", locale=babel_locale(language))


def format_long_date(value: date | datetime, *, language: str, zone: str | None = None) -> str:
    """Monday, 30 November 2026 (mails, where the weekday helps)."""
    if isinstance(value, datetime):
        value = _local(value, zone or "UTC").date()
    return _babel_date(value, "full", locale=babel_locale(language))


def format_day(value: date, *, language: str) -> str:
    """Mon 30 Nov: calendar headers and agenda days."""
    return _babel_date(value, "EEE d MMM", locale=babel_locale(language))


def format_time(moment: datetime, *, language: str, zone: str) -> str:
    """16:05 in the practice's zone."""
    return _babel_datetime(_local(moment, zone), "HH:mm", locale=babel_locale(language))


def format_datetime(moment: datetime, *, language: str, zone: str) -> str:
    """30 Nov 2026, 16:05 in the practice's zone."""
    local = _local(moment, zone)
    return f"{format_date(local.date(), language=language)}, {format_time(local, language=language, zone=zone)}"


def format_number(value: int | float | Decimal, *, language: str) -> str:
    return format_decimal(value, locale=babel_locale(language))


def format_money(cents: int, currency: str, *, language: str) -> str:
    """₪350.00 / 350.00 ₪: amounts are stored as integer minor units."""
    return format_currency(Decimal(cents) / 100, currency, locale=babel_locale(language))
