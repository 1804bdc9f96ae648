"""PAZPAZ_WORKERS: the launcher runs that many backend workers, and refuses several without
REDIS_URL (their tab state and rate limits could not be shared) in one line."""

from __future__ import annotations

import subprocess

from pazpaz import launcher
from pazpaz.settings import get_settings


def test_several_workers_without_redis_refuse_to_start_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("PAZPAZ_WORKERS", "3")
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert launcher.main() == 2
    finally:
        get_settings.cache_clear()
    refusal = capsys.readouterr().err.strip()
    assert refusal.count("\n") == 0
    assert "PAZPAZ_WORKERS=3 needs REDIS_URL" in refusal


def test_the_worker_count_reaches_granian(monkeypatch):
    # Reflex would pick 2 x cores + 1 workers on its own whenever Redis is configured.
    started: list[dict[str, str]] = []

    def fake_popen(command, **kwargs):
        started.append(kwargs["env"])
        raise RuntimeError("not starting anything in a unit test")

    monkeypatch.setattr(subprocess, "Popen", fake_popen)
    for workers in ("1", "2"):
        monkeypatch.setenv("PAZPAZ_WORKERS", workers)
        get_settings.cache_clear()
        try:
            launcher.Launcher(get_settings()).start_reflex({})
        except RuntimeError:
            pass
        finally:
            get_settings.cache_clear()
    assert [env["GRANIAN_WORKERS"] for env in started] == ["1", "2"]


def test_the_server_runs_its_event_loop_on_uvloop_and_parses_redis_with_hiredis():
    """Granian picks uvloop when it is installed (its loop "auto"), and redis-py parses replies
    with hiredis: both pinned for the per-event CPU (docs/ARCHITECTURE.md "Several processes")."""
    import asyncio

    from granian._loops import loops
    from redis.utils import HIREDIS_AVAILABLE

    loop = loops.get("auto")
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert HIREDIS_AVAILABLE
