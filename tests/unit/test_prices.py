"""Typed prices: what a therapist types in Israel or Europe is read, junk is refused clearly."""

from __future__ import annotations

import pytest

from pazpaz.i18n import translate
from pazpaz.services import formatting as fmt
from pazpaz.services.catalog import parse_price
from pazpaz.services.errors import ValidationFailed


@pytest.mark.parametrize(("typed", "cents"), [
    ("280", 28000), ("280.50", 28050), ("₪280", 28000), ("280 ₪", 28000), ("₪ 280.5", 28050),
    ("280 ש\"ח", 28000), ("ILS 280", 28000), ("nis 280", 28000), ("1,280.50", 128050), ("280,50", 28050),
    ("0", 0), ("  280  ", 28000), ("", None), ("   ", None),
])
def test_shekel_prices_are_read(typed: str, cents: int | None) -> None:
    assert parse_price(typed, "ILS") == cents


@pytest.mark.parametrize(("typed", "currency", "cents"), [
    ("€280", "EUR", 28000), ("280 €", "EUR", 28000), ("EUR 1,280.50", "EUR", 128050),
    ("$99.99", "USD", 9999), ("US$99", "USD", 9900), ("99 USD", "USD", 9900),
])
def test_euro_and_dollar_prices_are_read(typed: str, currency: str, cents: int) -> None:
    assert parse_price(typed, currency) == cents


@pytest.mark.parametrize("currency", ["ILS", "EUR", "USD"])
@pytest.mark.parametrize("language", ["en", "he"])
def test_a_shown_price_reads_back_as_the_same_amount(currency: str, language: str) -> None:
    # The edit form gets the price as shown ("₪1,280.50", or with Hebrew direction marks).
    assert parse_price(fmt.format_money(128050, currency, language=language), currency) == 128050


@pytest.mark.parametrize(("typed", "says"), [
    ("abc", "Enter a price like 280 or 280.50"), ("280.505", "Enter a price like 280 or 280.50"),
    ("12,34,56", "Enter a price like 280 or 280.50"), ("₪280₪", "Enter a price like 280 or 280.50"),
    ("28O", "Enter a price like 280 or 280.50"), ("1e5", "Enter a price like 280 or 280.50"),
    ("-5", "can't be negative"), ("₪-280", "can't be negative"),
    ("100000.01", "too high"), ("9999999", "too high"),
    ("€280", "This practice's prices are in ILS."), ("$280", "This practice's prices are in ILS."),
])
def test_junk_negative_absurd_and_foreign_prices_are_refused(typed: str, says: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_price(typed, "ILS")
    assert says in refused.value.errors["price"]


def test_the_refusal_is_said_in_the_readers_language() -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_price("€280", "ILS")
    assert translate("he", refused.value.errors["price"]) == "המחירים של הקליניקה הזו הם ב-ILS."
