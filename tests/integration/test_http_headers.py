"""Security headers and the Host allow-list, in process: our real routes (build_api) in front
of Reflex's own static front-end server (PrecompressedStaticFiles, as `reflex run --env prod`
mounts it), wrapped by the middleware exactly as PazPazApp wraps the whole app."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from pazpaz.api.app import build_api, with_security_headers
from pazpaz.api.headers import (
    SecurityHeadersMiddleware,
    _relative_location,
    allowed_hosts,
    build_policy,
    loopback_aliases,
    security_headers,
)
from pazpaz.services import attachments, clients
from pazpaz.services.clients import ClientInput
from tests.conftest import reset_caches
from tests.support.factories import make_workspace, session_cookie
from tests.support.services import start_s3

PUBLIC_URL = "http://localhost:3100"  # tests/conftest.py
PORT = 3000
INLINE_SCRIPT = 'window.__reactRouterContext = {"basename":"/"};'
PAGE = f"<!doctype html><html><head><script>{INLINE_SCRIPT}</script>" \
       '<script type="module" src="/assets/app.js"></script></head><body>Sign in</body></html>'
COMMON = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


@pytest.fixture
def frontend(tmp_path: Path) -> Path:
    """A front-end build laid out like .web/build/client (page directories, assets, 404)."""
    (tmp_path / "signin").mkdir()
    (tmp_path / "signin" / "index.html").write_text(PAGE)
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log('app');")
    (tmp_path / "404.html").write_text("<!doctype html><p>Not found</p>")
    return tmp_path


async def echo_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


def served(frontend: Path) -> Starlette:
    # The same nesting as Reflex: our routes first, everything else to the front end.
    api = build_api()
    api.routes.append(WebSocketRoute("/_event", echo_socket))
    api.mount("", PrecompressedStaticFiles(directory=frontend, html=True))
    return api


@pytest.fixture
def client(frontend: Path) -> Iterator[TestClient]:
    app = SecurityHeadersMiddleware(served(frontend), build_policy(PUBLIC_URL, PORT, "127.0.0.1", frontend))
    with TestClient(app, base_url=PUBLIC_URL, follow_redirects=False) as test_client:
        yield test_client


def script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def assert_secured(response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'",
                      "form-action 'self'", "connect-src 'self' http://localhost:3100 ws://localhost:3100"):
        assert directive in csp
    assert "camera=()" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers  # plain-HTTP public URL


def test_api_route_gets_the_headers_and_keeps_its_own(client):
    response = client.get("/auth/continue?token=abc")
    assert response.status_code == 200
    assert_secured(response)
    assert response.headers["cache-control"] == "no-store"
    assert len(response.headers.get_list("x-frame-options")) == 1


def test_page_asset_and_404_get_the_headers(client):
    page = client.get("/signin/")
    assert page.status_code == 200 and "Sign in" in page.text
    assert_secured(page)
    script_src = next(d for d in page.headers["content-security-policy"].split("; ") if d.startswith("script-src"))
    # The built page's inline script is allowed by its hash, not by 'unsafe-inline'.
    assert script_hash(INLINE_SCRIPT) in script_src and "'unsafe-inline'" not in script_src
    asset = client.get("/assets/app.js")
    assert asset.status_code == 200
    assert_secured(asset)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert_secured(missing)


def test_trailing_slash_redirect_is_relative(client):
    response = client.get("/signin?next=%2Fclients")
    assert response.status_code in (301, 307, 308)
    assert response.headers["location"] == "/signin/?next=%2Fclients"
    assert_secured(response)


def test_foreign_host_is_refused_and_never_reflected(client):
    for host in ("evil.example", "localhost:3100.evil.example", "localhost:3101", ""):
        response = client.get("/signin", headers={"host": host})
        assert response.status_code == 400, host
        assert "location" not in response.headers
        assert "PAZPAZ_PUBLIC_URL" in response.text
        assert_secured(response)
    # The launcher's health check asks 127.0.0.1 on the app's port.
    assert client.get("/auth/continue", headers={"host": f"127.0.0.1:{PORT}"}).status_code == 200


def test_websocket_handshake(client):
    # Starlette's test client sends Host "testserver" on websockets unless told otherwise.
    with client.websocket_connect("/_event", headers={"host": "localhost:3100"}) as socket:
        assert socket.receive_text() == "hello"
    with pytest.raises(WebSocketDisconnect) as refused, \
            client.websocket_connect("/_event", headers={"host": "evil.example"}):
        pass
    assert refused.value.code == 1008


def test_hsts_and_default_port_hosts_under_https(frontend, monkeypatch):
    monkeypatch.setenv("PAZPAZ_PUBLIC_URL", "https://pazpaz.example")
    reset_caches()
    try:
        app = with_security_headers(served(frontend))
        with TestClient(app, base_url="https://pazpaz.example", follow_redirects=False) as client:
            response = client.get("/signin")
            assert response.headers["strict-transport-security"].startswith("max-age=")
            # Behind a TLS proxy the app sees http; the redirect must not downgrade to it.
            assert response.headers["location"] == "/signin/"
            assert client.get("/signin/", headers={"host": "pazpaz.example:443"}).status_code == 200
            assert client.get("/signin/", headers={"host": "pazpaz.example:80"}).status_code == 400
    finally:
        monkeypatch.undo()
        reset_caches()
    assert "Strict-Transport-Security" not in security_headers("http://192.168.1.5:3000", [])
    assert "[::1]:3000" in allowed_hosts("http://[::1]:3000", 3000, "::1")


@pytest.fixture(scope="module")
def s3_server():
    weed = start_s3("s3-headers")
    yield weed
    weed.stop()


def test_files_keep_their_stricter_sandbox_policy(app_env, s3_server, monkeypatch, frontend):
    s3 = s3_server.settings
    monkeypatch.setenv("S3_ENDPOINT_URL", s3.endpoint_url)
    monkeypatch.setenv("S3_ACCESS_KEY_ID", s3.access_key_id)
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", s3.secret_access_key)
    monkeypatch.setenv("S3_BUCKET", s3.bucket)
    reset_caches()
    owner = make_workspace()
    client_id = clients.create_client(owner, ClientInput(first_name="Header", last_name="Client"))
    image = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 200)).save(image, format="PNG")
    attachment_id = attachments.store(owner, client_id, "swatch.png", image.getvalue())
    app = SecurityHeadersMiddleware(served(frontend), build_policy(PUBLIC_URL, PORT, "127.0.0.1", frontend))
    with TestClient(app, base_url=PUBLIC_URL, cookies=session_cookie(owner)) as client:
        response = client.get(attachments.download_url(owner, attachment_id))
    assert response.status_code == 200
    assert response.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_the_served_app_is_wrapped_as_a_whole(frontend, monkeypatch):
    """The server calls `pazpaz.pazpaz:app` (Granian factory=True): what it gets back must be
    the middleware around everything Reflex built, including Reflex's outermost app."""
    import reflex as rx

    from pazpaz.api.app import PazPazApp
    from pazpaz.api.websocket_cookie import HashWebsocketCookie
    from pazpaz.pazpaz import app

    assert isinstance(app, PazPazApp)
    reflex_built = served(frontend)
    monkeypatch.setattr(rx.App, "__call__", lambda self: reflex_built)
    wrapped = app()
    assert isinstance(wrapped, SecurityHeadersMiddleware)
    # Inside it, the websocket's session cookie is replaced by its hash (api/websocket_cookie.py).
    assert isinstance(wrapped.app, HashWebsocketCookie) and wrapped.app.app is reflex_built


def test_only_redirects_to_our_own_host_are_rewritten():
    own = _relative_location([(b"location", b"http://localhost:3100/signin/?a=1#x")], "localhost:3100")
    assert own == [(b"location", b"/signin/?a=1#x")]
    elsewhere = [(b"location", b"https://s3.example/bucket/key")]
    assert _relative_location(elsewhere, "localhost:3100") == elsewhere


@pytest.fixture
def loopback_client(frontend: Path) -> Iterator[TestClient]:
    """The app as `make run` serves it: the public URL is localhost on the app's own port."""
    public = f"http://localhost:{PORT}"
    app = SecurityHeadersMiddleware(served(frontend), build_policy(public, PORT, "127.0.0.1", frontend))
    with TestClient(app, base_url=public, follow_redirects=False) as test_client:
        yield test_client


def test_a_loopback_alias_of_the_public_host_redirects_to_it(app_env, loopback_client):
    for alias in (f"127.0.0.1:{PORT}", f"[::1]:{PORT}"):
        response = loopback_client.get("/signin/?next=%2Fclients&x=a%20b", headers={"host": alias})
        assert response.status_code == 307, alias
        assert response.headers["location"] == f"http://localhost:{PORT}/signin/?next=%2Fclients&x=a%20b"
        assert response.headers["cache-control"] == "no-store"
        assert all(response.headers[name] == value for name, value in COMMON.items())
    # The public host itself is served; programs keep every allowed host (health check, API, feeds).
    assert loopback_client.get("/signin/").status_code == 200
    assert loopback_client.get("/api/v1/health", headers={"host": f"127.0.0.1:{PORT}"}).status_code != 307
    assert loopback_client.post("/auth/signout", headers={"host": f"127.0.0.1:{PORT}"}).status_code != 307
    # A foreign Host is still refused, never redirected.
    refused = loopback_client.get("/signin/", headers={"host": "evil.example"})
    assert refused.status_code == 400 and "location" not in refused.headers


def test_the_other_way_round_and_only_for_loopback_public_urls(frontend):
    public = f"http://127.0.0.1:{PORT}"
    app = SecurityHeadersMiddleware(served(frontend), build_policy(public, PORT, "127.0.0.1", frontend))
    with TestClient(app, base_url=public, follow_redirects=False) as client:
        response = client.get("/", headers={"host": f"localhost:{PORT}"})
        assert response.status_code == 307 and response.headers["location"] == f"{public}/"
    # A real name (a proxy may forward its upstream address as Host) or a proxy on another port: no redirect.
    assert loopback_aliases("https://pazpaz.example", PORT) == frozenset()
    assert loopback_aliases(f"http://localhost:{PORT + 1}", PORT) == frozenset()
    assert loopback_aliases(f"http://localhost:{PORT}", PORT) == {f"127.0.0.1:{PORT}", f"[::1]:{PORT}"}


def test_a_redirect_never_carries_raw_control_characters(loopback_client):
    response = loopback_client.get("/a%0d%0aSet-Cookie:x", headers={"host": f"127.0.0.1:{PORT}"})
    assert response.status_code == 307 and "\r" not in response.headers["location"]
    assert "set-cookie" not in response.headers
