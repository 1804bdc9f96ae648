"""/notes/[note_id]: write a SOAP note. Drafts autosave; finalized notes are amended."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

from pazpaz.components.files import files_block
from pazpaz.components.forms import banner, field, form_actions
from pazpaz.components.i18n import t
from pazpaz.components.shell import shell
from pazpaz.components.theme import MUTED, empty_state, muted, section, subsection_title
from pazpaz.components.words import note_status
from pazpaz.services.soap_notes import SECTIONS
from pazpaz.state.notes import SECTION_TITLES, NoteState

LABEL = {"fontWeight": "600", "fontSize": "0.95rem"}


def _section(name: str) -> rx.Component:
    return field(
        t(SECTION_TITLES[name]), f"note-{name}", rx.text_area,
        error=NoteState.field_errors.get(name, ""),
        wrap=lambda control: rx.debounce_input(control, debounce_timeout=1500, force_notify_on_blur=True),
        value=NoteState.sections[name], rows="5",
        on_change=lambda value: NoteState.edit(name, value),
    )


def _document_section(name: str) -> rx.Component:
    """A finalized note's section as text: it reads as a record, not as a form."""
    return rx.vstack(
        subsection_title(t(SECTION_TITLES[name])),
        rx.cond(NoteState.sections[name] != "",
                rx.text(NoteState.sections[name], size="3", class_name="pz-doc-section", dir="auto"),
                muted(t("Nothing recorded."))),
        spacing="1", width="100%",
    )


def _save_state() -> rx.Component:
    return rx.box(
        rx.cond(
            has_connection_errors,
            rx.text(t("Not saved: reconnecting to the server…"), color="var(--red-11)", weight="bold"),
            rx.cond(
                NoteState.stale,
                rx.text(t("Not saved"), color="var(--red-11)", weight="bold"),
                rx.cond(
                NoteState.save_error != "",
                rx.text(NoteState.save_error, color="var(--red-11)", weight="bold"),
                rx.cond(NoteState.saved_at != "",
                        rx.text(t("Saved {time}", time=NoteState.saved_at), color="var(--green-11)")),
                ),
            ),
        ),
        id="save-state", role="status", aria_live="polite",
    )


def _meta() -> rx.Component:
    return rx.grid(
        field(t("Session date"), "note-date", rx.input, type="date", value=NoteState.session_date,
              on_change=lambda v: NoteState.set_meta("session_date", v)),
        field(t("Duration (minutes)"), "note-duration", rx.input, type="number",
              wrap=lambda control: rx.debounce_input(control, debounce_timeout=1000),
              value=NoteState.duration, on_change=lambda v: NoteState.set_meta("duration", v)),
        columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%", max_width="480px",
    )


def _meta_text() -> rx.Component:
    return rx.flex(
        rx.text(rx.text.strong(t("Session date")), " ",
                rx.cond(NoteState.session_date_text != "", NoteState.session_date_text, "—"), size="2"),
        rx.text(rx.text.strong(t("Duration")), " ",
                rx.cond(NoteState.duration != "", t("{minutes} min", minutes=NoteState.duration), "—"), size="2"),
        spacing="4", wrap="wrap",
    )


def _finalize() -> rx.Component:
    """Finalizing cannot be undone (only amended): ask first."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(t("Finalize note"), size="3", disabled=NoteState.stale)),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("Finalize this note?")),
            rx.alert_dialog.description(
                t("A finalized note is locked. Later changes are saved as amendments, each with a reason, "
                  "and every version stays in the history."), size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t("Keep editing"), variant="soft", color_scheme="gray", size="3")),
                rx.alert_dialog.action(rx.button(t("Finalize"), size="3", on_click=NoteState.finalize)),
                spacing="3", justify="end", wrap="wrap", margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def _amend_form() -> rx.Component:
    return rx.vstack(
        field(t("Reason for the amendment"), "amend-reason", rx.input,
              error=NoteState.field_errors.get("reason", ""),
              hint=t("Required. It is kept with the new version in the note's history."),
              value=NoteState.reason, on_change=NoteState.set_reason),
        form_actions(
            rx.button(t("Save amendment"), size="3", on_click=NoteState.amend, disabled=NoteState.stale),
            rx.button(t("Cancel"), size="3", variant="soft", color_scheme="gray", on_click=NoteState.reload),
        ),
        spacing="3", width="100%",
    )


def _actions() -> rx.Component:
    return rx.cond(
        NoteState.status == "draft",
        form_actions(_finalize()),
        rx.cond(NoteState.amending, _amend_form(), rx.fragment()),
    )


def _goals() -> rx.Component:
    return rx.cond(
        NoteState.goal_choices.length() > 0,
        rx.vstack(
            rx.text(t("Goals worked on"), style=LABEL),
            rx.foreach(NoteState.goal_choices, lambda g: rx.hstack(
                rx.checkbox(id="goal-" + g[0], checked=NoteState.tagged_goals.contains(g[0]),
                            on_change=lambda checked: NoteState.toggle_goal(g[0], checked)),
                rx.el.label(g[1], html_for="goal-" + g[0]),
                align="center")),
            spacing="1", width="100%",
        ),
    )


def _segment(segment: rx.Var) -> rx.Component:
    return rx.match(segment["op"],
                    ("insert", rx.el.ins(segment["text"], class_name="pz-diff-insert")),
                    ("delete", rx.el.del_(segment["text"], class_name="pz-diff-delete")),
                    rx.el.span(segment["text"]))


def _field_diff(item: rx.Var) -> rx.Component:
    return rx.box(rx.text(item["title"], weight="bold", size="2"),
                  rx.el.p(rx.foreach(item["segments"], _segment), style={"whiteSpace": "pre-wrap", "margin": 0}),
                  class_name="pz-diff")


def _version(version: rx.Var) -> rx.Component:
    return rx.el.details(
        rx.el.summary(
            rx.text(t("Version {number}", number=version["number"]), weight="bold", as_="span"),
            rx.text(" · ", version["when"], as_="span", size="2"),
            rx.cond(version["reason"] != "",
                    rx.text(" · ", t("Reason: {reason}", reason=version["reason"]), as_="span", size="2")),
        ),
        rx.vstack(
            rx.cond(version["kind"] == "file_removed",
                    rx.text(t("File removed: {name}", name=version["file"]), size="2")),
            rx.foreach(version["diff"], _field_diff),
            rx.text("SHA-256 ", version["hash"], size="1", font_family="monospace", overflow_wrap="anywhere",
                    color=MUTED),
            spacing="2", padding_top="8px", width="100%",
        ),
        class_name="pz-details",
        # Keyed by version: a new version must not inherit the open/closed state of the one
        # that used to sit at its position.
        key=version["number"],
        style={"borderTop": "1px solid var(--gray-5)", "padding": "8px 0"},
    )


def _editable() -> rx.Component:
    return rx.vstack(
        rx.cond(NoteState.status == "draft", _meta(), _meta_text()),
        rx.box(*[_section(name) for name in SECTIONS], key=NoteState.load_key, width="100%",
               style={"display": "flex", "flexDirection": "column", "gap": "16px"}),
        spacing="4", width="100%",
    )


def _document() -> rx.Component:
    return rx.vstack(
        rx.flex(
            _meta_text(),
            rx.spacer(),
            rx.button(t("Amend"), size="3", variant="soft", on_click=NoteState.set_amending(True)),
            align="center", spacing="3", wrap="wrap", width="100%",
        ),
        *[_document_section(name) for name in SECTIONS],
        spacing="4", width="100%",
    )


def _note() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.link(NoteState.client_name, href="/clients/" + NoteState.client_id, weight="bold", size="4",
                    overflow_wrap="anywhere"),
            rx.badge(note_status(NoteState.status), id="note-status", size="2",
                     color_scheme=rx.cond(NoteState.status == "draft", "amber", "green")),
            _save_state(),
            spacing="3", align="center", wrap="wrap",
        ),
        banner(NoteState.notice, tone="green"),
        rx.cond(NoteState.stale, rx.callout(
            rx.vstack(rx.text(NoteState.save_error),
                      rx.button(t("Reload the latest version"), on_click=NoteState.reload), spacing="2"),
            color_scheme="red", width="100%", role="alert")),
        rx.card(
            rx.vstack(
                rx.cond((NoteState.status == "draft") | NoteState.amending, _editable(), _document()),
                _actions(),
                spacing="4", width="100%",
            ),
            width="100%", size="3",
        ),
        _goals(),
        files_block(),
        rx.cond(NoteState.versions.length() > 0,
                section(t("History"), rx.box(rx.foreach(NoteState.versions, _version), width="100%"))),
        spacing="4", width="100%",
    )


def note_page() -> rx.Component:
    return shell(
        t("Session note"),
        rx.cond(NoteState.not_found,
                empty_state(t("There is no such note in your practice."),
                            rx.link(rx.button(t("Back to clients"), size="3", variant="soft"), href="/clients"),
                            id="not-found"),
                rx.cond(NoteState.load_key != "", _note(), rx.spinner(aria_label=t("Loading the note")))),
    )
