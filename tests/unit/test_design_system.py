"""Rules of the design system that a code scan can hold (docs/ARCHITECTURE.md "Design system and
page template"): spacing that renders, heading levels, and the AA contrast of the colours app.css sets."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "pazpaz").rglob("*.py"))


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            yield node


def test_no_unitless_gap():
    """`gap="3"` compiles to the CSS `gap: 3` (invalid, so no gap at all): use spacing="3"."""
    found = []
    for path in SOURCES:
        for call in _calls(path):
            for keyword in call.keywords:
                if (keyword.arg == "gap" and isinstance(keyword.value, ast.Constant)
                        and re.fullmatch(r"\d+", str(keyword.value.value))):
                    found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not found, "unitless gap= (renders no gap): " + ", ".join(found)


def test_every_heading_says_its_level():
    """rx.heading renders an h1 unless told: the page title (the shell) is the only h1."""
    found = []
    for path in SOURCES:
        for call in _calls(path):
            if ast.unparse(call.func) == "rx.heading" and not any(k.arg == "as_" for k in call.keywords):
                found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not found, "rx.heading without as_=: " + ", ".join(found)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _app_css_colour(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", (ROOT / "assets" / "app.css").read_text())
    assert match, f"--{name} is not set in assets/app.css"
    return match.group(1)


# Radix light steps the overrides sit on (step 3: soft button / badge / callout backgrounds).
SOFT_BACKGROUNDS = {"green": "#e6f6eb", "orange": "#ffefd6", "amber": "#fff7c2", "red": "#feebec"}


@pytest.mark.parametrize("scale", sorted(SOFT_BACKGROUNDS))
def test_status_text_meets_aa_on_its_soft_background_and_on_white(scale):
    text = _app_css_colour(f"{scale}-a11")
    assert contrast(text, SOFT_BACKGROUNDS[scale]) >= 4.5
    assert contrast(text, "#ffffff") >= 4.5


@pytest.mark.parametrize("scale", ["green", "red"])
def test_white_on_solid_buttons_meets_aa(scale):
    assert contrast("#ffffff", _app_css_colour(f"{scale}-9")) >= 4.5
    assert contrast("#ffffff", _app_css_colour(f"{scale}-10")) >= 4.5


def test_the_accent_meets_aa():
    from pazpaz.components import theme

    # Radix indigo: step 9 (solid buttons, white text), step 11 on step 3 (soft buttons, badges).
    assert theme.ACCENT == "indigo", "a new accent needs its contrast measured here"
    assert contrast("#ffffff", "#3e63dd") >= 4.5
    assert contrast("#3a5bc7", "#edf2fe") >= 4.5
    assert contrast("#60646c", "#ffffff") >= 4.5  # slate 11, muted text
    assert contrast("#0090ff", "#ffffff") < 4.5  # why not Radix blue (3.26:1)
