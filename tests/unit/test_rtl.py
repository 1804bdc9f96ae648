"""Right-to-left rules a code scan can hold (docs/ARCHITECTURE.md "Translation layer"): logical
CSS properties only, pointing icons mirror, typed text takes its own direction, and the calendar's
locale, direction and first day follow the language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import reflex as rx

from pazpaz import i18n
from pazpaz.components.forms import text_direction
from pazpaz.components.fullcalendar import LOCALE_MODULES, first_day, localised

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "pazpaz").rglob("*.py"))
CSS = [*sorted((ROOT / "assets").glob("*.css")), ROOT / "pazpaz" / "api" / "pages.py"]
PHYSICAL_CSS = re.compile(r"(?:margin|padding|border|inset)-(?:left|right)\b|(?<![\w-])(?:left|right)\s*:"
                          r"|(?:text-align|float|clear)\s*:\s*(?:left|right)\b")
PHYSICAL_PROPS = {f"{box}_{side}" for box in ("margin", "padding", "border") for side in ("left", "right")} | {
    "left", "right", "ml", "mr", "pl", "pr"}
PHYSICAL_KEYS = {f"{box}{side}" for box in ("margin", "padding", "border") for side in ("Left", "Right")} | {
    "left", "right"}
POINTING_ICON = re.compile(r"(?:chevron|arrow|chevrons)-(?:left|right)|(?:^|-)(?:undo|redo)(?:-|$)")


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            yield node


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_css_uses_logical_properties():
    """left/right do not mirror in Hebrew: inline-start/inline-end, inset-inline, text-align: start."""
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in CSS for number, line in enumerate(path.read_text().splitlines(), 1)
             if PHYSICAL_CSS.search(line)]
    assert not found, "physical left/right in CSS:\n" + "\n".join(found)


def test_components_use_logical_properties():
    found = []
    for path in SOURCES:
        for call in _calls(path):
            for keyword in call.keywords:
                if keyword.arg in PHYSICAL_PROPS:
                    found.append(_where(path, call.lineno) + f" {keyword.arg}=")
                if (keyword.arg in ("text_align", "float", "justify", "justify_content")
                        and isinstance(keyword.value, ast.Constant) and keyword.value.value in ("left", "right")):
                    found.append(_where(path, call.lineno) + f" {keyword.arg}={keyword.value.value!r}")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                for key in node.keys:
                    if isinstance(key, ast.Constant) and key.value in PHYSICAL_KEYS:
                        found.append(_where(path, node.lineno) + f" {{{key.value!r}: ...}}")
    assert not found, "physical left/right (use start/end, inline-start/inline-end): " + ", ".join(found)


def test_pointing_icons_mirror_in_rtl():
    """A chevron or arrow points the reading direction: it carries .pz-mirror (flipped under dir=rtl)."""
    found = []
    for path in SOURCES:
        for call in _calls(path):
            if (ast.unparse(call.func) == "rx.icon" and call.args and isinstance(call.args[0], ast.Constant)
                    and POINTING_ICON.search(str(call.args[0].value))):
                classes = next((k.value for k in call.keywords if k.arg == "class_name"), None)
                if not (isinstance(classes, ast.Constant) and "pz-mirror" in str(classes.value)):
                    found.append(_where(path, call.lineno))
    assert not found, "pointing icon without class_name='pz-mirror': " + ", ".join(found)


def test_typed_text_takes_its_own_direction():
    assert text_direction(rx.text_area, None) == "auto"
    assert text_direction(rx.el.textarea, None) == "auto"
    assert text_direction(rx.input, None) == "auto"
    assert text_direction(rx.el.input, "text") == "auto"
    for kind in ("email", "url", "tel", "number", "time", "date", "datetime-local"):
        assert text_direction(rx.input, kind) == "ltr", kind
    assert text_direction(rx.el.input, "checkbox") is None
    assert text_direction(rx.el.select, None) is None


def test_calendar_week_starts_as_the_locale_says():
    assert first_day("en") == 1  # en_GB: Monday
    assert first_day("he") == 0  # he_IL: Sunday


def test_calendar_options_follow_the_language():
    english, hebrew = localised("en"), localised("he")
    assert (english["locale"], english["direction"]) == ("en-GB", "ltr")
    assert english["buttonText"]["list"] == "Agenda"
    assert hebrew["direction"] == "rtl" and "he" in LOCALE_MODULES
    for key, msgid in (("today", "Today"), ("list", "Agenda"), ("prev", "Previous"), ("next", "Next")):
        assert hebrew["buttonText"][key] == i18n.gettext("he", msgid) != msgid
    assert hebrew["buttonHints"]["prev"].count("$0") == 1
    for language in i18n.LANGUAGES:  # every language has a calendar (its Babel locale decides the first day)
        assert localised(language)["direction"] == i18n.direction(language)
