"""Export buttons with progress (client page and Settings), included with one line each."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner
from pazpaz.components.i18n import t
from pazpaz.state.exports import ExportState as X

HINT = {"size": "2", "color": "var(--gray-11)"}


def _progress() -> rx.Component:
    return rx.cond(
        (X.status == "queued") | (X.status == "running"),
        rx.vstack(
            rx.text(t("Preparing the export… {percent}%", percent=X.progress), **HINT, role="status",
                    id="export-progress"),
            rx.progress(value=X.progress, max=100, width="100%"),
            spacing="1", width="100%",
        ),
        rx.cond(X.status == "done",
                rx.button(t("Download the export (link valid 5 minutes)"), on_click=X.download, id="export-download")),
    )


def _card(title: rx.Var, text: rx.Var, button: rx.Var, action) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            rx.text(text, **HINT),
            rx.button(button, variant="soft", on_click=action, disabled=~X.is_hydrated),
            _progress(),
            banner(X.error),
            spacing="2", width="100%",
        ),
        width="100%",
    )


def client_export_card() -> rx.Component:
    return _card(t("Export client record"),
                 t("A zip with a readable PDF (contact details, appointments, every note with its versions, plan "
                 "of care), the same data as JSON, and the client's files (GDPR articles 15 and 20). The "
                 "download is kept for one hour."), t("Export client record"), X.export_client)


def practice_export_card() -> rx.Component:
    return _card(t("Export the whole practice"),
                 t("Every client's record and files, services and locations, the schedule as CSV and iCalendar, "
                 "and the audit log as CSV; the JSON layout is documented in docs/export-schema.json."),
                 t("Export the whole practice"), X.export_practice)
