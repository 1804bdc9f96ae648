"""The one translation layer (gettext catalogs through Babel; docs/ARCHITECTURE.md, "Translation layer").

Catalogs live in the repository: `pazpaz/locale/<lang>/LC_MESSAGES/messages.po`. The msgid is
the English text, so English needs no translation and a missing Hebrew entry shows English,
never a key. `scripts/setup.sh` compiles each `.po` to `.mo`; a `.po` newer than its `.mo`
(an edit before the next setup) is compiled in memory here, so the running app always reads
what is in the repository. Adding a language is adding a catalog and a line in LANGUAGES.

Who translates: services never translate. They return English msgids (marked with `N_`, or
`msg()` when values are filled in); the boundary that knows the reader (a state handler, a
server-rendered page, a mail) translates once with `translate(language, text)`.
Plain Python, no Reflex imports: services, mails and the HTTP pages use it too.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import os
from pathlib import Path
from typing import Any

from babel import Locale
from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# Supported languages, in the order the Language setting offers them (each names itself).
LANGUAGES: dict[str, str] = {"en": "English", "he": "עברית"}
DEFAULT_LANGUAGE = "en"
# The pseudo language: every text is the English wrapped in ⟦ ⟧, so a page walk can tell wrapped
# text from hard-coded English (tests/e2e/test_accessibility.py). Built in memory from the English
# catalog, and offered only when the environment asks for it (the e2e server); never in production.
# Its code is the pseudo-locale tag Android and Chrome use: a valid language tag (axe checks
# `lang` values), English underneath (dates and numbers format as English).
PSEUDO_LANGUAGE, PSEUDO_NAME = "en-XA", "Pseudo"
PSEUDO_ENV = "PAZPAZ_PSEUDO_LOCALE"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"
if os.environ.get(PSEUDO_ENV) == "1":
    LANGUAGES[PSEUDO_LANGUAGE] = PSEUDO_NAME
# How msgids are found in the code (Babel's extractor; scripts/i18n_update.py and the catalog
# test): the argument positions that hold a msgid (and its plural).
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "N_": None, "msg": None, "nmsg": (1, 2), "_": (2,), "gettext": (2,), "ngettext": (2, 3),
    "t": None, "words": (2,), "tn": (1, 2),
}


def N_(msgid: str) -> str:
    """Mark a string for the catalog without translating it (translated later, by the reader's boundary)."""
    return msgid


class Msg(str):
    """An English message with values filled in, that remembers its msgid and values so the
    boundary can translate it: str(Msg) is the English text (logs, tests, the REST API)."""

    msgid: str
    plural: str | None
    count: int | None
    params: dict[str, Any]

    def __new__(cls, msgid: str, plural: str | None = None, count: int | None = None, **params: Any) -> Msg:
        source = plural if plural is not None and count != 1 else msgid
        text = source.format(count=count, **params) if (params or count is not None) else source
        value = super().__new__(cls, text)
        value.msgid, value.plural, value.count, value.params = msgid, plural, count, params
        return value


def msg(msgid: str, **params: Any) -> Msg:
    """A message with `{name}` placeholders filled in when shown (extracted like `_`)."""
    return Msg(msgid, **params)


def nmsg(singular: str, plural: str, count: int, **params: Any) -> Msg:
    """A message whose form depends on `count` (`{count}` is filled in)."""
    return Msg(singular, plural, count, **params)


def supported(language: str | None) -> str:
    """A supported language code, or the default."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an Accept-Language header (q-values honoured)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, quality = part.strip().partition(";")
        q = 1.0
        if quality.strip().startswith("q="):
            try:
                q = float(quality.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().replace("_", "-").split("-")[0]
        if primary == "iw":  # the old code for Hebrew, still sent by some Android browsers
            primary = "he"
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


# The last language a browser used PazPaz in (not secret: a preference), so the sign-in page
# after a sign-out, and the server pages, speak it before anyone is signed in.
LANGUAGE_COOKIE = "pazpaz_lang"


def from_cookie(cookie_header: str | None) -> str | None:
    """The language cookie's value from a raw Cookie header, if it names a supported language."""
    from http.cookies import CookieError, SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(LANGUAGE_COOKIE)
    return morsel.value if morsel is not None and morsel.value in LANGUAGES else None


def reader(cookie_header: str | None, accept_language: str | None) -> str:
    """Who is not signed in: the language this browser last used PazPaz in, else Accept-Language."""
    return from_cookie(cookie_header) or negotiate(accept_language)


def is_rtl(language: str) -> bool:
    if supported(language) == PSEUDO_LANGUAGE:
        return False
    try:
        return Locale.parse(supported(language)).character_order == "right-to-left"
    except UnknownLocaleError:
        return False


def direction(language: str) -> str:
    return "rtl" if is_rtl(language) else "ltr"


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


class _Pseudo(_gettext.NullTranslations):
    """Every text wrapped in ⟦ ⟧, placeholders kept (English plural rule)."""

    def gettext(self, message: str) -> str:
        return f"{PSEUDO_OPEN}{message}{PSEUDO_CLOSE}" if message else message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    if supported(language) == PSEUDO_LANGUAGE:
        return _Pseudo()
    po = po_path(supported(language))
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=supported(language))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def gettext(language: str, msgid: str) -> str:
    return translations(language).gettext(msgid)


def ngettext(language: str, singular: str, plural: str, count: int) -> str:
    return translations(language).ngettext(singular, plural, count)


@functools.cache
def _catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def in_catalog(msgid: str) -> bool:
    """Whether the English catalog has `msgid` (singular or the singular of a plural message)."""
    return _catalog(DEFAULT_LANGUAGE).get(msgid) is not None


def plural_forms(language: str, singular: str, plural: str) -> tuple[str, list[str]]:
    """The catalog's gettext plural rule (a C expression in `n`, also valid JavaScript) and the
    message's forms in `language`, in the rule's order (English where a form is missing)."""
    english = [singular, plural]
    if supported(language) == PSEUDO_LANGUAGE:
        return "(n != 1)", [_Pseudo().gettext(form) for form in english]
    catalog = _catalog(supported(language))
    message = catalog.get(singular)
    strings = message.string if message is not None and isinstance(message.string, tuple) else ()
    forms = [strings[i] if i < len(strings) and strings[i] else english[min(i, 1)]
             for i in range(catalog.num_plurals)]
    return catalog.plural_expr, forms


def format_count(language: str, count: int) -> str:
    """A count as the reader writes numbers (1,200): the `{count}` of a plural message."""
    from pazpaz.services.formatting import format_number  # plain Babel; imported late: services import this module

    return format_number(count, language=language)


def translate(language: str, text: str) -> str:
    """The reader's words for a msgid or a `Msg` (placeholders filled after translating)."""
    if isinstance(text, Msg):
        if text.plural is not None and text.count is not None:
            words = ngettext(language, text.msgid, text.plural, text.count)
            return words.format(count=format_count(language, text.count), **text.params)
        words = gettext(language, text.msgid)
        params = {key: translate(language, value) if isinstance(value, Msg) else value
                  for key, value in text.params.items()}
        return words.format(**params) if params else words
    return gettext(language, text) if text else text


def _(language: str, msgid: str, **params: Any) -> str:
    """Translate a literal at the boundary: `_(lang, "Sign in to PazPaz")`."""
    words = gettext(language, msgid)
    return words.format(**params) if params else words


def extract(root: Path | None = None) -> dict[str | tuple[str, str], list[str]]:
    """Every msgid used in the code -> where ("path:line"), by Babel's Python extractor."""
    from babel.messages.extract import extract_from_dir

    root = root or Path(__file__).parent
    found: dict[str | tuple[str, str], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@functools.cache
def messages(language: str) -> dict[str, str]:
    """Every (singular) msgid -> its text in `language`."""
    with po_path(DEFAULT_LANGUAGE).open("rb") as handle:
        msgids = [m.id for m in read_po(handle) if m.id and isinstance(m.id, str)]
    return {msgid: gettext(language, msgid) for msgid in msgids}
