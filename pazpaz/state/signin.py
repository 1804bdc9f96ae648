"""The sign-in form: ask for a link; the answer never reveals whether an address is known."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from pazpaz.services.scope import system_session
from pazpaz.services import auth
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import ServiceError, ValidationFailed
from pazpaz.state.session import SessionState

log = logging.getLogger("pazpaz.signin")

NOTICES = {
    "signed_out": "You are signed out.",
}


def _request(email: str, context: RequestContext, next_path: str) -> None:
    with system_session() as session:
        auth.request_link(session, email, context, next_path)


def _signup_open() -> bool:
    with system_session() as session:
        return auth.signup_allowed(session)


class SignInState(SessionState):
    sent: bool = False
    error: str = ""
    email_error: str = ""
    notice: str = ""
    signup_open: bool = False

    @rx.event
    async def load(self):
        params = self.router.url.query_parameters
        # First: with no session this resets every page's data, this form's included.
        if await self.current_identity() is not None:
            return rx.redirect(auth.safe_next(params.get("next")))
        reason = params.get("error", "")
        self.error = auth.LinkRefused.MESSAGES.get(reason, "") if reason else ""
        self.notice = NOTICES["signed_out"] if params.get("signed_out") else ""
        self.sent = False
        self.email_error = ""
        self.signup_open = await asyncio.to_thread(_signup_open)
        return None

    @rx.event
    async def request_link(self, form_data: dict):
        email = str(form_data.get("email", "")).strip()
        next_path = auth.safe_next(self.router.url.query_parameters.get("next"))
        self.error = ""
        self.email_error = ""
        try:
            await asyncio.to_thread(_request, email, self.request_context(), next_path)
        except ValidationFailed as invalid:
            self.email_error = invalid.errors.get("email", str(invalid))
            return
        except ServiceError as refused:
            self.error = str(refused)
            return
        except Exception as error:
            log.error("sign-in link request failed (%s)", type(error).__name__)
            self.error = "We could not send the link just now. Please try again in a minute."
            return
        self.sent = True

    @rx.event
    def start_over(self):
        self.sent = False
