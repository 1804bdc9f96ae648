"""What a tab shows while its websocket is down, in the page's language
(docs/ARCHITECTURE.md, "Translation layer").

Reflex's default overlay says "Cannot connect to server: ..." in English through a sonner toast
(whose region is labelled "Notifications alt+T") and puts an English tooltip on its pulser. The
app uses no toasts (messages go through SessionState._notify), so the toaster is off and this
overlay replaces Reflex's. It sits in the app wrap, outside the state's context: it takes the
language from `<html lang>`, which `document_language()` keeps in step with the tab.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex.vars.base import Var
from reflex_base.components.memo import memo
from reflex_components_core.core.banner import has_hydration_payload_error, has_too_many_connection_errors

from pazpaz import i18n

MESSAGE = i18n.N_("No connection to PazPaz. Trying again…")


def page_language_words(msgid: str) -> Var:
    """`msgid` in every language, looked up by `<html lang>` when the element renders."""
    table = json.dumps({code: i18n.gettext(code, msgid) for code in i18n.LANGUAGES}, ensure_ascii=False)
    language = "((typeof document !== 'undefined' && document.documentElement.lang) || 'en')"
    return Var(_js_expr=f"({table}[{language}] ?? {json.dumps(msgid, ensure_ascii=False)})", _var_type=str)


def _connection_notice() -> rx.Component:
    return rx.cond(
        # Two errors in a row, or the one the tab gets when its state is too big to load (Reflex
        # then stops reconnecting): either way the page can't work until this passes.
        has_too_many_connection_errors | has_hydration_payload_error,
        rx.el.div(page_language_words(MESSAGE), role="alert", class_name="pz-connection"),
    )


def connection_overlay() -> rx.Component:
    # Memoised like Reflex's own overlay: a change in connection errors re-renders only this.
    return rx.fragment(memo(_connection_notice)())
