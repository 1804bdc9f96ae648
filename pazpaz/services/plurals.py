"""Counts in words: "1 client", "2 clients", "1,200 events" (numbers through services/formatting.py)."""

from __future__ import annotations

from pazpaz.services import formatting


def count(n: int, singular: str, plural: str = "", language: str = formatting.DEFAULT_LANGUAGE) -> str:
    word = singular if n == 1 else (plural or singular + "s")
    return f"{formatting.format_number(n, language)} {word}"
