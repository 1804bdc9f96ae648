"""Bring the catalogs in line with the code: `.venv/bin/python scripts/i18n_update.py`.

Adds every msgid the code uses (pazpaz/i18n.py KEYWORDS) to each catalog, drops those no
longer used, keeps existing translations, and lists the Hebrew entries still to translate.
Then translate them in pazpaz/locale/he/LC_MESSAGES/messages.po (msgstr; msgstr[0]/[1] for
plurals) and run `make test` (tests/unit/test_catalogs.py checks both catalogs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pazpaz import i18n


def main() -> int:
    used = i18n.extract()
    for language in i18n.LANGUAGES:
        path = i18n.po_path(language)
        if path.exists():
            with path.open("rb") as handle:
                old = read_po(handle, locale=language)
        else:
            old = Catalog(locale=language)
        # The old header's dates: re-running without changes leaves the files as they are.
        new = Catalog(locale=language, project="PazPaz", domain=i18n.DOMAIN, fuzzy=False,
                      creation_date=old.creation_date, revision_date=old.revision_date,
                      last_translator="PazPaz", language_team=f"{language} (PazPaz)")
        for msgid, places in sorted(used.items(), key=lambda item: str(item[0])):
            key = msgid[0] if isinstance(msgid, tuple) else msgid
            previous = old.get(key)
            string = previous.string if previous is not None else ("", "") if isinstance(msgid, tuple) else ""
            new.add(msgid, string, locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places[:3]])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, width=100, omit_header=False, sort_output=True, include_lineno=False)
        if language != i18n.DEFAULT_LANGUAGE:
            todo = [m.id for m in new if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
            for msgid in todo:
                print(f"{language}: untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
