"""The signed-in pages of the foundation: home and the sections later issues fill."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.shell import shell
from pazpaz.pages.reminders import cancellation_badge
from pazpaz.state.session import SessionState


def home_page() -> rx.Component:
    return shell(
        "Home",
        rx.text("Welcome, ", rx.text.strong(SessionState.user_name), ".", id="welcome"),
        rx.text("You are signed in to ", rx.text.strong(SessionState.workspace_name), "."),
        cancellation_badge(link=True),
    )
