"""Words on a page in the reader's language (docs/ARCHITECTURE.md, "Translation layer").

A Reflex page is compiled once to static JS, so a page cannot call gettext per user. Instead
`t("Calendar")` compiles the string's words in every language into the page, as a small table
looked up by the tab's `SessionState.language`: `({"en":"Calendar","he":"יומן"})[language]`.
No catalog travels over the websocket or sits in a tab's server state (Redis), and a language
change shows at once. The catalogs are read when the front end is compiled (every prod start).
The msgid must be in the English catalog (pazpaz/locale/en/LC_MESSAGES/messages.po): the build
fails here otherwise, and tests/unit/test_catalogs.py names strings missing from either catalog.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.vars.base import Var, VarData

from pazpaz import i18n
from pazpaz.state.session import SessionState


def t(msgid: str, **values: Var | str | int) -> Var:
    """The words for `msgid` in the tab's language; `{name}` placeholders take `values`
    (Vars or plain values), filled in the browser after the lookup."""
    if msgid not in i18n.messages(i18n.DEFAULT_LANGUAGE):
        raise KeyError(f"msgid not in pazpaz/locale/en/LC_MESSAGES/messages.po: {msgid!r}")
    table = json.dumps({code: i18n.gettext(code, msgid) for code in i18n.LANGUAGES}, ensure_ascii=False)
    language = SessionState.language
    words: Var = Var(_js_expr=f"({table}[{language}] ?? {json.dumps(msgid, ensure_ascii=False)})", _var_type=str,
                     _var_data=language._get_all_var_data()).to(str)
    for name, value in values.items():
        if isinstance(value, Var):
            value = value if value._var_type is str else value.to_string()
        words = words.replace("{" + name + "}", value if isinstance(value, Var) else str(value))
    return words


def tn(singular: str, plural: str, count: Var, **values: Var | str | int) -> Var:
    """`"{count} client"` / `"{count} clients"` in the tab's language, the form chosen in the
    browser by each catalog's own gettext plural rule (a C expression in `n`, which is valid
    JavaScript), so a language with more than two forms needs only its catalog. `{count}` is
    written as the reader writes numbers (1,200)."""
    if not i18n.in_catalog(singular):
        raise KeyError(f"msgid not in pazpaz/locale/en/LC_MESSAGES/messages.po: {singular!r}")
    rules, forms = {}, {}
    for code in i18n.LANGUAGES:
        expression, texts = i18n.plural_forms(code, singular, plural)
        rules[code], forms[code] = expression, texts
    choose = "{" + ",".join(f"{json.dumps(code)}:(n)=>Number({expression})" for code, expression in rules.items()) + "}"
    table = json.dumps(forms, ensure_ascii=False)
    english = json.dumps([singular, plural], ensure_ascii=False)
    locales = json.dumps({code: _number_locale(code) for code in i18n.LANGUAGES})
    language, number = SessionState.language, count.to(int)
    code = (f"((n, l) => {{ const f = ({table}[l] ?? {english}); "
            f"const w = f[({choose}[l] ?? ((n)=>Number(n != 1)))(n)] ?? f[f.length - 1]; "
            f"return w.replaceAll(\"{{count}}\", Number(n).toLocaleString({locales}[l] ?? \"en-GB\")); }})"
            f"({number}, {language})")
    words: Var = Var(_js_expr=code, _var_type=str,
                     _var_data=VarData.merge(language._get_all_var_data(), number._get_all_var_data())).to(str)
    for name, value in values.items():
        if isinstance(value, Var):
            value = value if value._var_type is str else value.to_string()
        words = words.replace("{" + name + "}", value if isinstance(value, Var) else str(value))
    return words


def _number_locale(language: str) -> str:
    """The BCP 47 tag the browser formats counts with (as services/formatting.py does)."""
    from pazpaz.services.formatting import LANGUAGES as NUMBER_LOCALES

    return NUMBER_LOCALES.get(language, NUMBER_LOCALES["en"]).replace("_", "-")


# Page titles (msgids) given to `app.add_page` through `page_title_text`: the tab's title is set
# in English by the router and swapped for the reader's language by DocumentLanguage's effect.
PAGE_TITLES: list[str] = []
TITLE_SUFFIX = " · PazPaz"


def page_title_text(msgid: str) -> str:
    """The browser-tab title for a page (English; translated in the browser: DocumentLanguage)."""
    PAGE_TITLES.append(msgid)
    return i18n.gettext(i18n.DEFAULT_LANGUAGE, msgid) + TITLE_SUFFIX


def _title_table() -> str:
    """{English title: {language: title}} for every registered page title."""
    return json.dumps({msgid + TITLE_SUFFIX: {code: i18n.gettext(code, msgid) + TITLE_SUFFIX for code in i18n.LANGUAGES}
                       for msgid in PAGE_TITLES}, ensure_ascii=False)


class DocumentLanguage(rx.Fragment):
    """Sets `<html lang dir>` and the tab's title from the tab's language: a React effect compiled
    into the page's own JS bundle (the CSP allows no inline script and no eval;
    docs/ARCHITECTURE.md "HTTP headers"). The router writes the English title; the effect looks it
    up (or a translation of it, after a language change) and writes the reader's."""

    def add_imports(self) -> dict:
        return {"react": ["useEffect"]}

    def add_hooks(self) -> list[str | Var]:
        lang, direction = SessionState.language, SessionState.direction
        code = (f"useEffect(() => {{ document.documentElement.lang = {lang}; "
                f"document.documentElement.dir = {direction}; "
                f"const titles = {_title_table()}; const now = document.title; "
                "const entry = titles[now] ?? Object.values(titles).find((e) => Object.values(e).includes(now)); "
                f"if (entry && entry[{lang}]) {{ document.title = entry[{lang}]; }} "
                f"}}, [{lang}, {direction}]);")
        return [Var(code, _var_data=VarData.merge(lang._get_all_var_data(), direction._get_all_var_data()))]


def document_language() -> rx.Component:
    return DocumentLanguage.create()
