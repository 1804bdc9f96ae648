"""UI of issue 11 (reminders, daily agenda, scheduled jobs), included by other pages with one
line each: Settings (reminder_settings_sections), the client page (client_reminder_card),
the calendar (cancellation_badge)."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import LABEL_STYLE, banner, field, field_error
from pazpaz.components.i18n import t, tn
from pazpaz.state.clients import ClientState
from pazpaz.state.reminders import CancellationBadgeState, ClientReminderState, ReminderSettingsState

S = ReminderSettingsState
HINT = {"size": "2", "color": "var(--gray-11)"}


def _field(label: rx.Var, field_id: str, default: rx.Var, error_key: str, input_type: str = "text",
           **props) -> rx.Component:
    return field(label, field_id, rx.el.input, error=S.field_errors.get(error_key, ""), name=field_id,
                 type=input_type, default_value=default, box_props={"flex": "1 1 160px"}, **props)


def _checkbox(label: rx.Var, field_id: str, checked: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", id=field_id, name=field_id, default_checked=checked,
                    style={"width": "18px", "height": "18px"}),
        label,
        html_for=field_id,
        style={"display": "flex", "gap": "8px", "alignItems": "center"},
    )


def _offset(option: rx.Var) -> rx.Component:
    field_id = "offset_" + option["value"]
    return rx.el.label(
        rx.el.input(type="checkbox", id=field_id, name=field_id, default_checked=option["checked"] == "yes",
                    style={"width": "18px", "height": "18px"}),
        option["label"],
        html_for=field_id,
        style={"display": "flex", "gap": "6px", "alignItems": "center"},
    )


def _reminders_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("Client reminders"), size="4", as_="h2"),
                rx.text(t("Clients with an email address get a reminder with Confirm and Cancel links. "
                          "Nothing is sent during quiet hours: a reminder due then goes out when they end, "
                          "if that is still before the appointment."), **HINT),
                _checkbox(t("Send reminders"), "reminders_enabled", S.reminders_enabled),
                rx.text(t("When"), style=LABEL_STYLE),
                rx.flex(rx.foreach(S.offsets, _offset), spacing="4", wrap="wrap"),
                field_error(S.field_errors.get("offsets", ""), "offsets"),
                rx.flex(
                    _field(t("Sender name (optional)"), "sender_name", S.sender_name, "sender_name",
                           placeholder=t("Your practice's name")),
                    _field(t("Clients may cancel online until (hours before)"), "cancel_window", S.cancel_window,
                           "cancel_window_hours", "number", min="0", max="168"),
                    spacing="3", wrap="wrap", width="100%",
                ),
                field(t("Message (optional)"), "reminder_message", rx.el.textarea,
                      error=S.field_errors.get("message", ""), name="reminder_message", default_value=S.message,
                      rows="3"),
                rx.flex(
                    _field(t("Quiet hours from"), "quiet_start", S.quiet_start, "quiet_start", "time"),
                    _field(t("Quiet hours until"), "quiet_end", S.quiet_end, "quiet_end", "time"),
                    spacing="3", wrap="wrap", width="100%",
                ),
                rx.button(t("Save reminder settings"), type="submit", disabled=~S.is_hydrated),
                spacing="3", width="100%",
            ),
            on_submit=S.save_reminders, key=S.form_key + "-reminders", width="100%",
        ),
        width="100%",
    )


def _agenda_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("Daily agenda by email"), size="4", as_="h2"),
                rx.text(t("Tomorrow's appointments, with times, places and video links, mailed to you each "
                          "evening."), **HINT),
                _checkbox(t("Email me tomorrow's agenda"), "agenda_enabled", S.agenda_enabled),
                rx.box(_field(t("At (hour, 0-23, practice time)"), "agenda_hour", S.agenda_hour, "hour", "number",
                              min="0", max="23"), max_width="260px"),
                _checkbox(t("Write clients' full names (otherwise initials)"), "agenda_full_names",
                          S.agenda_full_names),
                rx.text(t("Email is not end-to-end encrypted: with full names on, your mail provider can read "
                          "who you see and when."), size="2", color="var(--amber-11)", id="agenda-names-warning"),
                rx.button(t("Save agenda settings"), type="submit", disabled=~S.is_hydrated),
                spacing="3", width="100%",
            ),
            on_submit=S.save_agenda, key=S.form_key + "-agenda", width="100%",
        ),
        width="100%",
    )


def _job_row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(rx.text(row["label"], weight="bold"), rx.spacer(),
                rx.cond(row["error"] != "", rx.badge(t("Last error"), color_scheme="red"),
                        rx.cond(row["never_run"] == "yes", rx.badge(t("Not run yet"), color_scheme="gray"),
                                rx.badge(t("OK"), color_scheme="green"))), width="100%", align="center"),
        rx.text(t("Last run: {last_run} · last success: {last_success}", last_run=row["last_run"],
                  last_success=row["last_success"]), **HINT),
        rx.cond(row["result"] != "", rx.text(row["result"], **HINT)),
        rx.cond(row["error"] != "", rx.text(t("Last error: {error}", error=row["error"]), size="2",
                                            color="var(--red-11)")),
        spacing="1", width="100%",
    )


def _jobs_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Scheduled jobs"), size="4", as_="h2"),
            rx.text(t("Work PazPaz does on its own. A failed run is retried with growing pauses."), **HINT),
            rx.foreach(S.job_rows, _job_row),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def reminder_settings_sections() -> rx.Component:
    return rx.vstack(
        banner(S.error),
        rx.cond(S.can_manage, _reminders_card()),
        _agenda_card(),
        rx.cond(S.can_manage, _jobs_card()),
        spacing="4", width="100%", on_mount=S.load, id="reminder-settings",
    )


def client_reminder_card() -> rx.Component:
    """Shown once the client page knows its client; re-mounted (and re-loaded) per client."""
    C = ClientReminderState
    client_id = ClientState.client.get("id", "")
    return rx.cond(client_id != "", rx.box(rx.card(
        rx.flex(
            rx.vstack(
                rx.heading(t("Reminders"), size="4", as_="h2"),
                rx.text(C.reminder_text, size="2", id="client-reminder-status"),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                C.has_email,
                rx.cond(C.opted_out,
                        rx.button(t("Send reminders"), size="1", variant="soft", on_click=C.set_opt_out(False)),
                        rx.button(t("No reminders for this client"), size="1", variant="soft", color_scheme="gray",
                                  on_click=C.set_opt_out(True))),
            ),
            spacing="3", align="center", wrap="wrap", width="100%",
        ),
        banner(C.error),
        width="100%",
    ), key=client_id, on_mount=C.load(client_id), width="100%"))


def cancellation_badge(link: bool = False) -> rx.Component:
    """The count of unseen client cancellations (calendar; home with a link to the calendar)."""
    B = CancellationBadgeState
    return rx.box(
        rx.cond(
            B.unseen > 0,
            rx.callout(
                rx.flex(
                    rx.text(tn("{count} appointment cancelled by clients through a reminder link.",
                               "{count} appointments cancelled by clients through a reminder link.", B.unseen),
                            id="client-cancellations"),
                    rx.link(t("Open the calendar"), href="/calendar", size="2") if link else rx.fragment(),
                    rx.button(t("Mark as seen"), size="1", variant="soft", on_click=B.mark_seen),
                    spacing="3", align="center", wrap="wrap",
                ),
                color_scheme="amber", width="100%", role="status",
            ),
        ),
        on_mount=B.load, width="100%",
    )
