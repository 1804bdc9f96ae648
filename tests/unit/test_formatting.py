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


# Israel leaves summer time at 02:00 on Sunday 2026-10-25 (back to 01:00) and enters it at
# 02:00 on Friday 2027-03-26 (on to 03:00).
BEFORE_FALL_BACK = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # 01:30 summer time (UTC+3)
AFTER_FALL_BACK = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)   # 01:30 again, winter time (UTC+2)


def test_the_repeated_hour_of_the_autumn_change_reads_as_wall_time_in_both_languages() -> None:
    for moment in (BEFORE_FALL_BACK, AFTER_FALL_BACK):
        assert fmt.format_datetime(moment, "Asia/Jerusalem") == "25 Oct 2026, 01:30"
        assert fmt.format_datetime(moment, "Asia/Jerusalem", "he") == "25 באוק׳ 2026, 01:30"
    assert fmt.format_long_date(AFTER_FALL_BACK, "he", "Asia/Jerusalem") == "יום ראשון, 25 באוקטובר 2026"
    assert fmt.format_long_date(AFTER_FALL_BACK, "en", "Asia/Jerusalem") == "Sunday, 25 October 2026"


def test_the_skipped_hour_of_the_spring_change_is_jumped_over() -> None:
    one_before = datetime(2027, 3, 25, 23, 30, tzinfo=UTC)
    one_after = datetime(2027, 3, 26, 0, 30, tzinfo=UTC)  # an hour later in UTC, two on the wall clock
    assert fmt.format_time(one_before, "Asia/Jerusalem") == "01:30"
    assert fmt.format_time(one_after, "Asia/Jerusalem", "he") == "03:30"
    assert fmt.format_day(one_after.date(), "he") == "יום ו׳ 26 מרץ"
    assert fmt.format_day(one_after.date()) == "Fri 26 Mar"


def test_money_in_ils_eur_and_usd_in_both_languages() -> None:
    assert fmt.format_money(28050, "ILS") == "₪280.50"
    assert fmt.format_money(28050, "EUR") == "€280.50"
    assert fmt.format_money(28050, "USD") == "US$280.50"
    # Hebrew puts the symbol after the amount, with direction marks so it stays there in RTL text.
    assert fmt.format_money(128050, "ILS", "he") == "\u200f1,280.50\xa0\u200f₪"
    assert fmt.format_money(28050, "EUR", "he") == "\u200f280.50\xa0\u200f€"
    assert fmt.format_money(28050, "USD", "he") == "\u200f280.50\xa0\u200f$"
