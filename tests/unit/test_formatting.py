"""One formatter for dates, times and money: same text on every screen, in the practice's zone."""

from datetime import UTC, date, datetime

from pazpaz.services import formatting as fmt

# 00:30 UTC on the Friday before Israel leaves summer time (2026-10-25): already Friday 03:30 there.
LATE_NIGHT = datetime(2026, 10, 23, 0, 30, tzinfo=UTC)


def test_dates_read_day_month_year_in_english_and_hebrew() -> None:
    assert fmt.format_date(date(2026, 11, 30)) == "30 Nov 2026"
    assert fmt.format_date(date(2026, 11, 30), "he") == "30 בנוב׳ 2026"


def test_a_moment_is_shown_in_the_practice_zone_not_utc() -> None:
    assert fmt.format_time(LATE_NIGHT, "Asia/Jerusalem") == "03:30"
    assert fmt.format_time(LATE_NIGHT, "America/New_York") == "20:30"
    assert fmt.format_date(LATE_NIGHT, zone="America/New_York") == "22 Oct 2026"
    assert fmt.format_datetime(LATE_NIGHT, "Asia/Jerusalem") == "23 Oct 2026, 03:30"


def test_times_are_24_hour_in_both_languages() -> None:
    evening = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)
    assert fmt.format_time(evening, "UTC") == "17:05"
    assert fmt.format_time(evening, "UTC", "he") == "17:05"


def test_money_carries_its_currency() -> None:
    assert fmt.format_money(35000, "ILS") == "₪350.00"
    assert fmt.format_money(35050, "EUR") == "€350.50"
    assert "₪" in fmt.format_money(28000, "ILS", "he") and "280.00" in fmt.format_money(28000, "ILS", "he")


def test_hebrew_is_right_to_left_and_unknown_languages_fall_back_to_english() -> None:
    assert fmt.is_rtl("he") and not fmt.is_rtl("en")
    assert fmt.format_date(date(2026, 1, 2), "xx") == "2 Jan 2026"
