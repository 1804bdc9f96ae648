"""Pending invitations on Settings > Team: who was invited, until when, Resend / Revoke."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.i18n import t
from pazpaz.state.team import TeamState


def _invitation(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(item["name"], weight="bold", overflow_wrap="anywhere"),
                rx.text(item["email"], size="2", color="var(--gray-11)", overflow_wrap="anywhere"),
                rx.cond(
                    item["expired"] == "yes",
                    rx.text(t("Expired {date}", date=item["expires"]), size="2", color="var(--red-11)"),
                    rx.text(t("Valid until {date}", date=item["expires"]), size="2", color="var(--gray-11)"),
                ),
                spacing="0", min_width="0",
            ),
            rx.spacer(),
            rx.badge(t("Invited"), color_scheme="amber"),
            rx.button(t("Resend"), size="1", variant="soft",
                      aria_label=t("Resend invitation to {name}", name=item["name"].to(str)),
                      on_click=TeamState.resend_invitation(item["id"])),
            rx.button(t("Revoke"), size="1", variant="soft", color_scheme="red",
                      aria_label=t("Revoke invitation to {name}", name=item["name"].to(str)),
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
            rx.heading(t("Pending invitations"), size="3", as_="h3"),
            rx.foreach(TeamState.invitations, _invitation),
            spacing="2", width="100%", id="invitations",
        ),
    )
