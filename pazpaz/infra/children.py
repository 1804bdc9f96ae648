"""The launcher's children: marked so that they can be found again, stopped with it.

Every process the launcher starts (Reflex and its workers, SeaweedFS, PostgreSQL through
pg_ctl) inherits PAZPAZ_LAUNCHER_DATA_DIR=<data dir> in its environment. A process is
"ours" exactly when its /proc/<pid>/environ carries that value: no pid file can go stale
and a reused pid can't be mistaken for one of ours.

- A guard process (`python -m pazpaz.infra.children guard <data dir> <launcher pid>`)
  watches the launcher; when the launcher dies without cleaning up (kill -9, OOM killer)
  it stops every marked process, PostgreSQL with `pg_ctl stop -m fast`.
- A launcher that takes the data dir's lock (so no other launcher owns it) first stops
  whatever marked processes are still there, in case the guard died too.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

MARKER = "PAZPAZ_LAUNCHER_DATA_DIR"
LOCK_FILE = "launcher.lock"
PR_SET_PDEATHSIG = 1


class AlreadyRunning(RuntimeError):
    """Another launcher holds this data dir."""


def acquire_lock(data_dir: Path) -> int:
    """An exclusive lock on data/launcher.lock for this process's lifetime (the kernel drops
    it when the process dies, however it dies). Returns the open descriptor."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise AlreadyRunning(f"PazPaz is already running on {data_dir} (launcher pid {holder}); "
                             "stop it first (Ctrl+C in its terminal).") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def mark_environment(data_dir: Path) -> None:
    """From now on every child of this process carries the marker."""
    os.environ[MARKER] = str(data_dir)


def marked(data_dir: Path) -> list[psutil.Process]:
    me, value = os.getpid(), str(data_dir)
    found = []
    for process in psutil.process_iter():
        if process.pid == me:
            continue
        try:
            if process.environ().get(MARKER) == value:
                found.append(process)
        except (psutil.Error, OSError):
            continue  # gone, a zombie, or not ours to read
    return found


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.Error:
        return ""


def stop_marked(data_dir: Path, stop_postgres: Callable[[], None], grace: float = 15.0) -> int:
    """Stop every marked process; returns how many there were. PostgreSQL's processes are
    not signalled one by one: the server is shut down through pg_ctl, after its clients."""
    found = marked(data_dir)
    postgres = [p for p in found if _name(p) == "postgres"]
    others = [p for p in found if _name(p) != "postgres"]
    for process in others:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, alive = psutil.wait_procs(others, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)
    if postgres:
        stop_postgres()
    return len(found)


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive SIGTERM when this process dies (Linux)."""
    prctl = _libc_prctl()  # looked up before fork: nothing to load in the child
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def start_guard(data_dir: Path, pgdata: Path | None) -> subprocess.Popen:
    """The guard that cleans up after this (launcher) process if it dies without doing so."""
    command = [sys.executable, "-m", "pazpaz.infra.children", "guard", str(data_dir), str(os.getpid())]
    if pgdata is not None:
        command.append(str(pgdata))
    # Its own session: Ctrl+C in the terminal goes to the launcher, which then stops the guard.
    project_root = Path(__file__).resolve().parents[2]  # where `pazpaz` is importable from
    return subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL, cwd=project_root)


def guard(data_dir: Path, launcher_pid: int, pgdata: Path | None) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while os.getppid() == launcher_pid:  # reparented once the launcher is gone
        time.sleep(0.5)

    def stop_postgres() -> None:
        if pgdata is not None:
            from pazpaz.infra.postgres import pg_ctl_stop

            pg_ctl_stop(pgdata)

    stop_marked(data_dir, stop_postgres)
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "guard":
        sys.exit(guard(Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) > 4 else None))
    sys.exit("usage: python -m pazpaz.infra.children guard <data dir> <launcher pid> [<pgdata>]")
