"""/signup: create a practice (workspace) and its owner."""

from __future__ import annotations

import zoneinfo

import reflex as rx
from reflex_base.utils.format import format_event_handler

from pazpaz.components.forms import CONTROL_STYLE, LABEL_STYLE, banner, card_page, field_error, labelled_input
from pazpaz.components.i18n import document_language, t
from pazpaz.state.signup import SignUpState

TIME_ZONES = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC")


def _detect_time_zone() -> rx.event.EventSpec:
    """The browser knows the therapist's zone: preselect it. The function is compiled into
    the page (a script string sent at run time would need 'unsafe-eval' in the CSP)."""
    event_name = format_event_handler(SignUpState.set_time_zone)
    return rx.call_function(rx.Var(
        f'() => addEvents([ReflexEvent("{event_name}", '
        '{value: Intl.DateTimeFormat().resolvedOptions().timeZone})])'
    ))


def _time_zone_field() -> rx.Component:
    return rx.vstack(
        rx.el.label(t("Time zone"), html_for="time_zone", style=LABEL_STYLE),
        rx.el.select(
            *[rx.el.option(zone, value=zone) for zone in TIME_ZONES],
            id="time_zone",
            name="time_zone",
            value=SignUpState.time_zone,
            on_change=SignUpState.set_time_zone,
            style=CONTROL_STYLE,
        ),
        field_error(SignUpState.field_errors.get("time_zone", ""), "time_zone"),
        spacing="1",
        width="100%",
        align="stretch",
        on_mount=_detect_time_zone(),
    )


def _form() -> rx.Component:
    errors = SignUpState.field_errors
    return rx.form(
        rx.vstack(
            labelled_input(t("Practice name"), "practice_name", error=errors.get("practice_name", ""),
                           required=True),
            labelled_input(t("Your name"), "your_name", error=errors.get("your_name", ""),
                           auto_complete="name", required=True),
            labelled_input(t("Email"), "email", input_type="email", error=errors.get("email", ""),
                           auto_complete="email", required=True),
            _time_zone_field(),
            rx.button(t("Create your practice"), type="submit", size="3", width="100%",
                      # Until the page is live a native submit would put the form in the URL.
                      disabled=~SignUpState.is_hydrated),
            spacing="4",
            width="100%",
        ),
        on_submit=SignUpState.submit,
        width="100%",
    )


def _sent() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Check your email"), size="4", as_="h2"),
        rx.text(t("We sent you a sign-in link. It works once and expires in 10 minutes.")),
        spacing="3",
        id="signup-sent",
    )


def signup_page() -> rx.Component:
    return card_page(
        document_language(),
        rx.heading(t("Create your practice"), size="6", as_="h1"),
        banner(SignUpState.error),
        rx.cond(
            SignUpState.allowed,
            rx.cond(SignUpState.sent, _sent(), _form()),
            rx.text(t("Sign-up is closed on this PazPaz instance. Ask the practice owner for an invitation.")),
        ),
        rx.text(t("Already have an account?"), " ", rx.link(t("Sign in"), href="/signin"), size="2"),
    )
