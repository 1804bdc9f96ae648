"""The page template for signed-in pages: `shell(title, *children)`.

A top bar (practice, navigation, sign-out) on a desktop; on a phone (<= 640 px) the
navigation moves to a bottom tab bar (Today, Calendar, Clients, More). The title is the
page's one h1, inside the `main` landmark. Until the server has confirmed the session the
page shows a skeleton of itself instead of a blank page (the real content stays hidden:
nothing of a signed-out tab's state is shown).
"""

from __future__ import annotations

import reflex as rx

from pazpaz import i18n
from pazpaz.components.i18n import document_language, t
from pazpaz.components.theme import BLOCK, MUTED, TITLE_SIZE
from pazpaz.i18n import N_
from pazpaz.state.session import SessionState

# (label, href, active when the path starts with); the desktop bar and the phone's tabs.
# Labels are msgids, shown through t() in the reader's language (docs/ARCHITECTURE.md, "Translation layer").
NAV = ((N_("Today"), "/", None), (N_("Calendar"), "/calendar", "/calendar"), (N_("Clients"), "/clients", "/clients"),
       (N_("Settings"), "/settings", "/settings"))
TABS = ((N_("Today"), "/", None, "house"), (N_("Calendar"), "/calendar", "/calendar", "calendar"),
        (N_("Clients"), "/clients", "/clients", "users"), (N_("More"), "/more", "/more", "menu"))


def _path() -> rx.Var:
    return SessionState.router.url.path


def _is_current(href: str, prefix: str | None) -> rx.Var:
    path = _path()
    if prefix is None:
        return (path == href) | (path == "")
    return path.startswith(prefix)


def _nav_link(label: str, href: str, prefix: str | None) -> rx.Component:
    current = _is_current(href, prefix)
    return rx.link(t(label), href=href, size="3", weight="medium", class_name="pz-navlink",
                   aria_current=rx.cond(current, "page", "false"), underline="none")


def _desktop_nav() -> rx.Component:
    return rx.el.nav(
        rx.flex(
            *[_nav_link(label, href, prefix) for label, href, prefix in NAV],
            rx.cond(SessionState.is_owner, _nav_link(N_("Audit log"), "/audit", "/audit")),
            wrap="wrap",
            spacing="1",
        ),
        aria_label=t("Main"),
        class_name="pz-desktop-only",
    )


def _tab(label: str, href: str, prefix: str | None, icon: str) -> rx.Component:
    current = _is_current(href, prefix)
    return rx.link(
        rx.icon(icon, size=20, aria_hidden="true"),
        rx.text(t(label), size="1", weight="medium"),
        href=href,
        class_name="pz-tab",
        aria_current=rx.cond(current, "page", "false"),
        underline="none",
    )


def _tab_bar() -> rx.Component:
    return rx.el.nav(
        *[_tab(*tab) for tab in TABS],
        aria_label=t("Tabs"),
        class_name="pz-tabbar pz-phone-only",
    )


def _sign_out() -> rx.Component:
    # A real form post (a full navigation): the server revokes the session and clears the
    # HttpOnly cookie. form.submit() skips the preventDefault handler Reflex puts on forms.
    return rx.el.form(
        # Clearing sessionStorage gives the next page a fresh Reflex token, so nothing held
        # for this tab's state survives the sign-out.
        # A function compiled into the page, not a script string: the CSP has no 'unsafe-eval'.
        rx.button(t("Sign out"), type="button", variant="soft", color_scheme="gray", size="2",
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


def _brand(with_workspace: bool = True) -> rx.Component:
    return rx.vstack(
        rx.link("PazPaz", href="/", weight="bold", size="4", underline="none", color="var(--gray-12)"),
        rx.text(SessionState.workspace_name, size="2", color=MUTED, id="workspace-name",
                class_name="pz-clip") if with_workspace else rx.fragment(),
        spacing="0",
        min_width="0",
    )


def _header(*, live: bool) -> rx.Component:
    return rx.el.header(
        rx.flex(
            _brand(with_workspace=live),
            _desktop_nav() if live else rx.fragment(),
            rx.spacer(),
            _sign_out() if live else rx.fragment(),
            align="center",
            spacing="4",
            width="100%",
            max_width="1100px",
            margin="0 auto",
        ),
        class_name="pz-topbar",
    )


def _words(title: str | rx.Var) -> str | rx.Var:
    """A page title given as a msgid is shown in the reader's language; one not in the catalog
    yet (a page still to be wrapped) is shown as given."""
    return t(title) if isinstance(title, str) and title in i18n.messages(i18n.DEFAULT_LANGUAGE) else title


def page_title(title: str | rx.Var) -> rx.Component:
    return rx.heading(_words(title), as_="h1", size=TITLE_SIZE, id="page-title", class_name="pz-title")


def _skeleton(title: str | rx.Var) -> rx.Component:
    """Shown until the session check returns: the frame and grey placeholders, never a white page."""
    return rx.box(
        _header(live=False),
        rx.el.main(
            page_title(title if isinstance(title, str) else t("Loading…")),
            rx.vstack(
                rx.skeleton(rx.box(height="20px", width="60%")),
                rx.skeleton(rx.box(height="96px", width="100%")),
                rx.skeleton(rx.box(height="96px", width="100%")),
                spacing=BLOCK, width="100%",
            ),
            rx.text(t("Loading…"), class_name="pz-sr-only"),
            class_name="pz-main",
            aria_busy="true",
        ),
        display=rx.cond(SessionState.signed_in, "none", "block"),
        class_name="pz-page",
    )


def shell(title: str | rx.Var, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
    """The signed-in page: `title` is the h1 (a msgid marked N_, or a Var); `actions` (a button or
    two) sit beside it."""
    heading = page_title(title)
    return rx.fragment(
        document_language(),
        rx.el.a(t("Skip to content"), href="#main", class_name="pz-skip"),
        _skeleton(title),
        rx.box(
            _header(live=True),
            rx.el.main(
                rx.flex(heading, rx.spacer(), actions, align="center", spacing=BLOCK, wrap="wrap",
                        width="100%", class_name="pz-titlebar") if actions is not None else heading,
                _notice(),
                *children,
                id="main",
                tab_index=-1,
                class_name="pz-main",
            ),
            _tab_bar(),
            # The page stays hidden until the server has confirmed the session.
            display=rx.cond(SessionState.signed_in, "block", "none"),
            class_name="pz-page",
        ),
    )
