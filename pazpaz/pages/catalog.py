"""Settings sections for services and locations."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner, field
from pazpaz.state.catalog import CatalogState


def _field(label: str, field_id: str, default: rx.Var, error: rx.Var, input_type: str = "text") -> rx.Component:
    return field(label, field_id, rx.el.input, error=error, name=field_id, type=input_type, default_value=default,
                 box_props={"flex": "1 1 160px"})


def _toggle(item: rx.Var, handler) -> rx.Component:
    return rx.cond(
        item["active"] == "yes",
        rx.button("Deactivate", size="1", variant="soft", color_scheme="gray", on_click=handler(item["id"], False)),
        rx.button("Activate", size="1", variant="soft", on_click=handler(item["id"], True)),
    )


def _service_row(service: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(service["name"], weight="bold"),
        rx.text(service["duration"], " min", size="2"),
        rx.cond(service["price"] != "", rx.text(service["price"], size="2")),
        rx.cond(service["active"] == "yes", rx.fragment(), rx.badge("Inactive", color_scheme="gray")),
        rx.spacer(),
        rx.button("Edit", size="1", variant="soft", on_click=CatalogState.edit_service(service)),
        _toggle(service, CatalogState.set_service_active),
        spacing="2", align="center", wrap="wrap", width="100%",
    )


def _location_row(location: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(location["name"], weight="bold"),
        rx.badge(location["kind"]),
        rx.text(location["address"], size="2", overflow_wrap="anywhere"),
        rx.cond(location["active"] == "yes", rx.fragment(), rx.badge("Inactive", color_scheme="gray")),
        rx.spacer(),
        rx.button("Edit", size="1", variant="soft", on_click=CatalogState.edit_location(location)),
        _toggle(location, CatalogState.set_location_active),
        spacing="2", align="center", wrap="wrap", width="100%",
    )


def services_section() -> rx.Component:
    f, e = CatalogState.service_form, CatalogState.service_errors
    return rx.card(
        rx.vstack(
            rx.heading("Services", size="4", as_="h2"),
            rx.foreach(CatalogState.services, _service_row),
            rx.form(
                rx.flex(
                    _field("Service name", "service_name", f.get("name", ""), e.get("name", "")),
                    _field("Duration (minutes)", "service_duration", f.get("duration", "60"),
                           e.get("duration_minutes", ""), "number"),
                    _field("Price (optional)", "service_price", f.get("price", ""), e.get("price", "")),
                    rx.button(rx.cond(f.get("id", "") != "", "Save service", "Add service"), type="submit"),
                    spacing="3", wrap="wrap", align="end", width="100%",
                ),
                on_submit=CatalogState.save_service, key=CatalogState.service_key, width="100%",
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def locations_section() -> rx.Component:
    f, e = CatalogState.location_form, CatalogState.location_errors
    return rx.card(
        rx.vstack(
            rx.heading("Locations", size="4", as_="h2"),
            rx.foreach(CatalogState.locations, _location_row),
            rx.form(
                rx.flex(
                    _field("Location name", "location_name", f.get("name", ""), e.get("name", "")),
                    field("Type", "location_kind", rx.el.select, rx.el.option("Clinic", value="clinic"),
                          rx.el.option("Home visit", value="home"), rx.el.option("Online", value="online"),
                          error=e.get("kind", ""), name="location_kind", default_value=f.get("kind", "clinic"),
                          box_props={"flex": "1 1 140px"}),
                    _field("Address", "location_address", f.get("address", ""), e.get("address", "")),
                    _field("Video link", "location_video", f.get("video_link", ""), e.get("video_link", "")),
                    rx.button(rx.cond(f.get("id", "") != "", "Save location", "Add location"), type="submit"),
                    spacing="3", wrap="wrap", align="end", width="100%",
                ),
                on_submit=CatalogState.save_location, key=CatalogState.location_key, width="100%",
            ),
            rx.text("A home visit without an address uses the client's address.", size="1",
                    color="var(--gray-11)"),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def catalog_sections() -> rx.Component:
    return rx.vstack(banner(CatalogState.message), services_section(), locations_section(), spacing="3",
                     width="100%")
