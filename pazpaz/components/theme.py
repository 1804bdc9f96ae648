"""The one theme: colours, radius, type scale and spacing every page uses.

Contrast (WCAG AA needs 4.5:1 for text) was measured for each pair we show; the numbers are
in docs/ARCHITECTURE.md "Design system and page template". Radix's indigo keeps white on the
solid accent at 5.2:1 and the accent text on its soft background at 5.4:1; the status scales
whose text is too light on their soft backgrounds (green, orange, amber) and the solid
red/green buttons are darkened in assets/app.css.
"""

from __future__ import annotations

import reflex as rx

ACCENT = "indigo"
GRAY = "slate"
RADIUS = "medium"

# Type scale (Radix size steps): one page title, section titles, sub-sections, body, small.
TITLE_SIZE = "7"
SECTION_SIZE = "5"
SUBSECTION_SIZE = "3"
BODY_SIZE = "3"
SMALL_SIZE = "2"
MUTED = "var(--gray-11)"  # 5.9:1 on white

# Spacing: Radix steps ("1".."9") through `spacing=` on rx.flex / rx.hstack / rx.vstack /
# rx.grid, never `gap="3"` (it compiles to an invalid unitless CSS gap; see docs/ARCHITECTURE.md "Design system").
TIGHT = "1"
ROW = "2"
BLOCK = "3"
SECTION = "5"

# The phone layout (bottom tab bar, full-width buttons) applies at and below this width;
# assets/app.css uses the same number.
PHONE_MAX_PX = 640


def theme() -> rx.Component:
    return rx.theme(accent_color=ACCENT, gray_color=GRAY, radius=RADIUS, appearance="light", has_background=True)


def section_title(text: rx.Var | str, **props) -> rx.Component:
    """A section's h2 (the page title is the only h1, given by the shell)."""
    return rx.heading(text, as_="h2", size=SECTION_SIZE, **props)


def subsection_title(text: rx.Var | str, **props) -> rx.Component:
    return rx.heading(text, as_="h3", size=SUBSECTION_SIZE, **props)


def muted(*children, **props) -> rx.Component:
    return rx.text(*children, size=props.pop("size", SMALL_SIZE), color=MUTED, **props)


def section(title: rx.Var | str, *children: rx.Component, actions: rx.Component | None = None,
            **props) -> rx.Component:
    """A titled card: the unit every page is made of."""
    header = rx.flex(section_title(title), rx.spacer(), actions, align="center", spacing=ROW, wrap="wrap",
                     width="100%") if actions is not None else section_title(title)
    return rx.card(
        rx.vstack(header, *children, spacing=BLOCK, width="100%", align="stretch"),
        width="100%",
        size="2",
        **props,
    )


def empty_state(message: rx.Var | str, action: rx.Component | None = None, **props) -> rx.Component:
    """What a blank list says: what is missing, and the button that fixes it (callers pass t(...))."""
    return rx.vstack(
        rx.text(message, size=BODY_SIZE, weight="medium"),
        *([action] if action is not None else []),
        spacing=ROW,
        align="start",
        padding="16px",
        border="1px dashed var(--gray-7)",
        border_radius="var(--radius-3)",
        width="100%",
        class_name="pz-empty",
        **props,
    )
