"""/notes/[note_id]: write a SOAP note. Drafts autosave; finalized notes are amended."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

from pazpaz.components.files import files_block
from pazpaz.components.forms import banner, field_error
from pazpaz.components.shell import shell
from pazpaz.services.soap_notes import SECTIONS
from pazpaz.state.notes import NoteState

LABEL = {"fontWeight": "600", "fontSize": "0.95rem"}
TITLES = {"subjective": "Subjective", "objective": "Objective", "assessment": "Assessment", "plan": "Plan"}


def _section(name: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(TITLES[name], html_for=f"note-{name}", style=LABEL),
        rx.debounce_input(
            rx.text_area(id=f"note-{name}", value=NoteState.sections[name], rows="5", width="100%", size="3",
                         on_change=lambda value: NoteState.edit(name, value)),
            debounce_timeout=1500,
            force_notify_on_blur=True,
        ),
        field_error(NoteState.field_errors.get(name, ""), f"note-{name}"),
        spacing="1", width="100%",
    )


def _save_state() -> rx.Component:
    return rx.box(
        rx.cond(
            has_connection_errors,
            rx.text("Not saved: reconnecting to the server…", color="var(--red-11)", weight="bold"),
            rx.cond(
                NoteState.stale,
                rx.text("Not saved", color="var(--red-11)", weight="bold"),
                rx.cond(
                NoteState.save_error != "",
                rx.text(NoteState.save_error, color="var(--red-11)", weight="bold"),
                rx.cond(NoteState.saved_at != "", rx.text("Saved ", NoteState.saved_at, color="var(--green-11)")),
                ),
            ),
        ),
        id="save-state", role="status", aria_live="polite", min_height="24px",
    )


def _meta() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.el.label("Session date", html_for="note-date", style=LABEL),
            rx.input(id="note-date", type="date", value=NoteState.session_date,
                     on_change=lambda v: NoteState.set_meta("session_date", v),
                     read_only=NoteState.status != "draft"),
            spacing="1",
        ),
        rx.vstack(
            rx.el.label("Duration (minutes)", html_for="note-duration", style=LABEL),
            rx.debounce_input(rx.input(id="note-duration", type="number", value=NoteState.duration,
                                       on_change=lambda v: NoteState.set_meta("duration", v),
                                       read_only=NoteState.status != "draft"), debounce_timeout=1000),
            spacing="1",
        ),
        spacing="3", wrap="wrap",
    )


def _actions() -> rx.Component:
    return rx.cond(
        NoteState.status == "draft",
        rx.button("Finalize note", size="3", on_click=NoteState.finalize, disabled=NoteState.stale),
        rx.vstack(
            rx.text("This note is finalized. To change it, edit the text and save an amendment with a reason.",
                    size="2", color="var(--gray-11)"),
            rx.el.label("Reason for the amendment", html_for="amend-reason", style=LABEL),
            rx.input(id="amend-reason", value=NoteState.reason, on_change=NoteState.set_reason, width="100%"),
            field_error(NoteState.field_errors.get("reason", ""), "amend-reason"),
            rx.button("Save amendment", size="3", on_click=NoteState.amend, disabled=NoteState.stale),
            spacing="2", width="100%",
        ),
    )


def _goals() -> rx.Component:
    return rx.cond(
        NoteState.goal_choices.length() > 0,
        rx.vstack(
            rx.text("Goals worked on", style=LABEL),
            rx.foreach(NoteState.goal_choices, lambda g: rx.hstack(
                rx.checkbox(id="goal-" + g[0], checked=NoteState.tagged_goals.contains(g[0]),
                            on_change=lambda checked: NoteState.toggle_goal(g[0], checked)),
                rx.el.label(g[1], html_for="goal-" + g[0]),
                align="center")),
            spacing="1", width="100%",
        ),
    )


def _version(version: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(rx.text("Version ", version["number"], weight="bold"), rx.text(version["when"], size="2"),
                spacing="3", wrap="wrap"),
        rx.text("SHA-256 ", version["hash"], size="1", font_family="monospace", overflow_wrap="anywhere"),
        rx.cond(version["reason"] != "", rx.text("Reason: ", version["reason"], size="2")),
        rx.cond(version["diff"] != "", rx.el.pre(version["diff"], style={"whiteSpace": "pre-wrap",
                                                                          "fontSize": "0.8rem", "margin": 0})),
        width="100%",
    )


def _note() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.link(NoteState.client_name, href="/clients/" + NoteState.client_id, weight="bold", size="4"),
            rx.badge(NoteState.status, id="note-status"),
            spacing="3", align="center", wrap="wrap",
        ),
        banner(NoteState.notice, tone="green"),
        rx.cond(NoteState.stale, rx.callout(
            rx.vstack(rx.text(NoteState.save_error),
                      rx.button("Reload the latest version", on_click=NoteState.reload), spacing="2"),
            color_scheme="red", width="100%", role="alert")),
        _save_state(),
        _meta(),
        rx.box(*[_section(name) for name in SECTIONS], key=NoteState.load_key, width="100%",
               style={"display": "flex", "flexDirection": "column", "gap": "12px"}),
        _goals(),
        files_block(),
        _actions(),
        rx.cond(NoteState.versions.length() > 0,
                rx.vstack(rx.heading("History", size="4"), rx.foreach(NoteState.versions, _version),
                          spacing="2", width="100%")),
        spacing="3", width="100%",
    )


def note_page() -> rx.Component:
    return shell(
        "Session note",
        rx.cond(NoteState.not_found,
                rx.vstack(rx.heading("Not found", size="5"), rx.link("Back to clients", href="/clients"),
                          id="not-found"),
                rx.cond(NoteState.load_key != "", _note(), rx.spinner(aria_label="Loading the note"))),
    )
