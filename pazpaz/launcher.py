"""`make run`: start embedded PostgreSQL and S3 (unless configured elsewhere), migrate,
then serve PazPaz in Reflex prod mode on one port. Ctrl+C stops every child.

One launcher per data dir (a lock file); children that a killed launcher left behind are
stopped by its guard process or, failing that, by the next launcher (pazpaz/infra/children.py).
The app connects as its own role, migrations as the owner (pazpaz/infra/roles.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from pazpaz.infra import children, roles, s3
from pazpaz.infra.s3 import WeedPorts
from pazpaz.services.crypto import DecryptionError
from pazpaz.settings import PROJECT_ROOT, S3Settings, Settings, SettingsError, get_settings

log = logging.getLogger("pazpaz.launcher")
TOOLS_BIN = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"


def embedded_s3_settings(settings: Settings) -> S3Settings:
    # The embedded store's credentials derive from the instance secret: nothing extra to keep.
    secret = hmac.new(settings.secret_key, b"embedded-s3", hashlib.sha256).hexdigest()
    endpoint = f"http://127.0.0.1:{embedded_s3_ports(settings).s3}"
    return replace(settings.s3, endpoint_url=endpoint, access_key_id="pazpaz", secret_access_key=secret)


def embedded_s3_ports(settings: Settings) -> WeedPorts:
    return WeedPorts.offset(settings.embedded_s3_port - WeedPorts().s3)


def reflex_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env["PATH"] = f"{TOOLS_BIN}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")
    env.setdefault("REFLEX_HTTP_CLIENT_BIND_ADDRESS", "0.0.0.0")
    env.setdefault("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    return env


# Reflex prints where it listens ("App running at: http://127.0.0.1:3000/"): that is the bind
# address, not the public URL, and opening it fails (another origin for the websocket). The
# launcher prints the one URL that works, so these lines are dropped from Reflex's output.
_REFLEX_URL_LINE = re.compile(r"^\s*(App|Backend) running at:", re.I)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def forward_output(stream: IO[bytes], out: IO[str]) -> None:
    """Copy a child's output line by line, without Reflex's own URL lines."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        if _REFLEX_URL_LINE.match(_ANSI.sub("", line)):
            continue
        out.write(line)
        out.flush()
    stream.close()


def run_migrations(database_url: str, app_role: str | None = None) -> None:
    """alembic upgrade head as the owner, holding an advisory lock so two starters never
    race; then (re-)grant the app role its privileges on every table, new ones included."""
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from alembic import command

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(727274000)"))
            try:
                config = Config(str(PROJECT_ROOT / "alembic.ini"))
                config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
                if app_role:
                    roles.apply_grants(connection, app_role)
                    connection.commit()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(727274000)"))
                connection.commit()
    finally:
        engine.dispose()


def verify_keys(database_url: str) -> None:
    """Refuse to start with a KEK that can't open the stored data keys (wrong or lost key)."""
    from sqlalchemy import create_engine
    from sqlmodel import Session

    from pazpaz.services import crypto
    from pazpaz.services.scope import SYSTEM_KEY

    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            session.info[SYSTEM_KEY] = True
            crypto.verify_kek(session)
    finally:
        engine.dispose()


def warn_if_privileged(database_url: str) -> None:
    """The audit trail is only append-only against a role that can't bypass its trigger."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            problems = roles.check_app_role(connection).problems
    finally:
        engine.dispose()
    if problems:
        log.warning("DATABASE_URL's role %s: it can bypass the append-only audit trail. Give the app its own "
                    "role and the owner DATABASE_MIGRATION_URL (docs/ARCHITECTURE.md, database roles).",
                    " and ".join(problems))


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float) -> bool:
    """True once GET /api/v1/health answers 200; False if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except Exception:
            time.sleep(1)
    return False


def stop_worker(worker: subprocess.Popen | None) -> None:
    """SIGTERM lets the worker finish the jobs in hand; SIGKILL after 20 s (its jobs are
    retried by another worker: every task is idempotent)."""
    if worker is None or worker.poll() is not None:
        return
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)


def check_scale_out(settings: Settings) -> str | None:
    """Why this deployment can't start as configured (one line), or None. Tab state and rate
    limits live in process memory unless REDIS_URL is set, so several workers need Redis."""
    if settings.workers > 1 and settings.redis_url is None:
        return (f"PAZPAZ_WORKERS={settings.workers} needs REDIS_URL: workers share tab state and rate "
                "limits through Redis (or set PAZPAZ_WORKERS=1).")
    if settings.redis_url is not None:
        import redis

        try:
            redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
        except redis.RedisError as error:
            return f"REDIS_URL does not answer ({type(error).__name__}): start Redis or fix the URL."
    return None


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM (docker stop) takes the same clean path as Ctrl+C.
    raise KeyboardInterrupt


@dataclass
class Launcher:
    settings: Settings
    stoppers: list = field(default_factory=list)
    reflex: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None  # the job worker (pazpaz/worker.py)
    worker_env: dict[str, str] = field(default_factory=dict)
    worker_started: float = 0.0
    guard: subprocess.Popen | None = None
    lock: int | None = None  # the data dir's lock, held until this process exits
    stopping: bool = False
    migration_url: str = ""
    app_role: str | None = None

    @property
    def pgdata(self) -> Path | None:
        return self.settings.data_dir / "postgres" if self.settings.database_url is None else None

    def take_over(self) -> None:
        """Own the data dir: refuse if a launcher runs on it, else stop what a dead one left."""
        data = self.settings.data_dir
        self.lock = children.acquire_lock(data)
        from pazpaz.infra import postgres  # after the lock: importing the wheel may warn on stderr

        pgdata = self.pgdata
        left = children.stop_marked(data, lambda: postgres.pg_ctl_stop(pgdata) if pgdata else None)
        if left:
            log.info("Stopped %d process(es) left behind by a launcher that did not exit cleanly", left)
        children.mark_environment(data)
        self.guard = children.start_guard(data, pgdata)

    def start_services(self) -> dict[str, str]:
        env: dict[str, str] = {}
        data = self.settings.data_dir
        if self.settings.database_url is None:
            from pazpaz.infra import postgres

            log.info("Starting embedded PostgreSQL in %s", data / "postgres")
            pg = postgres.start(data / "postgres")
            self.stoppers.append(pg.stop)
            pg.ensure_database()
            pg.ensure_app_role(roles.APP_ROLE)
            self.migration_url, self.app_role = pg.url(), roles.APP_ROLE
            env["DATABASE_URL"] = pg.url(user=roles.APP_ROLE)
        else:
            env["DATABASE_URL"] = self.settings.database_url
            self.migration_url = self.settings.database_migration_url or self.settings.database_url
            if self.settings.database_migration_url:
                self.app_role = roles.role_of(self.settings.database_url)
        if self.settings.s3.endpoint_url is None:
            s3_settings = embedded_s3_settings(self.settings)
            ports = embedded_s3_ports(self.settings)
            log.info("Starting embedded S3 (SeaweedFS) in %s on 127.0.0.1:%s", data / "s3", ports.s3)
            weed = s3.start(data / "s3", s3_settings, ports)
            self.stoppers.append(weed.stop)
            env.update({
                "S3_ENDPOINT_URL": s3_settings.endpoint_url or "",
                "S3_ACCESS_KEY_ID": s3_settings.access_key_id,
                "S3_SECRET_ACCESS_KEY": s3_settings.secret_access_key,
                "S3_BUCKET": s3_settings.bucket,
            })
        return env

    def start_reflex(self, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "reflex", "run", "--env", "prod", "--loglevel", "warning"]
        app_env = {k: v for k, v in {**os.environ, **env}.items() if k != "DATABASE_MIGRATION_URL"}
        # Unbuffered, so a piped child's lines still arrive as they are written.
        app_env["PYTHONUNBUFFERED"] = "1"
        # Reflex would start 2 x cores + 1 workers whenever Redis is configured: the count is ours.
        app_env["GRANIAN_WORKERS"] = str(self.settings.workers)
        self.reflex = subprocess.Popen(command, cwd=PROJECT_ROOT, env=reflex_env(app_env), stdout=subprocess.PIPE,
                                       start_new_session=True, preexec_fn=children.die_with_parent())
        threading.Thread(target=forward_output, args=(self.reflex.stdout, sys.stdout), name="reflex-output",
                         daemon=True).start()

    def start_worker(self, env: dict[str, str]) -> None:
        self.worker_env, self.worker_started = env, time.monotonic()
        command = [sys.executable, "-m", "pazpaz.worker"]
        app_env = {k: v for k, v in {**os.environ, **env}.items() if k != "DATABASE_MIGRATION_URL"}
        self.worker = subprocess.Popen(command, cwd=PROJECT_ROOT, env=app_env, start_new_session=True,
                                       preexec_fn=children.die_with_parent())

    def wait_until_serving(self, timeout: float = 600.0) -> bool:
        assert self.reflex is not None
        return wait_for_health(f"http://127.0.0.1:{self.settings.port}", self.reflex, timeout)

    def supervise(self) -> int:
        """Wait for Reflex to exit; a job worker that dies meanwhile is started again (its
        unfinished jobs are retried: every task is idempotent)."""
        assert self.reflex is not None
        while True:
            try:
                return self.reflex.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            # At most one restart a minute: a worker that can't start at all must not spin.
            if (self.worker is not None and self.worker.poll() is not None and not self.stopping
                    and time.monotonic() - self.worker_started > 60):
                log.warning("The job worker exited (code %s); starting it again", self.worker.returncode)
                self.start_worker(self.worker_env)

    def stop(self, *_: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        stop_worker(self.worker)
        if self.reflex and self.reflex.poll() is None:
            try:
                os.killpg(self.reflex.pid, signal.SIGTERM)
                self.reflex.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.reflex.pid, signal.SIGKILL)
        for stop in reversed(self.stoppers):
            try:
                stop()
            except Exception:
                log.exception("a service did not stop cleanly")
        if self.guard and self.guard.poll() is None:
            self.guard.kill()  # everything is stopped: nothing left for it to do
            self.guard.wait()

    def run(self) -> int:
        # Installed explicitly: a parent that started us in the background may have set
        # SIGINT to 'ignore', and Ctrl+C must always stop every child.
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)
        try:
            self.take_over()
        except children.AlreadyRunning as error:
            print(error, file=sys.stderr)
            return 1
        try:
            env = self.start_services()
            log.info("Applying database migrations")
            run_migrations(self.migration_url, self.app_role)
            warn_if_privileged(env["DATABASE_URL"])
            verify_keys(env["DATABASE_URL"])
            log.info("Building and starting PazPaz (the first build takes a minute)")
            self.start_reflex(env)
            self.start_worker(env)
            if self.wait_until_serving():
                print(f"\n  PazPaz is running: {self.settings.public_url}\n  Press Ctrl+C to stop.\n", flush=True)
            return self.supervise()
        except KeyboardInterrupt:
            return 0
        except DecryptionError as error:
            log.error("Cannot start: %s", error)
            return 3
        except RuntimeError as error:  # a service that can't start says why in one line
            log.error("Cannot start: %s", error)
            return 1
        finally:
            self.stop()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    refusal = check_scale_out(settings)
    if refusal is not None:
        print(f"Cannot start: {refusal}", file=sys.stderr)
        return 2
    if settings.smtp is None:
        log.info("No SMTP configured: emails are written to %s", settings.outbox_dir)
    return Launcher(settings).run()


if __name__ == "__main__":
    sys.exit(main())
