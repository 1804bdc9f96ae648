"""/audit: the owner's audit log: who did what to which record, and when."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner, field, pager
from pazpaz.components.i18n import t
from pazpaz.components.shell import shell
from pazpaz.components.theme import empty_state, muted
from pazpaz.i18n import N_
from pazpaz.state.audit import AuditState

COLUMNS = (N_("When"), N_("Who"), N_("What"), N_("Record"), N_("IP address"))


def _choice(label: rx.Var, field_id: str, options: rx.Var, render) -> rx.Component:
    return field(label, field_id, rx.el.select, rx.el.option(t("Any"), value=""), rx.foreach(options, render),
                 name=field_id, box_props={"flex": "1 1 160px"})


def _filters() -> rx.Component:
    # A From date after the To date is refused by the state (state/audit.py) in AuditState.error.
    return rx.form(
        rx.flex(
            field(t("From"), "start", rx.input, name="start", type="date",
                  error=AuditState.field_errors.get("start", ""), box_props={"flex": "1 1 150px"}),
            field(t("To"), "end", rx.input, name="end", type="date", error=AuditState.field_errors.get("end", ""),
                  box_props={"flex": "1 1 150px"}),
            _choice(t("User"), "user_id", AuditState.users, lambda u: rx.el.option(u[1], value=u[0])),
            _choice(t("Entity type"), "entity_type", AuditState.entity_choices,
                    lambda e: rx.el.option(e[1], value=e[0])),
            _choice(t("Action"), "action", AuditState.action_choices, lambda a: rx.el.option(a[1], value=a[0])),
            rx.button(t("Apply filters"), type="submit", size="3", disabled=~AuditState.is_hydrated),
            spacing="3", wrap="wrap", align="end", width="100%",
        ),
        on_submit=AuditState.apply,
        width="100%",
        no_validate=True,
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(row["when"], style={"whiteSpace": "nowrap"}),
        rx.el.td(row["who"]),
        rx.el.td(row["what"]),
        rx.el.td(row["record"]),
        rx.el.td(row["ip"], style={"whiteSpace": "nowrap"}),
    )


def _table() -> rx.Component:
    # A scrolling region must be reachable by keyboard (tabindex 0) and named. A plain table:
    # Radix's Table wraps itself in a scroll area that can't take focus.
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[rx.el.th(t(h), scope="col") for h in COLUMNS])),
            rx.el.tbody(rx.foreach(AuditState.rows, _row)),
            class_name="pz-table",
        ),
        overflow_x="auto", width="100%", tab_index=0, role="region", aria_label=t("Audit events"),
        class_name="pz-scroll",
    )


def _log() -> rx.Component:
    return rx.vstack(
        rx.card(_filters(), width="100%"),
        banner(AuditState.error),
        rx.flex(
            muted(AuditState.total_text, id="audit-count"),
            rx.spacer(),
            rx.button(t("Export CSV"), variant="soft", size="3", on_click=AuditState.export),
            width="100%", align="center", spacing="3",
        ),
        rx.cond(AuditState.rows.length() > 0, _table(),
                empty_state(t("No events match these filters. Widen the dates or choose \"Any\"."))),
        pager(AuditState.page, AuditState.pages, AuditState.go_to_page, label=t("Audit log pages")),
        spacing="4", width="100%",
    )


def audit_page() -> rx.Component:
    return shell(
        N_("Audit log"),
        rx.cond(AuditState.not_found,
                empty_state(t("The audit log is for the practice owner."), id="not-found"), _log()),
    )
