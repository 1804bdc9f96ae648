"""The sign-in form: ask for a link; the answer never reveals whether an address is known."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import auth
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState

NOTICES = {
    "signed_out": N_("You are signed out."),
}


class SignInState(SessionState):
    # The email's own error sits under the field; nothing else needs a summary.
    FAILURES: ClassVar[Failures] = Failures(
        invalid="", failed=N_("We could not send the link just now. Please try again in a minute."))

    sent: bool = False
    error: str = ""
    field_errors: dict[str, str] = {}
    notice: str = ""
    signup_open: bool = False

    @rx.event
    @handler
    async def load(self):
        params = self.router.url.query_parameters
        # First: with no session this resets every page's data, this form's included.
        if await self._identity() is not None:
            return rx.redirect(auth.safe_next(params.get("next")))
        self._use_language(self._browser_language())  # nobody is signed in: the browser decides
        reason = params.get("error", "")
        self.error = self._t(auth.LinkRefused.MESSAGES.get(reason, "")) if reason else ""
        self.notice = self._t(NOTICES["signed_out"]) if params.get("signed_out") else ""
        self.sent = False
        self.field_errors = {}
        self.signup_open = await self._call(auth.signup_allowed)
        return None

    @rx.event
    @handler
    async def request_link(self, form_data: dict):
        email = str(form_data.get("email", "")).strip()
        next_path = auth.safe_next(self.router.url.query_parameters.get("next"))
        self.error = ""
        self.field_errors = {}
        await self._call(auth.request_link, email, self._request_context(), next_path)
        self.sent = True

    @rx.event
    @handler
    def start_over(self):
        self.sent = False
