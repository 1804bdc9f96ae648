"""Settings section: the calendar feed link for a phone's calendar."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.forms import LABEL_STYLE, banner
from pazpaz.components.i18n import t
from pazpaz.i18n import N_
from pazpaz.state.calendar_feed import FeedState

WARNING = N_("Calendar apps, and the services that sync them (iCloud, Google), are not end-to-end encrypted: "
           "they can read the times and places in your feed, including home-visit addresses. With this on, "
           "they also see your clients' full names.")


def _new_link() -> rx.Component:
    return rx.cond(
        FeedState.feed_url != "",
        rx.vstack(
            rx.el.label(t("Your feed link"), html_for="feed-url", style=LABEL_STYLE),
            rx.el.input(id="feed-url", value=FeedState.feed_url, read_only=True, aria_describedby="feed-url-hint",
                        style={"width": "100%", "padding": "9px", "borderRadius": "6px",
                               "border": "1px solid var(--gray-7)", "fontFamily": "monospace",
                               "fontSize": "0.85rem", "boxSizing": "border-box"}, dir="ltr"),
            rx.text(t("Copy it now into your phone's calendar (\"Add subscribed calendar\" or \"From URL\"). "
                      "It is shown only this once: PazPaz keeps only a fingerprint of it."),
                    id="feed-url-hint", size="2", color="var(--gray-11)"),
            spacing="1", width="100%",
        ),
    )


def _full_names_switch() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.switch(id="feed-full-names", checked=FeedState.full_names, on_change=FeedState.set_full_names,
                      aria_describedby="feed-full-names-warning"),
            rx.el.label(t("Show clients' full names in the feed"), html_for="feed-full-names", style=LABEL_STYLE),
            spacing="2", align="center",
        ),
        rx.text(t(WARNING), id="feed-full-names-warning", size="2", color="var(--amber-11)"),
        spacing="1", width="100%",
    )


def calendar_feed_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Calendar feed"), size="4", as_="h2"),
            rx.text(t("Subscribe to your schedule from your phone's calendar: the last 30 days and the next 90, "
                      "with times, places and a link back to PazPaz. Titles show clients' initials unless you "
                      "switch full names on below; notes are never included."), size="2", color="var(--gray-11)"),
            rx.text(t("The link is secret: anyone who has it can read your schedule. If it may have leaked, "
                      "regenerate it; the old one stops working at once."), size="2", color="var(--gray-11)"),
            banner(FeedState.feed_error),
            rx.cond(
                FeedState.feed_active,
                rx.vstack(
                    rx.text(t("Feed link active since {date}.", date=FeedState.feed_created), id="feed-status"),
                    _new_link(),
                    _full_names_switch(),
                    rx.flex(
                        rx.button(t("Regenerate link"), variant="soft", on_click=FeedState.issue_feed,
                                  disabled=~FeedState.is_hydrated),
                        rx.button(t("Turn off"), variant="soft", color_scheme="red", on_click=FeedState.turn_off_feed,
                                  disabled=~FeedState.is_hydrated),
                        spacing="2", wrap="wrap",
                    ),
                    spacing="3", width="100%",
                ),
                rx.cond(
                    FeedState.feed_loaded,
                    rx.button(t("Create feed link"), on_click=FeedState.issue_feed, disabled=~FeedState.is_hydrated),
                ),
            ),
            spacing="3", width="100%",
        ),
        width="100%",
        on_mount=FeedState.load_feed,
    )
