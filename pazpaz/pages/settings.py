"""/settings: the practice and its team."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner, labelled_input
from pazpaz.components.i18n import t
from pazpaz.components.invitations import pending_invitations
from pazpaz.components.shell import shell
from pazpaz.components.theme import muted, section
from pazpaz.i18n import N_
from pazpaz.pages.api_tokens import api_tokens_section
from pazpaz.pages.backups import backup_settings_section
from pazpaz.pages.calendar_feed import calendar_feed_section
from pazpaz.pages.catalog import catalog_sections
from pazpaz.pages.language import language_section
from pazpaz.pages.reminders import reminder_settings_sections
from pazpaz.state.session import SessionState
from pazpaz.state.team import TeamState


def _member(member: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(member["name"], weight="bold", overflow_wrap="anywhere"),
                rx.text(member["email"], size="2", color="var(--gray-11)", overflow_wrap="anywhere"),
                spacing="0", min_width="0",
            ),
            rx.spacer(),
            rx.badge(member["role_label"]),
            rx.cond(member["active"] == "yes", rx.fragment(), rx.badge(t("Deactivated"), color_scheme="red")),
            rx.cond(member["two_step"] == "yes", rx.badge(t("Two-step on"), color_scheme="green")),
            rx.cond(
                (member["two_step"] == "yes") & (member["is_me"] != "yes"),
                rx.button(t("Reset two-step sign-in"), size="2", variant="soft",
                          on_click=TeamState.reset_two_step(member["id"])),
            ),
            rx.cond(
                member["is_me"] == "yes",
                rx.fragment(),
                rx.cond(
                    member["active"] == "yes",
                    rx.button(t("Deactivate"), size="2", variant="soft", color_scheme="red",
                              on_click=TeamState.set_active(member["id"], False)),
                    rx.button(t("Reactivate"), size="2", variant="soft",
                              on_click=TeamState.set_active(member["id"], True)),
                ),
            ),
            spacing="2", align="center", wrap="wrap",
        ),
        width="100%",
    )


def _invite_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("Invite an assistant"), size="3", as_="h3"),
            rx.text(t("Assistants see clients' contact details and the schedule, never clinical notes. "
                      "Each invitation link works once and expires on the date shown."), size="2",
                    color="var(--gray-11)"),
            rx.flex(
                rx.box(labelled_input(t("Assistant's name"), "invite_name",
                                      error=TeamState.field_errors.get("name", "")), flex="1 1 200px"),
                rx.box(labelled_input(t("Assistant's email"), "invite_email", input_type="email",
                                      error=TeamState.field_errors.get("email", "")), flex="1 1 200px"),
                spacing="3", wrap="wrap", width="100%",
            ),
            rx.button(t("Send invitation"), type="submit", disabled=~TeamState.is_hydrated),
            spacing="3", width="100%",
        ),
        on_submit=TeamState.invite,
        key=TeamState.invite_key,
        width="100%",
    )


def settings_page() -> rx.Component:
    return shell(
        N_("Settings"),
        rx.vstack(
            section(t("Practice"), rx.text(t("Name:"), " ", rx.text.strong(SessionState.workspace_name))),
            section(
                t("Security"),
                rx.text(t("Two-step sign-in, and the devices where you are signed in:"), " ",
                        rx.link(t("Security settings"), href="/settings/security", id="security-link")),
            ),
            calendar_feed_section(),
            language_section(),
            banner(TeamState.error),
            rx.cond(TeamState.can_manage, catalog_sections()),
            rx.cond(
                TeamState.can_manage,
                section(
                    t("Team"),
                    rx.foreach(TeamState.members, _member),
                    pending_invitations(),
                    rx.box(_invite_form(), width="100%", padding_top="8px", border_top="1px solid var(--gray-5)"),
                ),
                muted(t("Only the practice owner manages the team.")),
            ),
            reminder_settings_sections(),
            api_tokens_section(),
            backup_settings_section(),
            spacing="4", width="100%",
        ),
    )
