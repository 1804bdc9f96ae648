"""Settings > API tokens end to end, against the prod server: a token made in the UI is
shown once, works on /api/v1 over real HTTP, and stops working when revoked; the API docs
page renders under the app's CSP."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import BASE_URL
from tests.e2e.flows import create_client, signed_in_owner


def test_api_token_from_settings_works_until_revoked(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Token Physio")
    create_client(page, "Noa", "Peretz")
    page.goto("/settings")
    page.get_by_label("Token name").fill("Import script")
    page.get_by_label("Access").select_option("read-write")
    page.get_by_label("Expires after").select_option("30")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_label("Your new token")
    expect(shown).to_be_visible()
    token = shown.input_value()
    assert token.startswith("pzp_")

    with httpx.Client(base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}) as http:
        listed = http.get("/api/v1/clients")
        assert listed.status_code == 200
        assert [c["first_name"] for c in listed.json()["items"]] == ["Noa"]
        assert listed.headers["content-security-policy"]  # the app's headers wrap the API too
        missing = http.get("/api/v1/clients/00000000-0000-4000-8000-000000000000")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"

        page.get_by_role("button", name="I have copied it").click()
        expect(page.get_by_label("Your new token")).to_have_count(0)
        card = page.locator(".rt-Card", has_text="Import script")
        expect(card).to_contain_text("Read and write")  # the scope, in words
        card.get_by_role("button", name="Revoke").click()
        expect(card).to_contain_text("revoked")
        expect(card).not_to_contain_text("last used never")  # the list reloaded after revoking
        assert http.get("/api/v1/clients").status_code == 401


def test_api_docs_page_renders_without_csp_violations(page):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="PazPaz API 1")).to_be_visible()
    expect(page.get_by_text("/api/v1/appointments/conflicts").first).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e]
