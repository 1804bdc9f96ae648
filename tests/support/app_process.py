"""PazPaz's backend (Reflex app + /api + /auth, granian) as a separate process on a free port,
without the front-end build: what the several-process tests and the load test talk to over
HTTP and the websocket. Every process gets the same DATABASE_URL, S3 and REDIS_URL, as two
machines behind a load balancer would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pazpaz.launcher import reflex_env
from pazpaz.settings import PROJECT_ROOT


@dataclass
class AppProcess:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_app(env: dict[str, str], port: int, log: Path, workers: int = 1) -> AppProcess:
    """Start granian on the app as `reflex run --env prod` does, minus the front-end build
    (its pages are compiled into .web by the launcher; the backend does not need them)."""
    app_env = reflex_env({**env, "PAZPAZ_PORT": str(port), "GRANIAN_WORKERS": str(workers),
                          # Reflex's own switch (reflex_base.environment, internal name): the
                          # backend skips compiling pages into .web, which two processes
                          # starting at once in one checkout would race on.
                          "__REFLEX_SKIP_COMPILE": "true"})
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--log-level", "warning", "pazpaz.pazpaz:app"],
            cwd=PROJECT_ROOT, env=app_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return AppProcess(port, process, log)


def wait_ready(app: AppProcess, timeout: float = 240.0) -> None:
    """Until GET /api/v1/health answers 200 (database and S3 reached)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{app.url}/api/v1/health", timeout=5) as response:
                if response.status == 200:
                    return
        except Exception:
            time.sleep(0.5)
    raise RuntimeError(f"the app on port {app.port} did not become healthy:\n{app.log.read_text()[-3000:]}")
