"""The translation layer: language negotiation, msgids with values and plurals, one translation."""

from __future__ import annotations

import pytest

from pazpaz import i18n
from pazpaz.i18n import msg, nmsg, translate
from pazpaz.services.errors import RateLimited


@pytest.mark.parametrize(("header", "language"), [
    ("he-IL,he;q=0.9,en-US;q=0.8,en;q=0.7", "he"), ("en-US,en;q=0.9,he;q=0.8", "en"),
    ("fr-FR,fr;q=0.9,he;q=0.5", "he"), ("fr-FR,de;q=0.9", "en"), ("", "en"), (None, "en"),
    ("iw-IL", "he"), ("en;q=0.1,he;q=0.2", "he"), ("he;q=0", "en"), ("he;q=junk,en", "en"), ("*", "en"),
])
def test_accept_language_picks_a_supported_language(header: str | None, language: str) -> None:
    assert i18n.negotiate(header) == language


def test_a_message_with_values_is_english_text_until_translated_once() -> None:
    said = msg("Hello {name},", name="Dana")
    assert said == "Hello Dana," and str(said) == "Hello Dana,"
    assert translate("he", said) == "שלום Dana,"
    assert translate("en", said) == "Hello Dana,"


def test_plurals_follow_the_count_in_each_language() -> None:
    assert translate("he", nmsg("{count} file attached.", "{count} files attached.", 1)) == "קובץ אחד צורף."
    assert translate("he", nmsg("{count} file attached.", "{count} files attached.", 4)) == "4 קבצים צורפו."
    assert str(RateLimited(61)) == "Too many attempts. Please try again in 2 minutes."
    assert translate("he", RateLimited(61).message()) == "יותר מדי ניסיונות. אפשר לנסות שוב בעוד 2 דקות."


def test_unknown_text_and_unknown_languages_fall_back_to_english() -> None:
    assert translate("he", "Not a catalog entry") == "Not a catalog entry"
    assert translate("xx", "Sign out") == "Sign out"
    assert i18n.supported("fr") == "en"


def test_direction_and_the_catalogs() -> None:
    assert i18n.direction("he") == "rtl" and i18n.direction("en") == "ltr"
    assert i18n.messages("he")["Sign out"] == "יציאה"
    assert i18n.messages("en")["Sign out"] == "Sign out"
    assert set(i18n.messages("he")) == set(i18n.messages("en"))


def test_the_browsers_last_pazpaz_language_comes_before_accept_language() -> None:
    assert i18n.reader("theme=dark; pazpaz_lang=he", "en-US,en") == "he"
    assert i18n.reader("pazpaz_lang=en", "he-IL") == "en"
    # A cookie naming no supported language (or a broken header) is ignored.
    assert i18n.reader("pazpaz_lang=xx", "he-IL") == "he"
    assert i18n.reader('pazpaz_lang="\\', "he-IL") == "he"
    assert i18n.reader(None, None) == "en"


def test_counts_in_state_texts_take_the_readers_plural_and_number_format() -> None:
    words = nmsg("{count} client", "{count} clients", 1200)
    assert str(words) == "1200 clients"  # English logs keep the raw number
    assert translate("en", words) == "1,200 clients"
    assert translate("he", nmsg("{count} client", "{count} clients", 1)) == "מטופל אחד"
    assert translate("he", words) == "1,200 מטופלים"


def test_plural_forms_come_with_the_catalogs_own_rule() -> None:
    rule, forms = i18n.plural_forms("he", "{count} client", "{count} clients")
    assert rule == "(n != 1)" and forms == ["מטופל אחד", "{count} מטופלים"]
    assert i18n.plural_forms("en", "{count} client", "{count} clients")[1] == ["{count} client", "{count} clients"]


def test_the_pseudo_language_exists_only_when_asked_for() -> None:
    # Production never offers it: without PAZPAZ_PSEUDO_LOCALE it is an unknown language (English).
    import os
    import subprocess
    import sys

    assert i18n.PSEUDO_LANGUAGE not in i18n.LANGUAGES or os.environ.get(i18n.PSEUDO_ENV) == "1"
    code = ("from pazpaz import i18n; from pazpaz.i18n import nmsg, msg, translate; "
            "print(sorted(i18n.LANGUAGES)); print(translate('en-XA', msg('Hello {name},', name='Dana'))); "
            "print(translate('en-XA', nmsg('{count} client', '{count} clients', 3))); "
            "print(i18n.plural_forms('en-XA', '{count} client', '{count} clients'))")
    env = {**os.environ, i18n.PSEUDO_ENV: "1"}
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.splitlines() == [
        "['en', 'en-XA', 'he']", "⟦Hello Dana,⟧", "⟦3 clients⟧",
        "('(n != 1)', ['⟦{count} client⟧', '⟦{count} clients⟧'])"]
    env.pop(i18n.PSEUDO_ENV)
    plain = subprocess.run([sys.executable, "-c", code.split("; print(translate")[0]], env=env,
                           capture_output=True, text=True, check=True)
    assert plain.stdout.splitlines() == ["['en', 'he']"]
    assert i18n.supported("en-XA") == "en" or os.environ.get(i18n.PSEUDO_ENV) == "1"
    assert not i18n.is_rtl("en-XA")
