"""The restore drill with the real launcher: a practice with a photo is backed up by the
command line while the app serves; the app stops, data/ is wiped except the secrets; the
command line restores the file; the launcher starts again, and a browser signs in afresh and
opens the restored photo (the same bytes as before)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import BROWSER_TZ, _launch, _wait_healthy
from tests.e2e.flows import create_client, open_link_and_continue, request_link, signed_in_owner

ROOT = Path(__file__).resolve().parents[2]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 20)).save(out, format="PNG")
    return out.getvalue()


def cli(app_server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pazpaz.cli", *args], env=app_server.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def thumbnail(page):
    page.wait_for_function("() => { const img = document.querySelector('#file-list img');"
                           " return img !== null && img.complete && img.naturalWidth > 0; }")
    return page.locator("#file-list img").first


def opened_photo(context, page) -> tuple[str, bytes]:
    with context.expect_page() as opened:
        thumbnail(page).click()
    tab = opened.value
    tab.wait_for_load_state()
    assert "/files/" in tab.url
    body = context.request.get(tab.url).body()  # the same signed link, with this browser's cookie
    kind = tab.evaluate("document.contentType")
    tab.close()
    return kind, body


def test_backup_wipe_restore_and_open_the_photo(browser, app_server, smtp_sink, tmp_path):
    context = browser.new_context(base_url=app_server.url, timezone_id=BROWSER_TZ)
    page = context.new_page()
    email = signed_in_owner(page, smtp_sink, practice="Drill Practice")
    client_url = create_client(page, "Restored", "Photo")
    page.locator("#attachments input[type=file]").set_input_files(
        files=[{"name": "shoulder.png", "mimeType": "image/png", "buffer": png()}])
    kind, before = opened_photo(context, page)
    assert kind.startswith("image/") and len(before) > 100
    context.close()

    made = cli(app_server, "backup", "--to", str(tmp_path))  # the app is up and serving
    assert made.returncode == 0, made.stderr[-2000:]
    backup_file = next(tmp_path.glob("pazpaz-backup-*.pzbk"))

    app_server.stop()
    data = app_server.data_dir
    for name in ("postgres", "s3", "backups", "exports"):
        shutil.rmtree(data / name, ignore_errors=True)
    # The secrets live in the environment here (else data/secrets.json, which would be kept).
    assert app_server.env["PAZPAZ_KEK"] and not (data / "postgres").exists() and not (data / "s3").exists()
    restored = cli(app_server, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr[-2000:]
    assert "Every object and the database matched their SHA-256" in restored.stdout
    assert "files." in restored.stdout and "Restored" in restored.stdout
    app_server.process = _launch(app_server.env, app_server.log)
    _wait_healthy(app_server.process, app_server.url, app_server.log)

    context = browser.new_context(base_url=app_server.url, timezone_id=BROWSER_TZ)
    page = context.new_page()
    open_link_and_continue(page, request_link(page, smtp_sink, email))
    page.goto(client_url)
    expect(page.locator("#client-name")).to_have_text("Restored Photo")
    kind_after, after = opened_photo(context, page)
    assert kind_after == kind and after == before
    # Settings shows the backup made by the command line.
    page.goto("/settings")
    expect(page.locator("#backup-last")).not_to_contain_text("none yet")
    context.close()
