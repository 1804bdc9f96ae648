"""Plurals on a page (components/i18n.tn): the JavaScript compiled into the page picks each
language's form with its catalog's plural rule. Run in Node, as the browser runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from reflex.vars.base import Var

from pazpaz.components.i18n import tn
from pazpaz.state.session import SessionState

# The Node that scripts/setup.sh installs (make test runs setup first): no skip when it is absent.
NODE = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin" / "node"


def _run(singular: str, plural: str, count: int, language: str, **values: str) -> str:
    expression = tn(singular, plural, Var(_js_expr="COUNT", _var_type=int), **values)
    code = str(expression).replace(str(SessionState.language), "LANGUAGE")
    script = f"const COUNT = {count}; const LANGUAGE = {json.dumps(language)}; console.log({code});"
    assert NODE.exists(), f"{NODE} missing: run scripts/setup.sh"
    return subprocess.run([str(NODE), "-e", script], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize(("language", "count", "words"), [
    ("en", 1, "1 client"), ("en", 2, "2 clients"), ("en", 5, "5 clients"), ("en", 0, "0 clients"),
    ("en", 1200, "1,200 clients"),
    ("he", 1, "מטופל אחד"), ("he", 2, "2 מטופלים"), ("he", 5, "5 מטופלים"),
    ("fr", 1, "1 client"), ("fr", 5, "5 clients"),  # a language without a catalog reads English
])
def test_the_page_picks_the_form_by_each_catalogs_rule(language: str, count: int, words: str) -> None:
    assert _run("{count} client", "{count} clients", count, language) == words


def test_a_message_missing_from_the_catalog_fails_the_build() -> None:
    with pytest.raises(KeyError):
        tn("{count} unicorn", "{count} unicorns", Var(_js_expr="COUNT", _var_type=int))
