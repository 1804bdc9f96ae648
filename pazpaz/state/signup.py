"""Create your practice: a workspace, its owner, and a first sign-in link."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from pazpaz.services.scope import system_session
from pazpaz.services import auth
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import ServiceError, ValidationFailed
from pazpaz.state.session import SessionState

log = logging.getLogger("pazpaz.signup")


def _signup(form: dict[str, str], context: RequestContext) -> None:
    with system_session() as session:
        auth.signup(
            session,
            practice_name=form["practice_name"],
            your_name=form["your_name"],
            email=form["email"],
            time_zone=form["time_zone"],
            context=context,
        )


def _allowed() -> bool:
    with system_session() as session:
        return auth.signup_allowed(session)


class SignUpState(SessionState):
    allowed: bool = True
    sent: bool = False
    error: str = ""
    field_errors: dict[str, str] = {}
    time_zone: str = "UTC"

    @rx.event
    async def load(self):
        self.sent = False
        self.error = ""
        self.field_errors = {}
        self.allowed = await asyncio.to_thread(_allowed)
        # The browser knows the therapist's zone; preselect it.
        return rx.call_script(
            "Intl.DateTimeFormat().resolvedOptions().timeZone", callback=SignUpState.set_time_zone
        )

    @rx.event
    def set_time_zone(self, value: str):
        if isinstance(value, str) and value:
            self.time_zone = value

    @rx.event
    async def submit(self, form_data: dict):
        form = {key: str(form_data.get(key, "")) for key in ("practice_name", "your_name", "email", "time_zone")}
        self.error = ""
        self.field_errors = {}
        try:
            await asyncio.to_thread(_signup, form, self.request_context())
        except ValidationFailed as invalid:
            self.field_errors = invalid.errors
            return
        except ServiceError as refused:
            self.error = str(refused)
            return
        except Exception as error:
            log.error("sign-up failed (%s)", type(error).__name__)
            self.error = "We could not create the practice just now. Please try again in a minute."
            return
        self.sent = True
