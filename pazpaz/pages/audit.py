"""/audit: the owner's audit log."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import CONTROL_STYLE, LABEL_STYLE, banner
from pazpaz.components.shell import shell
from pazpaz.state.audit import AuditState


def _labelled(label: str, control: rx.Component, field_id: str) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=field_id, style=LABEL_STYLE), control, spacing="1", min_width="0")


def _choice(label: str, field_id: str, options: rx.Var, render) -> rx.Component:
    return _labelled(label, rx.el.select(rx.el.option("Any", value=""), rx.foreach(options, render),
                                         id=field_id, name=field_id, style=CONTROL_STYLE), field_id)


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            _labelled("From", rx.input(id="start", name="start", type="date"), "start"),
            _labelled("To", rx.input(id="end", name="end", type="date"), "end"),
            _choice("User", "user_id", AuditState.users, lambda u: rx.el.option(u[1], value=u[0])),
            _choice("Entity type", "entity_type", AuditState.entity_types, lambda t: rx.el.option(t, value=t)),
            _choice("Action", "action", AuditState.actions, lambda a: rx.el.option(a, value=a)),
            rx.button("Apply filters", type="submit", disabled=~AuditState.is_hydrated),
            spacing="3", wrap="wrap", align="end", width="100%",
        ),
        on_submit=AuditState.apply,
        width="100%",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]), rx.table.cell(row["user"]), rx.table.cell(row["action"]),
        rx.table.cell(row["entity_type"]), rx.table.cell(row["entity_id"], font_size="0.75rem"),
        rx.table.cell(row["ip"]),
    )


def _log() -> rx.Component:
    return rx.vstack(
        _filters(),
        banner(AuditState.error),
        rx.flex(
            rx.text(AuditState.total, " events", size="2"),
            rx.spacer(),
            rx.button("Export CSV", variant="soft", on_click=AuditState.export),
            width="100%", align="center",
        ),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("Time", "User", "Action", "Entity", "Entity id", "IP")])),
                rx.table.body(rx.foreach(AuditState.rows, _row)),
                size="1", width="100%",
            ),
            overflow_x="auto", width="100%",
        ),
        rx.flex(
            rx.button("Previous", variant="soft", disabled=AuditState.page <= 1,
                      on_click=AuditState.go_to_page(AuditState.page - 1)),
            rx.text("Page ", AuditState.page, " of ", AuditState.pages, size="2"),
            rx.button("Next", variant="soft", disabled=AuditState.page >= AuditState.pages,
                      on_click=AuditState.go_to_page(AuditState.page + 1)),
            spacing="3", align="center",
        ),
        spacing="3", width="100%",
    )


def audit_page() -> rx.Component:
    return shell(
        "Audit log",
        rx.cond(AuditState.not_found, rx.vstack(rx.heading("Not found", size="5"), id="not-found"), _log()),
    )
