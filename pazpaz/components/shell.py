"""The signed-in frame: practice name, navigation, sign-out; wraps on a phone."""

from __future__ import annotations

import reflex as rx

from pazpaz.components.i18n import document_language, t
from pazpaz.i18n import N_
from pazpaz.state.session import SessionState

NAV = ((N_("Home"), "/"), (N_("Calendar"), "/calendar"), (N_("Clients"), "/clients"), (N_("Settings"), "/settings"))


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(t(label), href=href, size="3", weight="medium", padding="6px 10px", border_radius="6px",
                   _hover={"background": "var(--gray-4)"})


def _nav() -> rx.Component:
    return rx.el.nav(
        rx.flex(
            *[_nav_link(label, href) for label, href in NAV],
            rx.cond(SessionState.is_owner, _nav_link(N_("Audit log"), "/audit")),
            wrap="wrap",
            gap="1",
        ),
        aria_label="Main",
    )


def _sign_out() -> rx.Component:
    # A real form post (a full navigation): the server revokes the session and clears the
    # HttpOnly cookie. form.submit() skips the preventDefault handler Reflex puts on forms.
    return rx.el.form(
        # Clearing sessionStorage gives the next page a fresh Reflex token, so nothing held
        # for this tab's state survives the sign-out.
        # A function compiled into the page, not a script string: the CSP has no 'unsafe-eval'.
        rx.button(t("Sign out"), type="button", variant="soft", size="2",
                  on_click=rx.call_function(rx.Var(
                      "() => { sessionStorage.clear(); document.getElementById('signout-form').submit(); }"))),
        action="/auth/signout",
        method="post",
        id="signout-form",
    )


def _notice() -> rx.Component:
    """Confirmations ("Client archived.") in a polite live region; app.css fades them out."""
    return rx.el.div(
        rx.cond(
            SessionState.notice != "",
            rx.el.p(SessionState.notice, key=SessionState.notice_id.to_string(), class_name="pz-notice"),
        ),
        role="status",
        aria_live="polite",
        id="notice",
    )


def shell(title: str, *children: rx.Component) -> rx.Component:
    return rx.box(
        document_language(),
        rx.el.header(
            rx.flex(
                rx.vstack(
                    rx.text("PazPaz", weight="bold", size="4"),
                    rx.text(SessionState.workspace_name, size="2", color="var(--gray-11)", id="workspace-name"),
                    spacing="0",
                ),
                rx.spacer(),
                _sign_out(),
                align="center",
                width="100%",
                gap="3",
            ),
            _nav(),
            style={"padding": "12px 16px", "borderBottom": "1px solid var(--gray-5)",
                   "display": "flex", "flexDirection": "column", "gap": "8px"},
        ),
        rx.el.main(
            rx.heading(title, size="6", margin_bottom="12px"),
            _notice(),
            *children,
            style={"padding": "16px", "maxWidth": "1100px", "margin": "0 auto", "width": "100%",
                   "boxSizing": "border-box"},
        ),
        # The page stays blank until the server has confirmed the session.
        display=rx.cond(SessionState.signed_in, "block", "none"),
        min_height="100vh",
        overflow_x="hidden",
    )
