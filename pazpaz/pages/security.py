"""/settings/security: two-step sign-in (and, for the owner, requiring it)."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner, labelled_input
from pazpaz.components.i18n import t
from pazpaz.components.sessions import sessions_section
from pazpaz.components.shell import shell
from pazpaz.i18n import N_
from pazpaz.state.security import SecurityState

MUTED = "var(--gray-11)"


def _code_form(submit_label: rx.Var, on_submit, cancel) -> rx.Component:
    return rx.form(
        rx.vstack(
            labelled_input(t("6-digit code from your authenticator app"), "code", error=SecurityState.field_errors.get(
                "code", ""), auto_complete="one-time-code", input_mode="numeric", max_length=20, required=True),
            rx.flex(
                rx.button(submit_label, type="submit", size="3", disabled=~SecurityState.is_hydrated),
                rx.button(t("Cancel"), type="button", variant="soft", size="3", on_click=cancel),
                spacing="3", wrap="wrap",
            ),
            spacing="3", width="100%",
        ),
        on_submit=on_submit,
        key=SecurityState.form_key.to_string(),
        width="100%",
    )


def _backup_codes() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Save your backup codes"), size="3", as_="h3"),
        rx.text(t("If you lose your phone, each code signs you in once. Keep them somewhere safe, apart from "
                  "your phone: this is the only time they are shown.")),
        rx.el.ul(
            rx.foreach(SecurityState.backup_codes, lambda code: rx.el.li(rx.code(code, size="3"))),
            id="backup-codes",
            style={"columns": "2", "paddingInlineStart": "1.2em", "margin": "0"},
        ),
        rx.flex(
            rx.el.a(t("Download as a .txt file"), href=SecurityState.codes_download, download="pazpaz-backup-codes.txt",
                    style={"minHeight": "44px", "display": "inline-flex", "alignItems": "center"}),
            rx.button(t("I saved them"), size="3", on_click=SecurityState.codes_saved),
            spacing="4", align="center", wrap="wrap",
        ),
        spacing="3", width="100%",
    )


def _enrolment() -> rx.Component:
    return rx.vstack(
        rx.el.ol(
            rx.el.li(t("Open an authenticator app on your phone (for example Google Authenticator, Microsoft "
                       "Authenticator, 1Password or Aegis) and add an account by scanning this QR code.")),
            rx.el.li(t("Type the 6-digit code the app shows, then press Turn on.")),
            style={"paddingInlineStart": "1.2em", "margin": "0"},
        ),
        rx.image(src=SecurityState.qr, alt=t("QR code to scan with your authenticator app"), width="220px",
                 height="220px"),
        rx.text(t("Can't scan it? Enter this key in the app instead:"), " ",
                rx.code(SecurityState.key, id="totp-key", size="3"), overflow_wrap="anywhere"),
        _code_form(t("Turn on"), SecurityState.confirm_enrolment, SecurityState.cancel_enrolment),
        spacing="3", width="100%",
    )


def _when_on() -> rx.Component:
    return rx.vstack(
        rx.text(rx.badge(t("On"), color_scheme="green", size="2"), " ",
                t("since {date}.", date=SecurityState.enabled_on), " ", SecurityState.codes_left_text,
                id="two-step-status"),
        rx.cond(
            SecurityState.confirming == "",
            rx.flex(
                rx.button(t("Make new backup codes"), variant="soft", size="3",
                          on_click=SecurityState.confirm_with_code("regenerate")),
                rx.cond(~SecurityState.required,
                        rx.button(t("Turn off two-step sign-in"), variant="soft", color_scheme="red", size="3",
                                  on_click=SecurityState.confirm_with_code("turn_off"))),
                spacing="3", wrap="wrap",
            ),
            rx.vstack(
                rx.text(rx.cond(SecurityState.confirming == "regenerate",
                                t("New codes replace all your old ones. Confirm with a current code."),
                                t("Turning it off signs out your other sessions. Confirm with a current code."))),
                _code_form(rx.cond(SecurityState.confirming == "regenerate", t("Make new codes"), t("Turn off")),
                           SecurityState.submit_code, SecurityState.confirm_with_code("")),
                spacing="2", width="100%",
            ),
        ),
        rx.cond(SecurityState.required,
                rx.text(t("Your practice requires two-step sign-in, so it stays on."), size="2", color=MUTED)),
        spacing="3", width="100%",
    )


def _when_off() -> rx.Component:
    return rx.cond(
        SecurityState.qr != "",
        _enrolment(),
        rx.vstack(
            rx.text(t("With two-step sign-in, the emailed link is not enough: signing in also needs a code from "
                      "an app on your phone. Someone who gets into your mailbox still can't open your practice.")),
            rx.button(t("Turn on two-step sign-in"), size="3", on_click=SecurityState.start_enrolment),
            spacing="3", width="100%",
        ),
    )


def _two_step_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Two-step sign-in"), size="4", as_="h2"),
            rx.cond(
                SecurityState.backup_codes.length() > 0,
                _backup_codes(),
                rx.cond(SecurityState.two_step_on, _when_on(), _when_off()),
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _practice_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Your practice"), size="4", as_="h2"),
            rx.el.label(
                rx.flex(
                    rx.switch(checked=SecurityState.required, on_change=SecurityState.set_required,
                              disabled=~SecurityState.two_step_on & ~SecurityState.required, id="require-two-step"),
                    rx.text(t("Require two-step sign-in for everyone")),
                    spacing="3", align="center", min_height="44px",
                ),
            ),
            rx.text(t("Anyone without it is signed out now and sets it up right after their next sign-in link. "
                      "Turn on your own two-step sign-in first."), size="2", color=MUTED),
            spacing="2", width="100%",
        ),
        width="100%",
    )


def security_page() -> rx.Component:
    return shell(
        N_("Security"),
        rx.vstack(
            rx.link(rx.el.span("\u2190 ", class_name="pz-mirror", aria_hidden="true"), t("Back to settings"),
                    href="/settings"),
            banner(SecurityState.error),
            _two_step_card(),
            rx.card(sessions_section(), width="100%"),
            rx.cond(SecurityState.is_owner, _practice_card()),
            spacing="4", width="100%",
        ),
    )
