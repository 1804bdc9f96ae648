"""/clients, /clients/new, /clients/[client_id], /clients/[client_id]/edit."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.files import files_block
from pazpaz.components.forms import LABEL_STYLE, banner, field, form_actions, pager
from pazpaz.components.i18n import t, tn
from pazpaz.components.plan import plan_block, timeline_block
from pazpaz.components.shell import shell
from pazpaz.components.theme import empty_state, muted, section
from pazpaz.components.words import appointment_status, note_status
from pazpaz.i18n import N_
from pazpaz.pages.erasure import erasure_card
from pazpaz.pages.reminders import client_reminder_card
from pazpaz.state.clients import ClientListState, ClientState


def _client_row(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.text(row["name"], weight="bold", size="3", min_width="0", overflow_wrap="anywhere"),
                rx.spacer(),
                rx.cond(row["last_visit"] != "", muted(t("Last visit {date}", date=row["last_visit"]), size="1")),
                wrap="wrap", spacing="2", align="center",
            ),
            rx.flex(
                rx.cond(row["phone"] != "", rx.text(row["phone"], size="2")),
                rx.cond(row["email"] != "", muted(row["email"], overflow_wrap="anywhere")),
                wrap="wrap", spacing="3",
            ),
            width="100%",
        ),
        href="/clients/" + row["id"],
        underline="none",
        width="100%",
        color="inherit",
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        field(t("Search clients"), "client-search", rx.input, placeholder=t("Name, email or phone"),
              value=ClientListState.search, on_change=ClientListState.set_search.debounce(300), type="search",
              box_props={"flex": "1 1 220px"}),
        field(t("Sort by"), "client-sort", rx.el.select,
              rx.el.option(t("Name"), value="name"), rx.el.option(t("Last visit"), value="last_visit"),
              value=ClientListState.sort, on_change=ClientListState.set_sort, box_props={"flex": "0 1 180px"}),
        rx.hstack(
            rx.checkbox(id="show-archived", checked=ClientListState.show_archived,
                        on_change=ClientListState.set_show_archived, size="3"),
            rx.el.label(t("Show archived"), html_for="show-archived", style=LABEL_STYLE),
            align="center", min_height="44px",
        ),
        wrap="wrap", spacing="3", width="100%", align="end",
    )


def _new_client_button(label: rx.Var | None = None) -> rx.Component:
    words = label if label is not None else t("New client")
    return rx.link(rx.button(rx.icon("plus", size=16, aria_hidden="true"), words, size="3"), href="/clients/new")


def _empty_list() -> rx.Component:
    searching = (ClientListState.search != "") | ClientListState.show_archived
    return rx.cond(
        searching,
        empty_state(t("No clients match your search. Try another name, email or phone.")),
        empty_state(t("No clients yet. Add your first client to book appointments and write notes."),
                    _new_client_button(t("Add client"))),
    )


def clients_page() -> rx.Component:
    return shell(
        t("Clients"),
        rx.vstack(
            _toolbar(),
            banner(ClientListState.error),
            rx.cond(
                ClientListState.rows.length() > 0,
                rx.vstack(rx.foreach(ClientListState.rows, _client_row), spacing="2", width="100%",
                          id="client-list"),
                _empty_list(),
            ),
            rx.cond(ClientListState.total > 0,
                    pager(ClientListState.page, ClientListState.pages, ClientListState.go_to_page,
                          muted(tn("{count} client", "{count} clients", ClientListState.total)),
                          label=t("Client pages"))),
            spacing="4", width="100%",
        ),
        actions=_new_client_button(),
    )


def _field(label: rx.Var, name: str, input_type: str = "text", **props) -> rx.Component:
    return field(label, name, rx.input, error=ClientState.field_errors.get(name, ""), name=name, type=input_type,
                 default_value=ClientState.client.get(name, ""), **props)


def _area(label: rx.Var, name: str) -> rx.Component:
    return field(label, name, rx.text_area, error=ClientState.field_errors.get(name, ""), name=name,
                 default_value=ClientState.client.get(name, ""), rows="4")


def _client_form(submit_label: rx.Var) -> rx.Component:
    return rx.form(
        rx.vstack(
            banner(ClientState.error),
            rx.grid(
                _field(t("First name"), "first_name", required=True, auto_complete="off"),
                _field(t("Last name"), "last_name", auto_complete="off"),
                _field(t("Email"), "email", "email", auto_complete="off"),
                _field(t("Phone"), "phone", "tel", auto_complete="off"),
                _field(t("Date of birth"), "date_of_birth", "date"),
                _field(t("Emergency contact"), "emergency_contact", auto_complete="off"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%",
            ),
            _area(t("Address"), "address"),
            rx.cond(ClientState.intake_visible, _area(t("Intake and medical notes"), "intake_notes")),
            form_actions(
                rx.button(submit_label, type="submit", size="3", loading=ClientState.saving,
                          disabled=~ClientState.is_hydrated),
                rx.link(rx.button(t("Cancel"), variant="soft", color_scheme="gray", size="3", type="button"),
                        href="/clients"),
            ),
            spacing="4", width="100%",
        ),
        on_submit=ClientState.save,
        key=ClientState.form_key,
        width="100%",
        # The browser's own "fill this in" bubble would hide our highlighted fields.
        no_validate=True,
    )


def _not_found() -> rx.Component:
    return empty_state(t("There is no such client in your practice."),
                       rx.link(rx.button(t("Back to clients"), size="3", variant="soft"), href="/clients"),
                       id="not-found")


def client_new_page() -> rx.Component:
    # Render the form only after load_new has cleared the previous client: inputs take
    # their default values once, at mount.
    return shell(t("New client"), rx.card(rx.cond(ClientState.form_key == "new", _client_form(t("Create client")),
                                               rx.spinner()), width="100%", size="3"))


def client_edit_page() -> rx.Component:
    # The form mounts only once this client is loaded: inputs take default values at mount.
    return shell(t("Edit client"), rx.cond(
        ClientState.not_found, _not_found(),
        rx.card(rx.cond((ClientState.form_key != "") & (ClientState.form_key != "new"),
                        _client_form(t("Save changes")), rx.spinner(aria_label=t("Loading the client"))),
                width="100%", size="3")))


CONTACT = ((N_("Email"), "email"), (N_("Phone"), "phone"), (N_("Date of birth"), "date_of_birth"),
           (N_("Address"), "address"), (N_("Emergency contact"), "emergency_contact"), (N_("Last visit"), "last_visit"))


def _detail_line(label: str, name: str) -> rx.Component:
    return rx.cond(
        ClientState.client.get(name, "") != "",
        rx.vstack(
            muted(t(label), size="1", weight="medium"),
            rx.text(ClientState.client.get(name, ""), size="3", white_space="pre-wrap", overflow_wrap="anywhere"),
            spacing="0", min_width="0",
        ),
    )


def _contact() -> rx.Component:
    known = ClientState.client.get("email", "") != ""
    for _, name in CONTACT[1:]:
        known = known | (ClientState.client.get(name, "") != "")
    return section(
        t("Contact"),
        rx.cond(
            known,
            rx.grid(*[_detail_line(label, name) for label, name in CONTACT],
                    columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
            empty_state(t("No contact details yet."),
                        rx.link(rx.button(t("Add contact details"), size="2", variant="soft"), href=_edit_href())),
        ),
    )


def _edit_href() -> rx.Var:
    return "/clients/" + ClientState.client.get("id", "") + "/edit"


def _book_href() -> rx.Var:
    return "/calendar?book=" + ClientState.client.get("id", "")


def _visit(v: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(v["when"], size="2", weight="medium"), rx.badge(appointment_status(v["status"]), color_scheme="gray"),
        muted(v["service"]),
        spacing="2", wrap="wrap", align="center", padding_y="6px", border_bottom="1px solid var(--gray-4)",
        width="100%",
    )


def _note_row(n: rx.Var) -> rx.Component:
    return rx.link(
        rx.flex(
            rx.text(n["date"], size="2", weight="medium"),
            rx.badge(note_status(n["status"]), color_scheme=rx.cond(n["status"] == "draft", "amber", "green")),
            muted(n["versions_text"], size="1"),
            spacing="2", wrap="wrap", align="center", min_height="44px",
        ),
        href="/notes/" + n["id"], underline="none", color="inherit",
        border_bottom="1px solid var(--gray-4)", width="100%",
    )


def _detail() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.cond(ClientState.archived, rx.badge(t("Archived"), color_scheme="gray", size="2")),
            rx.link(rx.button(rx.icon("calendar-plus", size=16, aria_hidden="true"), t("Book appointment"), size="3"),
                    href=_book_href()),
            rx.link(rx.button(t("Edit"), size="3", variant="soft"), href=_edit_href()),
            rx.cond(
                ClientState.archived,
                rx.button(t("Restore"), variant="soft", size="3", on_click=ClientState.set_archived(False)),
                rx.button(t("Archive"), variant="soft", color_scheme="gray", size="3",
                          on_click=ClientState.set_archived(True)),
            ),
            spacing="2", wrap="wrap", align="center",
        ),
        _contact(),
        client_reminder_card(),
        rx.cond(
            ClientState.intake_visible & (ClientState.client.get("intake_notes", "") != ""),
            section(t("Intake and medical notes"), _detail_line(N_("Notes"), "intake_notes")),
        ),
        section(
            t("Appointments"),
            rx.cond(ClientState.visits.length() > 0,
                    rx.vstack(rx.foreach(ClientState.visits, _visit), spacing="0", width="100%"),
                    empty_state(t("No appointments yet."),
                                rx.link(rx.button(t("Book appointment"), size="2", variant="soft"),
                                        href=_book_href()))),
        ),
        rx.cond(ClientState.intake_visible, section(
            t("Session notes"),
            rx.cond(ClientState.notes.length() > 0,
                    rx.vstack(rx.foreach(ClientState.notes, _note_row), spacing="0", width="100%"),
                    muted(t("No session notes yet. Write one from an appointment, or start one here."))),
            actions=rx.button(t("New note"), size="2", variant="soft", on_click=ClientState.new_note),
        )),
        plan_block(),
        files_block(),
        timeline_block(),
        erasure_card(),
        spacing="4", width="100%",
    )


def client_detail_page() -> rx.Component:
    # The client's name is the page's one h1 (a long name wraps; see app.css .pz-title).
    title = rx.el.span(rx.cond(ClientState.not_found, t("Client not found"), ClientState.client.get("name", "")),
                       id="client-name")
    return shell(title, rx.cond(ClientState.not_found, _not_found(), _detail()))
