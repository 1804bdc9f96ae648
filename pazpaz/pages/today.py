"""/ (Today): the day's appointments with the next one marked, free time, drafts to finish,
and a first-run checklist while the practice is new. Layout stays plain: the design system
(components/shell.py) gives it its look."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import banner
from pazpaz.components.i18n import t
from pazpaz.components.shell import shell
from pazpaz.i18n import N_
from pazpaz.pages.reminders import cancellation_badge
from pazpaz.state.session import SessionState
from pazpaz.state.today import TodayState


def _external(label: rx.Var, href: rx.Var, aria_label: rx.Var | str) -> rx.Component:
    # A new tab, and neither the opener nor the referrer leaves PazPaz.
    return rx.el.a(label, href=href, target="_blank", rel="noopener noreferrer", aria_label=aria_label,
                   class_name="pz-today-link")


def _checklist_item(item: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.cond(
            item["done"],
            rx.text(rx.el.span("\u2713 ", aria_hidden="true"), item["label"], " ", rx.el.span(t("(done)")),
                    color="var(--green-11)", size="2"),
            rx.link(item["label"], href=item["href"], size="2"),
        ),
        data_done=rx.cond(item["done"], "true", "false"),
        id="checklist-" + item["key"],
    )


def _checklist() -> rx.Component:
    return rx.cond(
        TodayState.checklist.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading(t("Set up your practice"), as_="h2", size="4"),
                rx.text(t("Services and locations come first; then add a client and book. {progress}.",
                          progress=TodayState.checklist_text), size="2", color="var(--gray-11)"),
                rx.el.ul(rx.foreach(TodayState.checklist, _checklist_item),
                         style={"margin": 0, "paddingInlineStart": "1.2em", "display": "flex",
                                "flexDirection": "column", "gap": "6px"}),
                spacing="2", width="100%",
            ),
            id="first-run", width="100%",
        ),
    )


def _where(item: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.cond(item["address"] != "",
                rx.flex(rx.text(item["address"], size="2"),
                        rx.cond(item["map_url"] != "",
                                _external(t("Open in maps"), item["map_url"],
                                          t("Open {address} in maps", address=item["address"]))),
                        spacing="2", wrap="wrap", align="center")),
        rx.cond(item["video_url"] != "",
                _external(t("Join the video call"), item["video_url"],
                          t("Join the video call with {name}", name=item["client_name"]))),
        rx.cond((item["location_kind"] == "clinic") & (item["location_name"] != ""),
                rx.text(item["location_name"], size="2")),
    )


def _appointment(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(item["time"], weight="bold", class_name="pz-today-time"),
                rx.cond(item["is_next"], rx.badge(t("Next"), color_scheme="green", id="today-next")),
                rx.badge(item["status_label"], variant="surface"),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.link(item["client_name"], href="/clients/" + item["client_id"], weight="medium"),
            rx.cond(item["service"] != "", rx.text(item["service"], size="2", color="var(--gray-11)")),
            _where(item),
            spacing="1", width="100%",
        ),
        width="100%",
        class_name=rx.cond(item["is_next"], "pz-today-appointment pz-today-next", "pz-today-appointment"),
        style=rx.cond(item["is_next"], {"outline": "2px solid var(--green-9)"}, {}),
        opacity=rx.cond(item["is_past"] & ~item["is_next"], "0.75", "1"),
    )


def _schedule() -> rx.Component:
    return rx.vstack(
        rx.flex(rx.heading(t("Appointments"), as_="h2", size="4"),
                rx.text(TodayState.appointments_text, size="2", color="var(--gray-11)", id="today-count"),
                spacing="3", align="baseline", wrap="wrap"),
        rx.cond(
            TodayState.appointments.length() > 0,
            rx.vstack(rx.foreach(TodayState.appointments, _appointment), spacing="2", width="100%",
                      id="today-appointments"),
            rx.flex(rx.text(t("Nothing booked today."), size="2"),
                    rx.link(t("Book an appointment"), href="/calendar", size="2", id="today-book"),
                    spacing="2", wrap="wrap", id="today-empty"),
        ),
        rx.cond(
            TodayState.gaps.length() > 0,
            rx.vstack(rx.heading(t("Free time"), as_="h3", size="3"),
                      rx.el.ul(rx.foreach(TodayState.gaps, lambda g: rx.el.li(rx.text(g["text"], size="2"))),
                               style={"margin": 0, "paddingInlineStart": "1.2em"}),
                      spacing="1", width="100%", id="today-gaps"),
        ),
        spacing="2", width="100%",
    )


def _draft(item: rx.Var) -> rx.Component:
    return rx.el.li(rx.link(item["client_name"], href=item["href"], size="2"),
                    rx.cond(item["date"] != "", rx.text.span(" \u00b7 ", item["date"], size="2")))


def _drafts() -> rx.Component:
    # Clinical content: the owner's only (the service gives an assistant none).
    return rx.cond(
        SessionState.is_owner,
        rx.vstack(
            rx.flex(rx.heading(t("Notes to finish"), as_="h2", size="4"),
                    rx.text(TodayState.drafts_text, size="2", color="var(--gray-11)"),
                    spacing="3", align="baseline", wrap="wrap"),
            rx.cond(TodayState.drafts.length() > 0,
                    rx.el.ul(rx.foreach(TodayState.drafts, _draft), id="today-drafts",
                             style={"margin": 0, "paddingInlineStart": "1.2em"}),
                    rx.text(t("No notes waiting. A note opened from an appointment stays here until you "
                              "finalize it."), size="2", color="var(--gray-11)")),
            spacing="2", width="100%",
        ),
    )


def today_page() -> rx.Component:
    return shell(
        N_("Today"),
        rx.vstack(
            rx.text(t("Welcome, {name}.", name=SessionState.user_name), id="welcome"),
            rx.text(TodayState.day_text, size="2", color="var(--gray-11)", id="today-date"),
            banner(TodayState.error),
            cancellation_badge(link=True),
            rx.cond(
                TodayState.loaded,
                rx.vstack(_checklist(), _schedule(), _drafts(), spacing="5", width="100%"),
                rx.spinner(aria_label=t("Loading today")),
            ),
            spacing="3", width="100%",
        ),
    )
