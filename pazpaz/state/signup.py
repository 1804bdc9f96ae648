"""Create your practice: a workspace, its owner, and a first sign-in link."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from pazpaz.i18n import N_
from pazpaz.services import auth
from pazpaz.state.handler import Failures, handler
from pazpaz.state.session import SessionState

FIELDS = ("practice_name", "your_name", "email", "time_zone")


class SignUpState(SessionState):
    # Each field's error sits under it; nothing else needs a summary.
    FAILURES: ClassVar[Failures] = Failures(
        invalid="", failed=N_("We could not create the practice just now. Please try again in a minute."))

    allowed: bool = True
    sent: bool = False
    error: str = ""
    field_errors: dict[str, str] = {}
    time_zone: str = "UTC"

    @rx.event
    @handler
    async def load(self):
        self._use_language(self._browser_language())  # nobody is signed in: the browser decides
        self.sent = False
        self.error = ""
        self.field_errors = {}
        self.allowed = await self._call(auth.signup_allowed)

    @rx.event
    @handler
    def set_time_zone(self, value: str):
        if isinstance(value, str) and value:
            self.time_zone = value

    @rx.event
    @handler
    async def submit(self, form_data: dict):
        form = {key: str(form_data.get(key, "")) for key in FIELDS}
        self.error = ""
        self.field_errors = {}
        await self._call(auth.signup, **form, context=self._request_context(), language=self._browser_language())
        self.sent = True
