"""/clients, /clients/new, /clients/[client_id], /clients/[client_id]/edit."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.files import files_block
from pazpaz.components.forms import LABEL_STYLE, banner, field_error
from pazpaz.components.plan import plan_block, timeline_block
from pazpaz.components.shell import shell
from pazpaz.pages.erasure import erasure_card
from pazpaz.pages.reminders import client_reminder_card
from pazpaz.state.clients import ClientListState, ClientState


def _client_row(row: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.text(row["name"], weight="bold", size="3", min_width="0", overflow_wrap="anywhere"),
                rx.spacer(),
                rx.cond(row["last_visit"] != "", rx.text("Last visit ", row["last_visit"], size="1",
                                                          color="var(--gray-11)")),
                wrap="wrap", spacing="2", align="center",
            ),
            rx.flex(
                rx.cond(row["phone"] != "", rx.text(row["phone"], size="2")),
                rx.cond(row["email"] != "", rx.text(row["email"], size="2", color="var(--gray-11)",
                                                    overflow_wrap="anywhere")),
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
        rx.vstack(
            rx.el.label("Search clients", html_for="client-search", style=LABEL_STYLE),
            rx.input(id="client-search", placeholder="Name, email or phone", value=ClientListState.search,
                     on_change=ClientListState.set_search.debounce(300), width="100%", size="3", type="search"),
            spacing="1", flex="1 1 220px", min_width="0",
        ),
        rx.vstack(
            rx.el.label("Sort by", html_for="client-sort", style=LABEL_STYLE),
            rx.el.select(
                rx.el.option("Name", value="name"),
                rx.el.option("Last visit", value="last_visit"),
                id="client-sort", value=ClientListState.sort, on_change=ClientListState.set_sort,
                style={"padding": "9px", "borderRadius": "6px", "border": "1px solid var(--gray-7)",
                       "background": "white", "fontSize": "1rem"},
            ),
            spacing="1",
        ),
        rx.hstack(
            rx.checkbox(id="show-archived", checked=ClientListState.show_archived,
                        on_change=ClientListState.set_show_archived),
            rx.el.label("Show archived", html_for="show-archived", style=LABEL_STYLE),
            align="center", padding_top="24px",
        ),
        wrap="wrap", spacing="3", width="100%", align="start",
    )


def _pager() -> rx.Component:
    return rx.flex(
        rx.button("Previous", variant="soft", disabled=ClientListState.page <= 1,
                  on_click=ClientListState.go_to_page(ClientListState.page - 1)),
        rx.text("Page ", ClientListState.page, " of ", ClientListState.pages, " · ", ClientListState.total,
                " clients", size="2"),
        rx.button("Next", variant="soft", disabled=ClientListState.page >= ClientListState.pages,
                  on_click=ClientListState.go_to_page(ClientListState.page + 1)),
        spacing="3", align="center", wrap="wrap",
    )


def clients_page() -> rx.Component:
    return shell(
        "Clients",
        rx.vstack(
            rx.link(rx.button("New client", size="3"), href="/clients/new"),
            _toolbar(),
            banner(ClientListState.error),
            rx.cond(
                ClientListState.rows.length() > 0,
                rx.vstack(rx.foreach(ClientListState.rows, _client_row), spacing="2", width="100%",
                          id="client-list"),
                rx.text("No clients match.", color="var(--gray-11)"),
            ),
            _pager(),
            spacing="4", width="100%",
        ),
    )


def _field(label: str, name: str, input_type: str = "text", **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        rx.input(id=name, name=name, type=input_type, default_value=ClientState.client.get(name, ""),
                 width="100%", size="3", **props),
        field_error(ClientState.field_errors.get(name, ""), name),
        spacing="1", width="100%", align="stretch",
    )


def _area(label: str, name: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        rx.text_area(id=name, name=name, default_value=ClientState.client.get(name, ""), width="100%",
                     rows="4", size="3"),
        field_error(ClientState.field_errors.get(name, ""), name),
        spacing="1", width="100%", align="stretch",
    )


def _client_form(submit_label: str) -> rx.Component:
    return rx.form(
        rx.vstack(
            banner(ClientState.error),
            rx.grid(
                _field("First name", "first_name", required=True, auto_complete="off"),
                _field("Last name", "last_name", auto_complete="off"),
                _field("Email", "email", "email", auto_complete="off"),
                _field("Phone", "phone", "tel", auto_complete="off"),
                _field("Date of birth", "date_of_birth", "date"),
                _field("Emergency contact", "emergency_contact", auto_complete="off"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%",
            ),
            _area("Address", "address"),
            rx.cond(ClientState.intake_visible, _area("Intake and medical notes", "intake_notes")),
            rx.hstack(
                rx.button(submit_label, type="submit", size="3", loading=ClientState.saving,
                          disabled=~ClientState.is_hydrated),
                rx.link(rx.button("Cancel", variant="soft", size="3", type="button"), href="/clients"),
            ),
            spacing="4", width="100%",
        ),
        on_submit=ClientState.save,
        key=ClientState.form_key,
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.heading("Not found", size="5"),
        rx.text("There is no such client in your practice."),
        rx.link("Back to clients", href="/clients"),
        id="not-found",
    )


def client_new_page() -> rx.Component:
    # Render the form only after load_new has cleared the previous client: inputs take
    # their default values once, at mount.
    return shell("New client", rx.cond(ClientState.form_key == "new", _client_form("Create client"),
                                       rx.spinner()))


def client_edit_page() -> rx.Component:
    # The form mounts only once this client is loaded: inputs take default values at mount.
    return shell("Edit client", rx.cond(
        ClientState.not_found, _not_found(),
        rx.cond((ClientState.form_key != "") & (ClientState.form_key != "new"), _client_form("Save changes"),
                rx.spinner(aria_label="Loading the client"))))


def _detail_line(label: str, name: str) -> rx.Component:
    return rx.cond(
        ClientState.client.get(name, "") != "",
        rx.vstack(
            rx.text(label, size="1", color="var(--gray-11)", weight="medium"),
            rx.text(ClientState.client.get(name, ""), size="3", white_space="pre-wrap", overflow_wrap="anywhere"),
            spacing="0",
        ),
    )


def _detail() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(ClientState.client.get("name", ""), size="6", id="client-name"),
            rx.cond(ClientState.archived, rx.badge("Archived", color_scheme="gray")),
            spacing="3", align="center", wrap="wrap",
        ),
        rx.flex(
            rx.link(rx.button("Edit", size="2"), href="/clients/" + ClientState.client.get("id", "") + "/edit"),
            rx.cond(
                ClientState.archived,
                rx.button("Restore", variant="soft", size="2", on_click=ClientState.set_archived(False)),
                rx.button("Archive", variant="soft", color_scheme="gray", size="2",
                          on_click=ClientState.set_archived(True)),
            ),
            spacing="2",
        ),
        rx.card(
            rx.heading("Contact", size="3"),
            rx.grid(
                _detail_line("Email", "email"), _detail_line("Phone", "phone"),
                _detail_line("Date of birth", "date_of_birth"), _detail_line("Address", "address"),
                _detail_line("Emergency contact", "emergency_contact"), _detail_line("Last visit", "last_visit"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%", margin_top="8px",
            ),
            width="100%",
        ),
        client_reminder_card(),
        rx.cond(
            ClientState.intake_visible,
            rx.card(rx.heading("Intake and medical notes", size="3"),
                    _detail_line("Notes", "intake_notes"), width="100%"),
        ),
        rx.card(
            rx.heading("Appointments", size="3"),
            rx.cond(ClientState.visits.length() > 0,
                    rx.vstack(rx.foreach(ClientState.visits, lambda v: rx.flex(
                        rx.text(v["when"], size="2"), rx.badge(v["status"]), rx.text(v["service"], size="2"),
                        spacing="2", wrap="wrap")), spacing="1"),
                    rx.text("No appointments yet.", size="2", color="var(--gray-11)")),
            width="100%",
        ),
        rx.cond(ClientState.intake_visible, rx.card(
            rx.flex(rx.heading("Session notes", size="3"), rx.spacer(),
                    rx.button("New note", size="1", on_click=ClientState.new_note), width="100%"),
            rx.vstack(rx.foreach(ClientState.notes, lambda n: rx.link(rx.flex(
                rx.text(n["date"], size="2"), rx.badge(n["status"]), rx.text(n["versions"], " version(s)", size="1"),
                spacing="2", wrap="wrap"), href="/notes/" + n["id"])), spacing="1", margin_top="6px"),
            width="100%",
        )),
        plan_block(),
        files_block(),
        timeline_block(),
        erasure_card(),
        spacing="3", width="100%",
    )


def client_detail_page() -> rx.Component:
    return shell("Client", rx.cond(ClientState.not_found, _not_found(), _detail()))
