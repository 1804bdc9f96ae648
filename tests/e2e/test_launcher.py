"""The real launcher (shared with the other e2e tests, so no extra build): one per data dir,
and a `kill -9` of it (and of its guard) doesn't stop the next start."""

from __future__ import annotations

import signal
import subprocess
import sys
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

    app_server.process = _launch(app_server.env, app_server.log)
    _wait_healthy(app_server.process, app_server.url, app_server.log)
    still_there = [p for p in left if p.is_running()]
    assert still_there == [], f"left behind: {[p.name() for p in still_there]}"
