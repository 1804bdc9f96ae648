"""The sessions card list (Settings > Security): one card per signed-in device."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner
from pazpaz.components.i18n import t
from pazpaz.state.sessions import SessionsState


def _session(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(
                    rx.text(item["device"], weight="bold"),
                    rx.cond(item["current"] == "yes", rx.badge(t("This device"), color_scheme="green")),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.text(t("Network {ip}", ip=item["ip"]), size="2", color="var(--gray-11)", overflow_wrap="anywhere"),
                rx.text(t("Signed in {signed_in} · last active {last_active}", signed_in=item["signed_in"],
                          last_active=item["last_active"]),
                        size="2", color="var(--gray-11)"),
                spacing="1", min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                item["current"] == "yes",
                rx.fragment(),
                rx.button(t("Sign out"), size="1", variant="soft", color_scheme="red",
                          aria_label=t("Sign out {device}", device=item["device"].to(str)),
                          on_click=SessionsState.sign_out_session(item["id"])),
            ),
            spacing="2", align="center", wrap="wrap",
        ),
        width="100%",
        class_name="pz-session",
    )


def sessions_section() -> rx.Component:
    """Where you are signed in; loads itself when shown, so any page can include it in one line."""
    return rx.vstack(
        rx.heading(t("Where you are signed in"), size="3", as_="h3"),
        rx.text(t("Every browser signed in to your account. The network is approximate, not an exact address."),
                size="2", color="var(--gray-11)"),
        banner(SessionsState.error),
        rx.foreach(SessionsState.sessions, _session),
        rx.button(t("Sign out everywhere else"), variant="soft", color_scheme="red",
                  disabled=SessionsState.others == 0, on_click=SessionsState.sign_out_others),
        spacing="3", width="100%", id="sessions", on_mount=SessionsState.load,
    )
