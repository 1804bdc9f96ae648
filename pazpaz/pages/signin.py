"""/signin: ask for a sign-in link."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner, card_page, labelled_input
from pazpaz.components.i18n import document_language, t
from pazpaz.state.signin import SignInState


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            labelled_input(t("Email"), "email", input_type="email",
                           error=SignInState.field_errors.get("email", ""),
                           auto_complete="email", required=True),
            rx.button(t("Email me a sign-in link"), type="submit", size="3", width="100%",
                      # Until the page is live a native submit would put the form in the URL.
                      disabled=~SignInState.is_hydrated),
            spacing="4",
            width="100%",
        ),
        on_submit=SignInState.request_link,
        width="100%",
    )


def _sent() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Check your email"), size="4", as_="h2"),
        rx.text(t("If that address belongs to a PazPaz account, a sign-in link is on its way. "
                  "It works once and expires in 10 minutes.")),
        rx.button(t("Use another address"), variant="soft", on_click=SignInState.start_over),
        spacing="3",
        id="signin-sent",
    )


def signin_page() -> rx.Component:
    return card_page(
        document_language(),
        rx.heading(t("Sign in to PazPaz"), size="6", as_="h1"),
        banner(SignInState.notice, tone="green"),
        banner(SignInState.error),
        rx.cond(SignInState.sent, _sent(), _form()),
        rx.cond(
            SignInState.signup_open,
            rx.text(t("New here?"), " ", rx.link(t("Create your practice"), href="/signup"), size="2"),
        ),
    )
