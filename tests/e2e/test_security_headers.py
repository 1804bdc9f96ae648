"""Security headers and the Host allow-list on the real prod server (one port serves the
built front end, the API and the websocket), and the app working in Chromium under its CSP."""

from __future__ import annotations

import http.client
import io
import re

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import BASE_URL, PORT
from tests.e2e.flows import create_client, signed_in_owner

HOST = f"localhost:{PORT}"
COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def request(method: str, path: str, host: str = HOST, headers: dict | None = None) -> http.client.HTTPResponse:
    """A raw request, so the Host header is exactly what we say (browsers and httpx won't lie)."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    connection.request(method, path, headers={"Host": host, **(headers or {})})
    response = connection.getresponse()
    response.body = response.read() if response.status != 101 else b""
    connection.close()
    return response


def assert_secured(response: http.client.HTTPResponse, what: str) -> None:
    for name, value in COMMON.items():
        assert response.getheader(name) == value, f"{what}: {name}"
    csp = response.getheader("content-security-policy") or ""
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'",
                      f"connect-src 'self' {BASE_URL} ws://{HOST}"):
        assert directive in csp, f"{what}: {directive}"
    assert response.getheader("permissions-policy"), what


def test_pages_assets_api_and_errors_carry_the_headers(app_server):
    page = request("GET", "/signin/")
    assert page.status == 200 and b"<html" in page.body
    assert_secured(page, "page")
    script_src = next(d for d in page.getheader("content-security-policy").split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src
    assets = re.findall(rb'(?:href|src)="(/assets/[^"]+\.(?:js|css))"', page.body)
    assert any(a.endswith(b".js") for a in assets) and any(a.endswith(b".css") for a in assets)
    for asset in {next(a for a in assets if a.endswith(ext)) for ext in (b".js", b".css")}:
        response = request("GET", asset.decode())
        assert response.status == 200
        assert_secured(response, asset.decode())

    missing = request("GET", "/no-such-page")
    assert missing.status == 404
    assert_secured(missing, "404")
    health = request("GET", "/api/v1/health")
    assert health.status == 200
    assert_secured(health, "api")
    upload = request("POST", "/_upload", headers={"Origin": BASE_URL, "Content-Length": "0"})
    assert upload.status >= 400
    assert_secured(upload, "upload")

    redirect = request("GET", "/signin")
    assert redirect.status in (301, 307, 308)
    assert redirect.getheader("location") == "/signin/"
    assert_secured(redirect, "redirect")


def test_a_foreign_host_is_refused_never_reflected(app_server):
    for path in ("/signin", "/signin/", "/api/v1/health"):
        response = request("GET", path, host="evil.example")
        assert response.status == 400, path
        assert response.getheader("location") is None
        assert_secured(response, "refused")
    # The launcher's health check uses 127.0.0.1 on the app's port.
    assert request("GET", "/api/v1/health", host=f"127.0.0.1:{PORT}").status == 200


def _handshake(host: str) -> http.client.HTTPResponse:
    return request("GET", "/_event/?EIO=4&transport=websocket", host=host, headers={
        "Origin": BASE_URL, "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    })


def test_websocket_handshake_checks_the_host(app_server):
    # Granian sends no extra headers on a 101 (the middleware offers them; uvicorn would send
    # them); a 101 has no body for them to protect anyway.
    assert _handshake(HOST).status == 101
    assert _handshake("evil.example").status == 403


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def test_the_app_works_under_its_csp(browser, app_server, smtp_sink):
    # The browser's zone is set (not the machine's), so the sign-up preselection is known.
    context = browser.new_context(base_url=app_server.url, timezone_id="Asia/Jerusalem")
    page = context.new_page()
    messages: list[str] = []
    errors: list[str] = []
    sockets: list[str] = []
    context.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    context.on("weberror", lambda error: errors.append(str(error.error)))
    page.on("websocket", lambda socket: sockets.append(socket.url))

    # The time zone is read by a function compiled into the page (no eval under the CSP).
    page.goto("/signup")
    expect(page.locator("#time_zone")).to_have_value("Asia/Jerusalem")
    signed_in_owner(page, smtp_sink, practice="Header Practice")
    assert any("/_event" in url for url in sockets), sockets
    client_url = create_client(page, "Csp", "Checked", phone="0501234567")
    # An upload (XHR to /_upload) and its thumbnail (an <img> from /files) under the policy.
    page.locator("#attachments input[type=file]").set_input_files(
        files=[{"name": "swatch.png", "mimeType": "image/png", "buffer": png()}])
    page.wait_for_function("() => { const img = document.querySelector('#file-list img');"
                           " return img !== null && img.complete && img.naturalWidth > 0; }")
    # The confirmation is page state, not a toast script (toasts need eval).
    expect(page.locator("#notice")).to_have_text("1 file attached.")
    # Opening the file: a new tab with the image; the app stays where it was.
    with context.expect_page() as opened:
        page.locator("#file-list img").first.click()
    image_tab = opened.value
    image_tab.wait_for_load_state()
    assert "/files/" in image_tab.url
    assert image_tab.evaluate("document.contentType") == "image/png"
    assert page.url == client_url
    image_tab.close()
    page.goto("/calendar")
    expect(page.locator(".fc").first).to_be_visible()
    page.goto("/settings")
    expect(page.get_by_label("Service name")).to_be_visible()
    # Sign-out runs a compiled function and a form post: both must pass the policy.
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    violations = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert not violations, violations
    assert not errors, errors
    context.close()
