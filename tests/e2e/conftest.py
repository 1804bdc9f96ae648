"""End-to-end: the real launcher (embedded PostgreSQL + S3, Reflex prod build) driven by
Debian's Chromium through Playwright, with mail caught by an aiosmtpd sink."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from pazpaz.launcher import wait_for_health
from tests.support.ports import free_launcher_s3_port, stable_free_port
from tests.support.services import TESTDATA

# Chosen once per run (and kept in the environment, so every importer agrees): no test
# depends on a fixed port being free.
PORT = stable_free_port("PAZPAZ_E2E_PORT")
S3_PORT = int(os.environ.setdefault("PAZPAZ_E2E_S3_PORT", str(free_launcher_s3_port())))
BASE_URL = f"http://localhost:{PORT}"
# Browsers run in a set zone (not the machine's), east of UTC so that a date taken in UTC
# would be wrong around midnight; the practice signs up with the zone its browser reports.
BROWSER_TZ = "Asia/Jerusalem"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Two cores run the app, PostgreSQL, SeaweedFS and Chromium at once: give assertions time.
expect.set_options(timeout=15_000)


@dataclass
class AppServer:
    url: str
    data_dir: Path
    process: subprocess.Popen
    env: dict
    log: Path

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def restart(self) -> None:
        """Stop the whole launcher (app, PostgreSQL, S3) and start it again on the same data."""
        self.stop()
        self.process = _launch(self.env, self.log)
        _wait_healthy(self.process, self.url, self.log)

    def db(self):
        from pazpaz.infra import postgres

        pg = postgres.start(self.data_dir / "postgres")  # attaches to the running server
        return psycopg2.connect(f"dbname=pazpaz user=postgres host={pg.socket_dir}")


def _wait_healthy(process: subprocess.Popen, url: str, log: Path, timeout: float = 900) -> None:
    if not wait_for_health(url, process, timeout):
        raise RuntimeError(f"the app did not become healthy:\n{log.read_text()[-4000:]}")


def _launch(env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "pazpaz.launcher"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2])


@pytest.fixture(scope="session")
def app_server(smtp_sink) -> Iterator[AppServer]:
    data_dir = TESTDATA / "e2e"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "S3_ENDPOINT_URL")}
    env.update({
        "PAZPAZ_DATA_DIR": str(data_dir),
        "PAZPAZ_PORT": str(PORT),
        "PAZPAZ_PUBLIC_URL": BASE_URL,
        "PAZPAZ_EMBEDDED_S3_PORT": str(S3_PORT),
        "PAZPAZ_SIGNUP": "open",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_sink.port),
        "SMTP_TLS": "none",
        "SMTP_FROM": "PazPaz <no-reply@pazpaz.test>",
        # Every browser of the suite signs in from 127.0.0.1: one shared per-IP budget would
        # refuse the suite's own sign-ins part way through. The limits themselves are tested
        # in tests/unit (test_ratelimit, test_signin_hardening).
        "PAZPAZ_RATE_LIMIT_IP": "10000/15minutes",
        # The pseudo language (pazpaz/i18n.py) for the unwrapped-text walk in test_accessibility.py.
        "PAZPAZ_PSEUDO_LOCALE": "1",
    })
    log = data_dir / "app.log"
    server = AppServer(BASE_URL, data_dir, _launch(env, log), env, log)
    try:
        _wait_healthy(server.process, BASE_URL, log)
        yield server
    finally:
        server.stop()
        # Stopping the launcher must stop every child: no PostgreSQL or SeaweedFS left behind.
        assert not (data_dir / "postgres" / "postmaster.pid").exists(), "PostgreSQL outlived the launcher"
        from pazpaz.infra.s3 import port_in_use

        assert not port_in_use(S3_PORT), "SeaweedFS outlived the launcher"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_server, request) -> Iterator[Page]:
    context = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 800},
                                  timezone_id=BROWSER_TZ)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def phone(browser, app_server) -> Iterator[Page]:
    context = browser.new_context(base_url=app_server.url, viewport={"width": 390, "height": 844},
                                  timezone_id=BROWSER_TZ,
                                  is_mobile=True, has_touch=True, device_scale_factor=3)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
