"""Settings > Language: the reader's language; for the owner, the practice's mail language and currency."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from pazpaz import i18n
from pazpaz.i18n import N_
from pazpaz.services import languages
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState


class LanguageState(SessionState):
    FAILURES: ClassVar[Failures] = Failures(message="language_error", fields="language_errors", invalid="")

    practice_language: str = i18n.DEFAULT_LANGUAGE
    currency: str = "EUR"
    currencies: list[list[str]] = []  # [code, "ILS · שקל חדש"] in the reader's language
    language_error: str = ""
    language_errors: dict[str, str] = {}

    def _name_currencies(self) -> None:
        self.currencies = [[code, name] for code, name in languages.currency_choices(self.language)]

    @rx.event
    @handler
    async def load_language(self):
        actor = await self._actor()
        practice = await self._call(languages.practice_locale, actor)
        self.practice_language, self.currency = practice.language, practice.currency
        self._name_currencies()
        self.language_error, self.language_errors = "", {}

    @rx.event
    @handler
    async def choose_language(self, language: str):
        actor = await self._actor()
        self.language_error, self.language_errors = "", {}
        chosen = await self._call(languages.set_user_language, actor, str(language))
        self._use_language(chosen)
        self._name_currencies()
        self._notify(N_("Language saved."))

    @rx.event
    @handler
    async def save_practice_locale(self, form_data: dict):
        actor = await self._actor()
        self.language_error, self.language_errors = "", {}
        saved = await self._call(languages.set_practice_locale, actor, str(form_data.get("practice_language", "")),
                                 str(form_data.get("currency", "")))
        self.practice_language, self.currency = saved.language, saved.currency
        self._notify(N_("Practice language and currency saved."))
