"""Every audit action code the code base records has readable words (services/audit_actions.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pazpaz.services.audit_actions import ACTIONS, readable

SOURCE = Path(__file__).resolve().parents[2] / "pazpaz"
CODE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
FILE_TYPES = (".csv", ".json", ".ics", ".pdf")  # file names ("appointment.ics") look like codes


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _recorded() -> tuple[set[str], set[str], set[str]]:
    """Action codes passed to an audit call (audit.record, a module's _record / _audit helper),
    the literal tails of f-string codes (f"{entity}.activated") and the entity types named."""
    codes, tails, entities = set(), set(), set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if "record" not in name and "audit" not in name:
                continue
            entities |= {k.value.value for k in node.keywords if k.arg == "entity_type"
                         and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
            for arg in [*node.args, *(k.value for k in node.keywords if k.arg == "action")]:
                for value in ast.walk(arg):  # also both arms of `"a.x" if ... else "a.y"`
                    if isinstance(value, ast.Constant) and isinstance(value.value, str) and CODE.match(value.value):
                        codes.add(value.value)
                    elif isinstance(value, ast.JoinedStr):
                        tail = value.values[-1]
                        if isinstance(tail, ast.Constant) and str(tail.value).startswith("."):
                            tails.add(str(tail.value))
    return codes, tails, entities


def _namespaces(codes: set[str]) -> set[str]:
    return {code.split(".")[0] for code in codes}


def _codes_in_services(namespaces: set[str]) -> set[str]:
    """Codes built elsewhere and passed by variable (action = "service.created" if ... else ...)."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        if path.name == "audit_actions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value) \
                    and node.value.split(".")[0] in namespaces and not node.value.endswith(FILE_TYPES):
                found.add(node.value)
    return found


def test_every_recorded_action_has_readable_words():
    codes, tails, entities = _recorded()
    assert len(codes) > 60, "the scan should find the code base's audit calls"
    codes |= _codes_in_services(_namespaces(codes) | entities)
    missing = sorted(code for code in codes if code not in ACTIONS)
    assert not missing, f"add these action codes to services/audit_actions.ACTIONS: {missing}"
    for tail in tails:
        assert any(code.endswith(tail) for code in ACTIONS), f"no readable words for an action ending {tail}"


def test_the_catalog_activations_are_covered():
    for entity in ("service", "location"):
        for verb in ("activated", "deactivated"):
            assert f"{entity}.{verb}" in ACTIONS


def test_words_read_as_sentences_and_unknown_codes_still_read():
    assert readable("client.timeline_read") == "Opened a client's timeline"
    assert all(text[:1].isupper() and not text.endswith(".") for text in ACTIONS.values())
    assert readable("legacy.thing_done") == "Legacy: thing done"


def test_words_are_in_the_readers_language():
    assert readable("client.timeline_read", "he") != "Opened a client's timeline"
    assert all(readable(code, "he") != text for code, text in ACTIONS.items()), "translate in he/messages.po"
