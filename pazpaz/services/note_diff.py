"""A readable word-level diff between two versions of a SOAP note (plain Python).

The history shows what an amendment changed the way a reader thinks about it: words
struck out and words added, per SOAP section, instead of a unified diff with ---/+++/@@
lines. Whitespace is kept with the word before it, so joining the texts of the
segments gives back the new text (equal + insert) or the old text (equal + delete).
"""

from __future__ import annotations

import difflib
import re
from typing import TypedDict

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
# A word, or a run of punctuation, with the whitespace after it ("rest" -> "rest, ice" adds
# ", ice" rather than replacing a word); leading whitespace is a token of its own.
_TOKEN = re.compile(r"\w+\s*|[^\w\s]+\s*|\s+")


class Segment(TypedDict):
    op: str  # "equal" | "insert" | "delete"
    text: str


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def _push(segments: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1]["op"] == op:
        segments[-1] = Segment(op=op, text=segments[-1]["text"] + text)
    else:
        segments.append(Segment(op=op, text=text))


def word_diff(old: str, new: str) -> list[Segment]:
    """Segments turning old into new; a replacement is its deletion followed by its insertion."""
    before, after = _tokens(old), _tokens(new)
    # Words are compared without their trailing space, so "pain " and "pain\n" still match.
    matcher = difflib.SequenceMatcher(None, [t.strip() or t for t in before], [t.strip() or t for t in after],
                                      autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _push(segments, EQUAL, "".join(after[j1:j2]))
            continue
        _push(segments, DELETE, "".join(before[i1:i2]))
        _push(segments, INSERT, "".join(after[j1:j2]))
    return segments


def changed(segments: list[Segment]) -> bool:
    return any(s["op"] != EQUAL for s in segments)


def sections_diff(old: dict[str, str], new: dict[str, str], keys: tuple[str, ...]) -> dict[str, list[Segment]]:
    """The word diff of every section in keys (unchanged sections give one equal segment or none)."""
    return {key: word_diff(old.get(key, ""), new.get(key, "")) for key in keys}
