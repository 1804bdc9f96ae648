"""Settings sections for services and locations."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner, field
from pazpaz.components.i18n import t
from pazpaz.state.catalog import CatalogState


def _field(label: rx.Var, field_id: str, default: rx.Var, error: rx.Var, input_type: str = "text") -> rx.Component:
    return field(label, field_id, rx.el.input, error=error, name=field_id, type=input_type, default_value=default,
                 box_props={"flex": "1 1 160px"})


def _toggle(item: rx.Var, handler) -> rx.Component:
    return rx.cond(
        item["active"] == "yes",
        rx.button(t("Deactivate"), size="1", variant="soft", color_scheme="gray",
                  on_click=handler(item["id"], False)),
        rx.button(t("Activate"), size="1", variant="soft", on_click=handler(item["id"], True)),
    )


def _service_row(service: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(service["name"], weight="bold"),
        rx.text(t("{minutes} min", minutes=service["duration"]), size="2"),
        rx.cond(service["price"] != "", rx.text(service["price"], size="2")),
        rx.cond(service["active"] == "yes", rx.fragment(), rx.badge(t("Inactive"), color_scheme="gray")),
        rx.spacer(),
        rx.button(t("Edit"), size="1", variant="soft", on_click=CatalogState.edit_service(service)),
        _toggle(service, CatalogState.set_service_active),
        spacing="2", align="center", wrap="wrap", width="100%",
    )


def _location_row(location: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(location["name"], weight="bold"),
        rx.badge(location["kind_label"]),
        rx.text(location["address"], size="2", overflow_wrap="anywhere"),
        rx.cond(location["active"] == "yes", rx.fragment(), rx.badge(t("Inactive"), color_scheme="gray")),
        rx.spacer(),
        rx.button(t("Edit"), size="1", variant="soft", on_click=CatalogState.edit_location(location)),
        _toggle(location, CatalogState.set_location_active),
        spacing="2", align="center", wrap="wrap", width="100%",
    )


def services_section() -> rx.Component:
    f, e = CatalogState.service_form, CatalogState.service_errors
    return rx.card(
        rx.vstack(
            rx.heading(t("Services"), size="4", as_="h2"),
            rx.foreach(CatalogState.services, _service_row),
            rx.form(
                rx.flex(
                    _field(t("Service name"), "service_name", f.get("name", ""), e.get("name", "")),
                    _field(t("Duration (minutes)"), "service_duration", f.get("duration", "60"),
                           e.get("duration_minutes", ""), "number"),
                    _field(t("Price (optional)"), "service_price", f.get("price", ""), e.get("price", "")),
                    rx.button(rx.cond(f.get("id", "") != "", t("Save service"), t("Add service")), type="submit"),
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
            rx.heading(t("Locations"), size="4", as_="h2"),
            rx.foreach(CatalogState.locations, _location_row),
            rx.form(
                rx.flex(
                    _field(t("Location name"), "location_name", f.get("name", ""), e.get("name", "")),
                    field(t("Type"), "location_kind", rx.el.select, rx.el.option(t("Clinic"), value="clinic"),
                          rx.el.option(t("Home visit"), value="home"), rx.el.option(t("Online"), value="online"),
                          error=e.get("kind", ""), name="location_kind", default_value=f.get("kind", "clinic"),
                          box_props={"flex": "1 1 140px"}),
                    _field(t("Address"), "location_address", f.get("address", ""), e.get("address", "")),
                    _field(t("Video link"), "location_video", f.get("video_link", ""), e.get("video_link", "")),
                    rx.button(rx.cond(f.get("id", "") != "", t("Save location"), t("Add location")), type="submit"),
                    spacing="3", wrap="wrap", align="end", width="100%",
                ),
                on_submit=CatalogState.save_location, key=CatalogState.location_key, width="100%",
            ),
            rx.text(t("A home visit without an address uses the client's address."), size="1",
                    color="var(--gray-11)"),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def catalog_sections() -> rx.Component:
    return rx.vstack(banner(CatalogState.message), services_section(), locations_section(), spacing="3",
                     width="100%")
