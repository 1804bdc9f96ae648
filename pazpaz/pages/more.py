"""/more: the phone's fourth tab, everything that is not Today, Calendar or Clients."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.shell import shell
from pazpaz.components.theme import MUTED
from pazpaz.state.session import SessionState


def _item(label: str, href: str, hint: str) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.vstack(rx.text(label, weight="medium", size="3"), rx.text(hint, size="2", color=MUTED),
                          spacing="0", min_width="0"),
                rx.spacer(),
                rx.icon("chevron-right", aria_hidden="true", color=MUTED, class_name="pz-mirror"),
                align="center", spacing="3", width="100%",
            ),
            width="100%",
        ),
        href=href, underline="none", color="inherit", width="100%",
    )


def more_page() -> rx.Component:
    return shell(
        "More",
        rx.vstack(
            _item("Settings", "/settings", "Practice, services, locations, team, reminders"),
            _item("Security", "/settings/security", "Two-step sign-in and your devices"),
            rx.cond(SessionState.is_owner, _item("Audit log", "/audit", "Who saw or changed what, and when")),
            spacing="2", width="100%",
        ),
    )
