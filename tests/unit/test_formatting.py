"""One formatter for dates, times and money: same text on every screen, in the practice's zone."""

from datetime import UTC, date, datetime

from pazpaz.services import formatting as fmt

# 00:30 UTC on the Friday before Israel leaves summer time (2026-10-25): already Friday 03:30 there.
LATE_NIGHT = datetime(2026, 10, 23, 0, 30, tzinfo=UTC)


def test_dates_read_day_month_year_in_english_and_hebrew() -> None:
    assert fmt.format_date(date(2026, 11, 30), language="en") == "30 Nov 2026"
    assert fmt.format_date(date(2026, 11, 30), language="he") == "30 בנוב׳ 2026"


def test_a_moment_is_shown_in_the_practice_zone_not_utc() -> None:
    assert fmt.format_time(LATE_NIGHT, language="en", zone="Asia/Jerusalem") == "03:30"
    assert fmt.format_time(LATE_NIGHT, language="en", zone="America/New_York") == "20:30"
    assert fmt.format_date(LATE_NIGHT, language="en", zone="America/New_York") == "22 Oct 2026"
    assert fmt.format_datetime(LATE_NIGHT, language="en", zone="Asia/Jerusalem") == "23 Oct 2026, 03:30"


def test_times_are_24_hour_in_both_languages() -> None:
    evening = datetime(2026, 11, 30, 17, 5, tzinfo=UTC)
    assert fmt.format_time(evening, language="en", zone="UTC") == "17:05"
    assert fmt.format_time(evening, language="he", zone="UTC") == "17:05"


def test_money_carries_its_currency() -> None:
    assert fmt.format_money(35000, "ILS", language="en") == "₪350.00"
    assert fmt.format_money(35050, "EUR", language="en") == "€350.50"
    hebrew = fmt.format_money(28000, "ILS", language="he")
    assert "₪" in hebrew and "280.00" in hebrew


def test_hebrew_is_right_to_left_and_unknown_languages_fall_back_to_english() -> None:
    assert fmt.is_rtl("he") and not fmt.is_rtl("en")
    assert fmt.format_date(date(2026, 1, 2), language="zz") == "2 Jan 2026"


# Israel leaves summer time at 02:00 on Sunday 2026-10-25 (back to 01:00) and enters it at
# 02:00 on Friday 2027-03-26 (on to 03:00).
BEFORE_FALL_BACK = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # 01:30 summer time (UTC+3)
AFTER_FALL_BACK = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)   # 01:30 again, winter time (UTC+2)


def test_the_repeated_hour_of_the_autumn_change_reads_as_wall_time_in_both_languages() -> None:
    for moment in (BEFORE_FALL_BACK, AFTER_FALL_BACK):
        assert fmt.format_datetime(moment, language="en", zone="Asia/Jerusalem") == "25 Oct 2026, 01:30"
        assert fmt.format_datetime(moment, language="he", zone="Asia/Jerusalem") == "25 באוק׳ 2026, 01:30"
    assert fmt.format_long_date(AFTER_FALL_BACK, language="he", zone="Asia/Jerusalem") == "יום ראשון, 25 באוקטובר 2026"
    assert fmt.format_long_date(AFTER_FALL_BACK, language="en", zone="Asia/Jerusalem") == "Sunday, 25 October 2026"


def test_the_skipped_hour_of_the_spring_change_is_jumped_over() -> None:
    one_before = datetime(2027, 3, 25, 23, 30, tzinfo=UTC)
    one_after = datetime(2027, 3, 26, 0, 30, tzinfo=UTC)  # an hour later in UTC, two on the wall clock
    assert fmt.format_time(one_before, language="en", zone="Asia/Jerusalem") == "01:30"
    assert fmt.format_time(one_after, language="he", zone="Asia/Jerusalem") == "03:30"
    assert fmt.format_day(one_after.date(), language="he") == "יום ו׳ 26 מרץ"
    assert fmt.format_day(one_after.date(), language="en") == "Fri 26 Mar"


def test_money_in_ils_eur_and_usd_in_both_languages() -> None:
    assert fmt.format_money(28050, "ILS", language="en") == "₪280.50"
    assert fmt.format_money(28050, "EUR", language="en") == "€280.50"
    assert fmt.format_money(28050, "USD", language="en") == "US$280.50"
    # Hebrew puts the symbol after the amount, with direction marks so it stays there in RTL text.
    assert fmt.format_money(128050, "ILS", language="he") == "\u200f1,280.50\xa0\u200f₪"
    assert fmt.format_money(28050, "EUR", language="he") == "\u200f280.50\xa0\u200f€"
    assert fmt.format_money(28050, "USD", language="he") == "\u200f280.50\xa0\u200f$"


def test_language_and_zone_are_keyword_only() -> None:
    # The positional order used to differ between these functions (language before or after zone).
    import pytest

    with pytest.raises(TypeError):
        fmt.format_datetime(LATE_NIGHT, "Asia/Jerusalem", "he")  # type: ignore[misc]
    with pytest.raises(TypeError):
        fmt.format_date(date(2026, 11, 30))  # type: ignore[call-arg]
