"""Settings > Language (included in pages/settings.py): words through components/i18n.t."""

from __future__ import annotations

import reflex as rx

from pazpaz import i18n
from pazpaz.components.forms import banner, field, form_actions
from pazpaz.components.i18n import t
from pazpaz.components.theme import muted, section
from pazpaz.state.language import LanguageState


def _options() -> list[rx.Component]:
    # Each language names itself ("עברית"), so anyone can find their own in any UI language.
    return [rx.el.option(name, value=code, lang=code) for code, name in i18n.LANGUAGES.items()]


def _your_language() -> rx.Component:
    # The explanation is its own line: forms.aria_for tests a hint with `if`, which a Var can't take.
    return rx.vstack(
        field(t("Your language"), "language", rx.el.select, *_options(), name="language",
              value=LanguageState.language, on_change=LanguageState.choose_language),
        muted(t("PazPaz's pages and the mails it sends you are in this language.")),
        spacing="1", width="100%", align="stretch",
    )


def _practice_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(t("Language of mails to clients"), "practice_language", rx.el.select, *_options(),
                  name="practice_language", default_value=LanguageState.practice_language,
                  key=LanguageState.practice_language,
                  error=LanguageState.language_errors.get("language", "")),
            field(t("Currency of prices"), "currency", rx.el.select,
                  rx.foreach(LanguageState.currencies, lambda c: rx.el.option(c[1], value=c[0])),
                  name="currency", default_value=LanguageState.currency,
                  key=LanguageState.currency + LanguageState.language + LanguageState.currencies.length().to_string(),
                  error=LanguageState.language_errors.get("currency", "")),
            form_actions(rx.button(t("Save"), type="submit", disabled=~LanguageState.is_hydrated)),
            spacing="3", width="100%", align="stretch",
        ),
        on_submit=LanguageState.save_practice_locale,
        width="100%",
    )


def language_section() -> rx.Component:
    return section(
        t("Language"),
        banner(LanguageState.language_error),
        _your_language(),
        rx.cond(LanguageState.is_owner, _practice_form()),
        id="language-settings",
        on_mount=LanguageState.load_language,
    )
