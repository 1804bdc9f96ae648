"""Pending invitations on Settings > Team: who was invited, until when, Resend / Revoke."""

from __future__ import annotations

import reflex as rx

from pazpaz.state.team import TeamState


def _invitation(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(item["name"], weight="bold", overflow_wrap="anywhere"),
                rx.text(item["email"], size="2", color="var(--gray-11)", overflow_wrap="anywhere"),
                rx.cond(
                    item["expired"] == "yes",
                    rx.text("Expired ", item["expires"], size="2", color="var(--red-11)"),
                    rx.text("Valid until ", item["expires"], size="2", color="var(--gray-11)"),
                ),
                spacing="0", min_width="0",
            ),
            rx.spacer(),
            rx.badge("Invited", color_scheme="amber"),
            rx.button("Resend", size="1", variant="soft", aria_label="Resend invitation to " + item["name"].to(str),
                      on_click=TeamState.resend_invitation(item["id"])),
            rx.button("Revoke", size="1", variant="soft", color_scheme="red",
                      aria_label="Revoke invitation to " + item["name"].to(str),
                      on_click=TeamState.revoke_invitation(item["id"])),
            spacing="2", align="center", wrap="wrap",
        ),
        width="100%",
        class_name="pz-invitation",
    )


def pending_invitations() -> rx.Component:
    return rx.cond(
        TeamState.invitations.length() > 0,
        rx.vstack(
            rx.heading("Pending invitations", size="3", as_="h3"),
            rx.foreach(TeamState.invitations, _invitation),
            spacing="2", width="100%", id="invitations",
        ),
    )
