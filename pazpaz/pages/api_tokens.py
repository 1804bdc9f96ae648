"""Settings > API tokens (included by pages/settings.py)."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import LABEL_STYLE, banner, field, labelled_input
from pazpaz.components.i18n import t
from pazpaz.i18n import N_
from pazpaz.state.api_tokens import ApiTokenState


def _token(token: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(token["name"], weight="bold", overflow_wrap="anywhere"),
                rx.text(t("Created {created} · expires {expires} · last used {last_used}", created=token["created"],
                          expires=token["expires"], last_used=token["last_used"]), size="2", color="var(--gray-11)"),
                spacing="0", min_width="0",
            ),
            rx.spacer(),
            rx.badge(token["scope_label"]),
            rx.cond(token["state"] == "active",
                    rx.button(t("Revoke"), size="1", variant="soft", color_scheme="red",
                              on_click=ApiTokenState.revoke(token["id"])),
                    rx.badge(token["state_label"], color_scheme="gray")),
            spacing="2", align="center", wrap="wrap",
        ),
        width="100%",
    )


def _select(label: rx.Var, field_id: str, options: list[tuple[str, str]], default: str) -> rx.Component:
    """`options`: (value submitted, msgid shown)."""
    return field(label, field_id, rx.el.select, *(rx.el.option(t(text), value=value) for value, text in options),
                 error=ApiTokenState.field_errors.get(field_id.removeprefix("token_"), ""), name=field_id,
                 default_value=default, box_props={"flex": "1 1 160px"})


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("New token"), size="3", as_="h3"),
            rx.flex(
                rx.box(labelled_input(t("Token name"), "token_name", error=ApiTokenState.field_errors.get("name", "")),
                       flex="1 1 200px"),
                _select(t("Access"), "token_scope", [("read", N_("Read only")), ("read-write", N_("Read and write"))],
                        "read"),
                _select(t("Expires after"), "token_expiry",
                        [("30", N_("30 days")), ("90", N_("90 days")), ("365", N_("365 days")), ("never", N_("Never"))],
                        "90"),
                gap="12px", wrap="wrap", width="100%",
            ),
            rx.button(t("Create token"), type="submit", disabled=~ApiTokenState.is_hydrated),
            spacing="3", width="100%",
        ),
        on_submit=ApiTokenState.create,
        key=ApiTokenState.form_key,
        width="100%",
    )


def _new_token() -> rx.Component:
    return rx.cond(
        ApiTokenState.new_token != "",
        rx.callout(
            rx.vstack(
                rx.text(t("Copy this token now: it is shown only once. Send it as "
                          "'Authorization: Bearer <token>' to /api/v1.")),
                rx.el.label(t("Your new token"), html_for="new_token", style=LABEL_STYLE),
                rx.input(id="new_token", dir="ltr", value=ApiTokenState.new_token, read_only=True, width="100%"),
                rx.button(t("I have copied it"), size="1", variant="soft", on_click=ApiTokenState.dismiss),
                spacing="2", width="100%",
            ),
            color_scheme="green", width="100%", role="status",
        ),
    )


def api_tokens_section() -> rx.Component:
    return rx.vstack(
        rx.heading(t("API tokens"), size="4", as_="h2"),
        rx.text(t("Personal access tokens let another program use PazPaz as you, through /api/v1 "
                  "(documentation at /api/v1/docs). Revoke a token you no longer use."),
                size="2", color="var(--gray-11)"),
        banner(ApiTokenState.error),
        _new_token(),
        rx.foreach(ApiTokenState.tokens, _token),
        rx.card(_form(), width="100%"),
        spacing="3", width="100%",
        on_mount=ApiTokenState.load,
    )
