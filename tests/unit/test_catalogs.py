"""The catalogs match the code: every msgid used exists in every catalog, Hebrew has no empty
entry, and no catalog keeps a msgid the code no longer uses (docs/ARCHITECTURE.md, "Translation layer")."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from pazpaz import i18n

USED = i18n.extract()


def _catalog(language: str) -> dict:
    with i18n.po_path(language).open("rb") as handle:
        return {message.id if isinstance(message.id, str) else tuple(message.id): message
                for message in read_po(handle, locale=language) if message.id}


def _key(msgid) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def test_the_code_uses_messages_at_all() -> None:
    # The extractor keywords match the helpers: a rename would silently empty the check.
    assert "Sign out" in USED and "Calendar" in USED
    assert ("Tomorrow: {count} appointment", "Tomorrow: {count} appointments") in USED


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_every_msgid_used_in_code_is_in_the_catalog(language: str) -> None:
    catalog = {_key(msgid) for msgid in _catalog(language)}
    missing = [f"{_key(m)!r} ({USED[m][0]})" for m in USED if _key(m) not in catalog]
    assert not missing, (f"not in {i18n.po_path(language)}: " + "; ".join(missing)
                         + " -- run scripts/i18n_update.py and translate")


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_no_catalog_keeps_an_unused_msgid(language: str) -> None:
    used = {_key(msgid) for msgid in USED}
    unused = [repr(_key(m)) for m in _catalog(language) if _key(m) not in used]
    assert not unused, f"unused in {i18n.po_path(language)}: " + "; ".join(unused)


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT_LANGUAGE])
def test_every_message_is_translated(language: str) -> None:
    empty = [repr(_key(msgid)) for msgid, message in _catalog(language).items()
             if not (all(message.string) if isinstance(message.string, tuple) else message.string)]
    assert not empty, f"empty msgstr in {i18n.po_path(language)}: " + "; ".join(empty)


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != i18n.DEFAULT_LANGUAGE])
def test_translations_keep_their_placeholders(language: str) -> None:
    # A dropped or misspelt {name} would raise (or lose a value) only when the message is shown.
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    wrong = []
    for msgid, message in _catalog(language).items():
        sources = msgid if isinstance(msgid, tuple) else (msgid,)
        translations = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = set().union(*(fields(s) for s in sources))
        for text in translations:
            if fields(text) - allowed or (not isinstance(msgid, tuple) and fields(text) != allowed):
                wrong.append(repr(_key(msgid)))
    assert not wrong, "placeholders differ from the msgid: " + "; ".join(wrong)
