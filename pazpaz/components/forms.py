"""Form building blocks: one `field()` (label, control, hint, error), one `pager()`, banners.

Every control has a visible label; its hint and error are tied to it with aria-describedby,
and an error sets aria-invalid (the CSS draws invalid controls red). When a form is refused,
the banner moves focus to the first invalid control so a keyboard or screen-reader user
lands on what needs fixing.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from pazpaz.components.i18n import t
from pazpaz.components.theme import BLOCK, MUTED, ROW, TIGHT

LABEL_STYLE = {"fontWeight": "500", "fontSize": "0.9rem"}
# Native <select>/<input> elements styled to sit beside Radix inputs (class pz-control in app.css).
CONTROL_STYLE = {"width": "100%", "padding": "9px", "borderRadius": "var(--radius-2)",
                 "border": "1px solid var(--gray-8)", "background": "white", "fontSize": "1rem",
                 "boxSizing": "border-box", "minHeight": "40px", "color": "var(--gray-12)"}

# Typed text takes its direction from its first strong letter (dir="auto"): a Hebrew note with
# English drug names, or an English name in a Hebrew page, reads in its own order. Addresses,
# numbers, codes and times stay left-to-right whatever the page's direction.
LTR_INPUT_TYPES = frozenset({"email", "url", "tel", "number", "time", "date", "datetime-local", "month", "week",
                             "password"})
TEXT_INPUT_TYPES = frozenset({"text", "search"})


def text_direction(control: Callable[..., rx.Component], input_type: object) -> str | None:
    """The `dir` for a control: "auto" where people type free text, "ltr" for machine-shaped
    values, None (inherit) for selects, checkboxes and the like."""
    if control in (rx.text_area, rx.el.textarea):
        return "auto"
    if control not in (rx.input, rx.el.input):
        return None
    kind = "text" if input_type is None else input_type
    if not isinstance(kind, str):
        return None
    if kind in LTR_INPUT_TYPES:
        return "ltr"
    return "auto" if kind in TEXT_INPUT_TYPES else None


# A function compiled into the page (the CSP allows no eval): focus the first invalid control.
_FOCUS_FIRST_INVALID = rx.Var(
    "() => { const el = document.querySelector('[aria-invalid=\"true\"]'); if (el) { el.focus(); } }")


def _has(value: rx.Var | str) -> rx.Var | bool:
    return value != "" if isinstance(value, rx.Var) else bool(value)


def _given(value: rx.Var | str) -> bool:
    """A hint was passed: a Var (t() words) always counts; a Python str when not empty."""
    return isinstance(value, rx.Var) or bool(value)


def aria_for(field_id: str, *, error: rx.Var | str = "", hint: str | rx.Var = "") -> dict:
    """aria-invalid and aria-describedby for a control whose hint/error carry these ids."""
    props: dict = {}
    described = f"{field_id}-hint" if _given(hint) else ""
    if isinstance(error, rx.Var):
        props["aria_invalid"] = rx.cond(error != "", "true", "false")
        props["aria_describedby"] = rx.cond(error != "", (described + f" {field_id}-error").strip(),
                                            described)
    elif error:
        props["aria_invalid"] = "true"
        props["aria_describedby"] = (described + f" {field_id}-error").strip()
    elif described:
        props["aria_describedby"] = described
    return props


def field_error(message: rx.Var | str, field_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, color="var(--red-11)", size="2", id=f"{field_id}-error", weight="medium"),
    )


def field(
    label: str | rx.Var,
    field_id: str,
    control: Callable[..., rx.Component] = rx.input,
    *children: rx.Component,
    error: rx.Var | str = "",
    hint: str | rx.Var = "",
    wrap: Callable[[rx.Component], rx.Component] | None = None,
    box_props: dict | None = None,
    **props,
) -> rx.Component:
    """Label, control, hint and error in one column. `control` builds the input (rx.input,
    rx.el.select, rx.text_area, ...) with the id, aria wiring and `props`; `wrap` wraps it
    (for example in rx.debounce_input)."""
    if control in (rx.input, rx.text_area):
        props.setdefault("size", "3")
        props.setdefault("width", "100%")
    elif control in (rx.el.select, rx.el.input, rx.el.textarea):
        props.setdefault("style", CONTROL_STYLE)
        props.setdefault("class_name", "pz-control")
    direction = text_direction(control, props.get("type"))
    if direction:
        props.setdefault("dir", direction)
    built = control(*children, id=field_id, **aria_for(field_id, error=error, hint=hint), **props)
    return rx.vstack(
        rx.el.label(label, html_for=field_id, style=LABEL_STYLE),
        wrap(built) if wrap else built,
        rx.cond(_has(hint), rx.text(hint, id=f"{field_id}-hint", size="1", color=MUTED)) if _given(hint)
        else rx.fragment(),
        field_error(error, field_id),
        spacing=TIGHT,
        width="100%",
        align="stretch",
        min_width="0",
        **(box_props or {}),
    )


def labelled_input(
    label: str | rx.Var, field_id: str, *, input_type: str = "text", error: rx.Var | str = "", **props
) -> rx.Component:
    return field(label, field_id, rx.input, error=error, name=field_id, type=input_type, **props)


def banner(message: rx.Var | str, tone: str = "red") -> rx.Component:
    """A one-line message over a form. An error banner, when it appears, focuses the first
    highlighted field (if any)."""
    return rx.cond(
        message != "",
        rx.box(
            rx.callout(message, color_scheme=tone, width="100%", role="alert" if tone == "red" else "status"),
            on_mount=rx.call_function(_FOCUS_FIRST_INVALID) if tone == "red" else None,
            width="100%",
        ),
    )


def pager(page: rx.Var, pages: rx.Var, go_to: Callable, summary: rx.Component | None = None,
          label: str | rx.Var | None = None) -> rx.Component:
    """Previous / "Page 2 of 5" / Next; `go_to(n)` is the state's page event; `label` names the
    nav landmark (a t(...) Var)."""
    return rx.el.nav(
        rx.flex(
            rx.button(t("Previous"), variant="soft", size="3", disabled=page <= 1, on_click=go_to(page - 1)),
            rx.text(t("Page {page} of {pages}", page=page, pages=rx.cond(pages < 1, 1, pages)), size="2"),
            rx.button(t("Next"), variant="soft", size="3", disabled=page >= pages, on_click=go_to(page + 1)),
            *([summary] if summary is not None else []),
            spacing=BLOCK, align="center", wrap="wrap",
        ),
        aria_label=label if label is not None else t("Pages"),
    )


def form_actions(*buttons: rx.Component) -> rx.Component:
    """The submit row of a form: buttons side by side, wrapping on a phone."""
    return rx.flex(*buttons, spacing=ROW, wrap="wrap", align="center", class_name="pz-actions")


def card_page(*children: rx.Component) -> rx.Component:
    """A centred single card: sign-in, sign-up; fits a 390 px phone."""
    return rx.center(
        rx.el.main(
            rx.card(
                rx.vstack(*children, spacing="4", width="100%", align="stretch"),
                width="100%",
                size="3",
            ),
            style={"width": "100%", "maxWidth": "420px"},
        ),
        min_height="100vh",
        padding="16px",
        background="var(--gray-2)",
    )
