"""The owner's record actions in the browser: export a client's record (built by the job
worker, progress shown, zip downloaded) and erase a client (refused under a legal hold, then
with the typed name and a reason)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.flows import create_client, signed_in_owner


def test_export_then_erase_a_client(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Records Practice")
    create_client(page, "Noa", "Export")
    client_url = create_client(page, "Erin", "Erase")

    page.goto(client_url)
    expect(page.locator("#retention-notice")).to_contain_text("legal retention period")
    page.get_by_role("button", name="Export client record").click()
    download_button = page.locator("#export-download")
    expect(download_button).to_be_visible(timeout=60_000)  # the worker built it
    with page.expect_download() as started:
        download_button.click()
    archive = zipfile.ZipFile(io.BytesIO(Path(started.value.path()).read_bytes()))
    record = json.loads(archive.read("record.json"))
    assert record["contact"]["first_name"] == "Erin" and "record.pdf" in archive.namelist()

    page.get_by_label("Legal hold reason (blocks erasure)").fill("Insurance dispute")
    page.get_by_role("button", name="Set legal hold").click()
    expect(page.locator("#legal-hold")).to_contain_text("Insurance dispute")
    expect(page.get_by_role("button", name="Erase client")).to_have_count(0)
    page.get_by_role("button", name="Lift the legal hold").click()

    page.get_by_label("Reason for the erasure").select_option("client_request")
    page.get_by_label("Type the client's full name to confirm").fill("Erin Eras")
    page.get_by_role("button", name="Erase client").click()
    expect(page.locator("#confirm_name-error")).to_contain_text("full name")
    page.get_by_label("Type the client's full name to confirm").fill("Erin Erase")
    page.get_by_role("button", name="Erase client").click()
    expect(page).to_have_url(re.compile(r"/clients$"))
    expect(page.get_by_text("Noa Export")).to_be_visible()
    expect(page.get_by_text("Erin Erase")).to_have_count(0)
    page.goto(client_url)
    expect(page.locator("#not-found")).to_be_visible()
