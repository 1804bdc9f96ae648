"""/more: the phone's fourth tab, everything that is not Today, Calendar or Clients."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.i18n import t
from pazpaz.components.shell import shell
from pazpaz.components.theme import MUTED
from pazpaz.i18n import N_
from pazpaz.state.session import SessionState


def _item(label: str, href: str, hint: str) -> rx.Component:
    """`label` and `hint` are msgids."""
    return rx.link(
        rx.card(
            rx.flex(
                rx.vstack(rx.text(t(label), weight="medium", size="3"), rx.text(t(hint), size="2", color=MUTED),
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
        N_("More"),
        rx.vstack(
            _item(N_("Settings"), "/settings", N_("Practice, services, locations, team, reminders")),
            _item(N_("Security"), "/settings/security", N_("Two-step sign-in and your devices")),
            rx.cond(SessionState.is_owner,
                    _item(N_("Audit log"), "/audit", N_("Who saw or changed what, and when"))),
            spacing="2", width="100%",
        ),
    )
