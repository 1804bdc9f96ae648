"""Settings > Language (included in pages/settings.py): words through components/i18n.t."""

from __future__ import annotations

import reflex as rx

from pazpaz import i18n
from pazpaz.components.forms import CONTROL_STYLE, LABEL_STYLE, banner, field_error
from pazpaz.components.i18n import t
from pazpaz.state.language import LanguageState


def _options() -> list[rx.Component]:
    # Each language names itself ("עברית"), so anyone can find their own in any UI language.
    return [rx.el.option(name, value=code, lang=code) for code, name in i18n.LANGUAGES.items()]


def _your_language() -> rx.Component:
    return rx.vstack(
        rx.el.label(t("Your language"), html_for="language", style=LABEL_STYLE),
        rx.el.select(*_options(), id="language", name="language", value=LanguageState.language,
                     on_change=LanguageState.choose_language, style=CONTROL_STYLE),
        rx.text(t("PazPaz's pages and the mails it sends you are in this language."), size="2",
                color="var(--gray-11)"),
        spacing="1", width="100%", align="stretch",
    )


def _practice_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(t("Language of mails to clients"), html_for="practice_language", style=LABEL_STYLE),
            rx.el.select(*_options(), id="practice_language", name="practice_language",
                         default_value=LanguageState.practice_language, key=LanguageState.practice_language,
                         style=CONTROL_STYLE),
            field_error(LanguageState.language_errors.get("language", ""), "practice_language"),
            rx.el.label(t("Currency of prices"), html_for="currency", style=LABEL_STYLE),
            rx.el.select(rx.foreach(LanguageState.currencies, lambda code: rx.el.option(code, value=code)),
                         id="currency", name="currency", default_value=LanguageState.currency,
                         key=LanguageState.currency + LanguageState.currencies.length().to_string(),
                         style=CONTROL_STYLE),
            field_error(LanguageState.language_errors.get("currency", ""), "currency"),
            rx.button(t("Save"), type="submit", disabled=~LanguageState.is_hydrated),
            spacing="2", width="100%", align="stretch",
        ),
        on_submit=LanguageState.save_practice_locale,
        width="100%",
    )


def language_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Language"), size="3"),
            banner(LanguageState.language_error),
            _your_language(),
            rx.cond(LanguageState.is_owner, _practice_form()),
            spacing="3", width="100%",
        ),
        width="100%",
        id="language-settings",
        on_mount=LanguageState.load_language,
    )
