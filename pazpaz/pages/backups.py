"""Settings > Backups (owner only), included by pages/settings.py with one line."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner
from pazpaz.components.i18n import t
from pazpaz.pages.exports import practice_export_card
from pazpaz.state.backups import BackupStatusState as B

HINT = {"size": "2", "color": "var(--gray-11)"}


def backup_settings_section() -> rx.Component:
    return rx.box(
        rx.cond(
            B.visible,
            rx.card(
                rx.vstack(
                    rx.heading(t("Backups"), size="4", as_="h2"),
                    rx.text(t("Last successful backup:"), " ", rx.text.strong(B.last_backup), id="backup-last"),
                    rx.cond(B.warning != "",
                            rx.callout(B.warning, color_scheme="red", role="alert", width="100%",
                                       id="backup-warning")),
                    rx.text(B.schedule, **HINT),
                    rx.text(t("A backup opens only with this installation's secrets (data/secrets.json or the "
                              "PAZPAZ_* values) and data/erasures.json: keep a copy of them somewhere safe, apart "
                              "from the backups."), **HINT),
                    spacing="2", width="100%",
                ),
                width="100%",
            ),
        ),
        rx.cond(B.visible, rx.box(practice_export_card(), margin_top="16px")),
        banner(B.error),
        on_mount=B.load, width="100%",
    )
