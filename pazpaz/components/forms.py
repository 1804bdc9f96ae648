"""Form building blocks: every input has a visible label and its error right under it."""

from __future__ import annotations

import reflex as rx

LABEL_STYLE = {"fontWeight": "500", "fontSize": "0.9rem"}
# Native <select>/<input> elements styled to sit beside Radix inputs.
CONTROL_STYLE = {"width": "100%", "padding": "9px", "borderRadius": "6px", "border": "1px solid var(--gray-7)",
                 "background": "white", "fontSize": "1rem", "boxSizing": "border-box"}


def field_error(message: rx.Var | str, field_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, color="var(--red-11)", size="2", id=f"{field_id}-error", role="alert"),
    )


def labelled_input(
    label: str, field_id: str, *, input_type: str = "text", error: rx.Var | str = "", **props
) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style=LABEL_STYLE),
        rx.input(id=field_id, name=field_id, type=input_type, width="100%", size="3", **props),
        field_error(error, field_id),
        spacing="1",
        width="100%",
        align="stretch",
    )


def banner(message: rx.Var | str, tone: str = "red") -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, color_scheme=tone, width="100%", role="status"),
    )


def card_page(*children: rx.Component) -> rx.Component:
    """A centred single card: sign-in, sign-up; fits a 390 px phone."""
    return rx.center(
        rx.card(
            rx.vstack(*children, spacing="4", width="100%", align="stretch"),
            width="100%",
            max_width="420px",
            size="3",
        ),
        min_height="100vh",
        padding="16px",
        background="var(--gray-2)",
    )
