"""Pages2's words: every page builds (t() refuses a msgid missing from the English catalog),
and Settings > Language names currencies in the reader's language."""

from __future__ import annotations

import pytest

from pazpaz import i18n
from pazpaz.services import languages


@pytest.mark.parametrize("module, page", [
    ("today", "today_page"), ("settings", "settings_page"), ("security", "security_page"),
    ("audit", "audit_page"), ("more", "more_page"), ("signup", "signup_page"), ("signin", "signin_page"),
])
def test_page_builds_with_every_word_in_the_catalog(module, page):
    import importlib

    built = getattr(importlib.import_module(f"pazpaz.pages.{module}"), page)()
    assert built is not None


def test_currencies_are_named_in_the_readers_language():
    hebrew, english = dict(languages.currency_choices("he")), dict(languages.currency_choices("en"))
    assert hebrew["ILS"] == "ILS \u00b7 שקל חדש" and english["ILS"] == "ILS \u00b7 Israeli New Shekel"
    assert [code for code, _ in languages.currency_choices("he")] == languages.currencies()
    assert hebrew["AFA"] == "AFA"  # no Hebrew name: the code alone, not "AFA · AFA"


def test_marked_service_words_have_hebrew():
    from pazpaz.services.appointments import STATUS_LABELS
    from pazpaz.services.jobs import JOB_KINDS

    for msgid in [*STATUS_LABELS.values(), *JOB_KINDS.values()]:
        assert i18n.gettext("he", msgid) != msgid, msgid
