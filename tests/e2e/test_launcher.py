"""The real launcher (shared with the other e2e tests, so no extra build): one per data dir,
and a `kill -9` of it (and of its guard) doesn't stop the next start."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from pazpaz.infra import children
from tests.e2e.conftest import _launch, _wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_launcher_on_the_same_data_says_so_in_one_line(app_server):
    result = subprocess.run([sys.executable, "-m", "pazpaz.launcher"], env=app_server.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1 and output.startswith("PazPaz is already running"), output


def test_kill_9_of_launcher_and_guard_then_start_again(app_server):
    launcher = psutil.Process(app_server.process.pid)
    guards = [p for p in launcher.children() if "pazpaz.infra.children" in " ".join(p.cmdline())]
    assert len(guards) == 1
    left = children.marked(app_server.data_dir)
    names = {p.name() for p in left}
    assert "weed" in names and "postgres" in names and any("python" in n for n in names)

    # Nothing is left to clean up after them: the next start must do it.
    guards[0].kill()
    app_server.process.send_signal(signal.SIGKILL)
    app_server.process.wait()
    psutil.wait_procs(guards, timeout=10)

    printed_from = app_server.log.stat().st_size
    app_server.process = _launch(app_server.env, app_server.log)
    _wait_healthy(app_server.process, app_server.url, app_server.log)
    still_there = [p for p in left if p.is_running()]
    assert still_there == [], f"left behind: {[p.name() for p in still_there]}"

    # The console shows exactly one URL, the public one (not Reflex's "App running at" bind address).
    printed = _printed_until_running(app_server.process, app_server.log, printed_from)
    assert re.findall(r"https?://\S+", printed) == [app_server.url], printed[-2000:]


def _printed_until_running(process: subprocess.Popen, log: Path, start: int) -> str:
    """The launcher's output from `start` up to its "PazPaz is running" line (printed just
    after the health check answers, so it may land a moment after _wait_healthy returns)."""
    while True:
        with open(log, "rb") as out:
            out.seek(start)
            text = out.read().decode("utf-8", errors="replace")
        if "PazPaz is running" in text:
            return text[:text.index("Press Ctrl+C")]
        assert process.poll() is None, f"the launcher exited:\n{text[-2000:]}"
        time.sleep(0.5)
