"""A killed launcher leaves nothing running for long, and the next one starts cleanly.

Real processes: a stand-in launcher (the real lock, marker and guard, with `sleep` and a
real embedded PostgreSQL as children) killed with SIGKILL. The full launcher with Reflex is
covered in tests/e2e/test_launcher.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from pazpaz.infra import children, postgres
from tests.support.services import TESTDATA

STAND_IN = textwrap.dedent("""
    import subprocess, sys, time
    from pathlib import Path
    from pazpaz.infra import children, postgres
    data = Path(sys.argv[1])
    children.acquire_lock(data)
    children.mark_environment(data)
    guard = children.start_guard(data, data / "postgres")
    sleeper = subprocess.Popen(["sleep", "600"], start_new_session=True)
    postgres.start(data / "postgres")
    print(guard.pid, sleeper.pid, flush=True)
    time.sleep(600)
""")


@pytest.fixture
def data_dir():
    path = TESTDATA / "launcher-recovery"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    for process in children.marked(path):
        process.kill()
    postgres.pg_ctl_stop(path / "postgres")
    shutil.rmtree(path, ignore_errors=True)


def start_stand_in(data_dir) -> tuple[subprocess.Popen, int, int]:
    process = subprocess.Popen([sys.executable, "-c", STAND_IN, str(data_dir)], stdout=subprocess.PIPE, text=True,
                               cwd=os.getcwd())
    guard_pid, sleeper_pid = (int(x) for x in process.stdout.readline().split())
    return process, guard_pid, sleeper_pid


def postgres_running(data_dir) -> bool:
    return (data_dir / "postgres" / "postmaster.pid").exists()


def test_the_guard_stops_every_child_when_the_launcher_is_killed(data_dir):
    launcher, guard_pid, sleeper_pid = start_stand_in(data_dir)
    assert postgres_running(data_dir) and psutil.pid_exists(sleeper_pid)
    launcher.send_signal(signal.SIGKILL)
    launcher.wait()
    psutil.Process(guard_pid).wait(timeout=60)  # it exits once it has stopped everything
    assert not psutil.pid_exists(sleeper_pid)
    assert not postgres_running(data_dir)
    assert children.marked(data_dir) == []


def test_the_next_launcher_stops_what_a_killed_launcher_and_guard_left(data_dir):
    launcher, guard_pid, sleeper_pid = start_stand_in(data_dir)
    os.kill(guard_pid, signal.SIGKILL)
    launcher.send_signal(signal.SIGKILL)
    launcher.wait()
    psutil.wait_procs([psutil.Process(guard_pid)], timeout=10)
    assert psutil.pid_exists(sleeper_pid) and postgres_running(data_dir)  # orphans, nobody to stop them

    lock = children.acquire_lock(data_dir)  # what Launcher.take_over does first
    try:
        stopped = children.stop_marked(data_dir, lambda: postgres.pg_ctl_stop(data_dir / "postgres"))
    finally:
        os.close(lock)
    assert stopped >= 2
    assert not psutil.pid_exists(sleeper_pid)
    assert not postgres_running(data_dir)


def test_a_second_launcher_on_a_held_data_dir_says_so_in_one_line(data_dir):
    lock = children.acquire_lock(data_dir)
    try:
        env = {**os.environ, "PAZPAZ_DATA_DIR": str(data_dir), "SMTP_HOST": "127.0.0.1",
               "SMTP_FROM": "PazPaz <no-reply@pazpaz.test>"}
        result = subprocess.run([sys.executable, "-m", "pazpaz.launcher"], env=env, capture_output=True, text=True,
                                timeout=120)
    finally:
        os.close(lock)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1
    assert output.startswith("PazPaz is already running")
