"""The client page's legal hold and erasure card (owner only), included with one line."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner, field, labelled_input
from pazpaz.components.i18n import t
from pazpaz.pages.exports import client_export_card
from pazpaz.services.erasure import REASONS, RETENTION_NOTICE
from pazpaz.state.erasure import ErasureState as E

HINT = {"size": "2", "color": "var(--gray-11)"}


def _hold() -> rx.Component:
    return rx.cond(
        E.hold_reason != "",
        rx.vstack(
            rx.callout(rx.text(t("Legal hold: {reason}", reason=E.hold_reason)), color_scheme="amber", width="100%",
                       id="legal-hold"),
            rx.button(t("Lift the legal hold"), variant="soft", size="2", on_click=E.lift_hold),
            spacing="2", width="100%",
        ),
        rx.form(
            rx.vstack(
                labelled_input(t("Legal hold reason (blocks erasure)"), "hold_reason",
                               error=E.field_errors.get("hold_reason", "")),
                rx.button(t("Set legal hold"), type="submit", variant="soft", size="2", disabled=~E.is_hydrated),
                spacing="2", width="100%",
            ),
            on_submit=E.set_hold, key=E.form_key + "-hold", width="100%",
        ),
    )


def _erase_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(t("Reason for the erasure"), "erase_reason", rx.el.select,
                  rx.el.option(t("Choose a reason"), value=""),
                  *[rx.el.option(t(label), value=code) for code, label in REASONS.items()],
                  error=E.field_errors.get("reason", ""), name="erase_reason"),
            labelled_input(t("Type the client's full name to confirm"), "confirm_name",
                           error=E.field_errors.get("confirm", ""), auto_complete="off"),
            rx.button(t("Erase client"), type="submit", color_scheme="red", disabled=~E.is_hydrated),
            spacing="2", width="100%",
        ),
        on_submit=E.erase, key=E.form_key + "-erase", width="100%",
    )


def erasure_card() -> rx.Component:
    return rx.box(
        rx.cond(E.visible, client_export_card()),
        rx.cond(
            E.visible,
            rx.card(
                rx.vstack(
                    rx.heading(t("Legal hold and erasure"), size="4", as_="h2"),
                    rx.text(t(RETENTION_NOTICE), **HINT, id="retention-notice"),
                    _hold(),
                    rx.cond(E.hold_reason == "", _erase_form()),
                    banner(E.error),
                    spacing="3", width="100%",
                ),
                width="100%",
            ),
        ),
        on_mount=E.load, width="100%",
        # Two cards in one box: the same gap as between the page's other sections.
        style={"display": "flex", "flexDirection": "column", "gap": "var(--space-4)"},
    )
