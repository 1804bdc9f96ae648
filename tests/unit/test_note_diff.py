"""The word-level diff of note versions (services/note_diff.py) and its history items."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from pazpaz.services import note_diff
from pazpaz.services.soap_notes import VersionView
from pazpaz.state.notes import version_item


def texts(segments, keep: str) -> str:
    return "".join(s["text"] for s in segments if s["op"] in ("equal", keep))


def test_a_replaced_word_is_deleted_then_inserted():
    segments = note_diff.word_diff("Mild strain of the neck", "Moderate strain of the neck")
    assert segments == [{"op": "delete", "text": "Mild "}, {"op": "insert", "text": "Moderate "},
                        {"op": "equal", "text": "strain of the neck"}]


def test_added_and_removed_words_and_unchanged_text():
    assert note_diff.word_diff("Heat, stretch", "Heat, stretch daily") == [
        {"op": "equal", "text": "Heat, stretch "}, {"op": "insert", "text": "daily"}]
    assert note_diff.word_diff("same text", "same text") == [{"op": "equal", "text": "same text"}]
    assert not note_diff.changed(note_diff.word_diff("same text", "same text"))
    assert note_diff.word_diff("", "") == []
    assert note_diff.word_diff("", "new words") == [{"op": "insert", "text": "new words"}]
    assert note_diff.word_diff("old words", "") == [{"op": "delete", "text": "old words"}]


def test_a_line_break_after_a_word_does_not_make_it_a_change():
    segments = note_diff.word_diff("pain 6/10 today", "pain\n6/10 today")
    assert not note_diff.changed(segments)
    assert texts(segments, "insert") == "pain\n6/10 today"


def test_hebrew_and_punctuation_are_words_too():
    segments = note_diff.word_diff("כאב בצוואר, 6/10", "כאב בגב, 6/10")
    assert {"op": "delete", "text": "בצוואר"} in segments and {"op": "insert", "text": "בגב"} in segments


@given(st.text(alphabet="ab \n.", max_size=40), st.text(alphabet="ab \n.", max_size=40))
def test_segments_rebuild_both_versions(old, new):
    segments = note_diff.word_diff(old, new)
    assert texts(segments, "insert") == new
    # The old text's characters come back in order (whitespace after an equal word is the new one's).
    assert "".join(texts(segments, "delete").split()) == "".join(old.split())


def test_history_item_keeps_its_keys_and_lists_only_changed_sections():
    words = note_diff.sections_diff({"subjective": "a", "plan": "rest"}, {"subjective": "a", "plan": "rest, ice"},
                                    ("subjective", "objective", "assessment", "plan"))
    view = VersionView(2, "f" * 64, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "Re-assessed", {}, "unified",
                       words)
    item = version_item(view, "Asia/Jerusalem")
    assert set(item) == {"number", "hash", "when", "reason", "diff", "kind", "file"}
    assert item["number"] == "2" and item["hash"] == "f" * 64 and item["kind"] == "amended"
    assert item["when"] == "29 Mar 2026, 03:30"  # the practice's zone (IDT, UTC+3, since 27 March)
    assert [d["field"] for d in item["diff"]] == ["plan"] and item["diff"][0]["title"] == "Plan"
    assert item["diff"][0]["segments"] == [{"op": "equal", "text": "rest"}, {"op": "insert", "text": ", ice"}]
    first = version_item(VersionView(1, "0" * 64, view.created_at, "", {}, ""), "UTC")
    assert first["kind"] == "finalized" and first["diff"] == []
    removed = version_item(VersionView(3, "0" * 64, view.created_at, "wrong client", {}, "", {}, "scan.pdf"), "UTC")
    assert removed["kind"] == "file_removed" and removed["file"] == "scan.pdf"
