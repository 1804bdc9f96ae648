"""The launcher passes Reflex's output through without Reflex's own URL line: the console
shows one URL, the public one (printed by the launcher)."""

from __future__ import annotations

import io

from pazpaz.launcher import forward_output


def test_reflex_url_lines_are_dropped_and_the_rest_kept():
    child = io.BytesIO(b"Compiling: 100%\n"
                       b"App running at: http://127.0.0.1:3000/\n"
                       b"\x1b[1;32mApp running at: http://127.0.0.1:3000/\x1b[0m\n"
                       b"Backend running at: http://0.0.0.0:8000\n"
                       b"a warning in UTF-8: caf\xc3\xa9\n"
                       b"broken byte \xff\n")
    out = io.StringIO()
    forward_output(child, out)
    assert out.getvalue() == "Compiling: 100%\na warning in UTF-8: café\nbroken byte \ufffd\n"
