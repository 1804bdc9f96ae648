"""Security headers and a Host allow-list for every response the app's port serves.

A pure ASGI middleware wrapped around the whole Reflex ASGI app (see `PazPazApp` in
pazpaz/api/app.py), so page HTML, JS/CSS assets, 404s, redirects, `/_upload`, the API and
websocket handshakes all pass through it. A route that sets its own header (the stricter
sandbox CSP of /files) keeps it: defaults only fill in what a response lacks.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("pazpaz.api.headers")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_PORTS = {"http": 80, "https": 443}
BAD_HOST_BODY = b"Unknown host. PazPaz answers only at its configured address (PAZPAZ_PUBLIC_URL).\n"
# An inline <script> without a src attribute; its body can't contain "</script>".
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.S | re.I)


@dataclass(frozen=True)
class HeaderPolicy:
    headers: tuple[tuple[bytes, bytes], ...]  # added to a response that lacks them
    allowed_hosts: frozenset[str]  # lower-case Host header values ("name" or "name:port")
    # Other loopback names of a loopback public URL ("127.0.0.1:3000" when it is localhost:3000):
    # a page opened there would load but its websocket is refused (another origin), so a
    # browser's GET is sent to the public URL instead.
    loopback_aliases: frozenset[str] = frozenset()
    public_origin: str = ""


def inline_script_hashes(static_dir: Path) -> list[str]:
    """CSP hash sources for the inline scripts of the prerendered pages we built.

    React Router's prerendered HTML carries small inline scripts (hydration context, route
    module imports, React's streaming helpers). Hashing them at start-up lets the CSP allow
    exactly those and no other inline script; hashing what a response carries instead would
    also bless a script an attacker managed to inject.
    """
    hashes: set[str] = set()
    if not static_dir.is_dir():
        return []
    for page in static_dir.rglob("*.html"):
        for match in _INLINE_SCRIPT.finditer(page.read_bytes()):
            digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def content_security_policy(public_url: str, script_hashes: Iterable[str]) -> str:
    origin = public_url.rstrip("/")
    socket_origin = re.sub(r"^http", "ws", origin)
    directives = {
        "default-src": "'self'",
        # No 'unsafe-eval': PazPaz never sends rx.call_script strings (Reflex eval()s them);
        # browser-side functions are compiled into the pages (docs/ARCHITECTURE.md).
        "script-src": " ".join(["'self'", *script_hashes]),
        # Radix Themes style attributes and emotion's injected <style> tags.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        # The websocket and upload URLs are baked into the build from the public URL.
        "connect-src": f"'self' {origin} {socket_origin}",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(public_url: str, script_hashes: Iterable[str]) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(public_url, script_hashes),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        # Photos come from a file input (the phone offers its camera app): no page needs
        # getUserMedia, location or payment APIs.
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if public_url.startswith("https://"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def allowed_hosts(public_url: str, port: int, bind_host: str) -> frozenset[str]:
    """The public URL's host, plus loopback (and a concrete bind address) on the app's port.

    Loopback names serve the launcher's health check and a reverse proxy that forwards its
    upstream address as Host; a DNS-rebinding page can't make a browser send them.
    """
    parts = urlsplit(public_url)
    name = (parts.hostname or "").lower()
    if ":" in name:
        name = f"[{name}]"
    public_port = parts.port or DEFAULT_PORTS[parts.scheme]
    hosts = {f"{name}:{public_port}"}
    if parts.port is None or parts.port == DEFAULT_PORTS[parts.scheme]:
        hosts.add(name)
    hosts.update(f"{loopback}:{port}" for loopback in LOOPBACK_NAMES)
    bind = bind_host.strip("[]").lower()
    if bind not in ("0.0.0.0", "::", ""):
        hosts.add(f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}")
    return frozenset(hosts)


def loopback_aliases(public_url: str, port: int) -> frozenset[str]:
    """The loopback Hosts to redirect to a loopback public URL served on the app's own port.
    None when the public host is a real name (a proxy may forward its upstream address as
    Host) or a proxy on another port is in front."""
    parts = urlsplit(public_url)
    name = (parts.hostname or "").lower()
    if ":" in name:
        name = f"[{name}]"
    if name not in LOOPBACK_NAMES or (parts.port or DEFAULT_PORTS[parts.scheme]) != port:
        return frozenset()
    return frozenset(f"{alias}:{port}" for alias in LOOPBACK_NAMES if alias != name)


def build_policy(public_url: str, port: int, bind_host: str, static_dir: Path) -> HeaderPolicy:
    headers = security_headers(public_url, inline_script_hashes(static_dir))
    return HeaderPolicy(
        headers=tuple((name.lower().encode(), value.encode()) for name, value in headers.items()),
        allowed_hosts=allowed_hosts(public_url, port, bind_host),
        loopback_aliases=loopback_aliases(public_url, port),
        public_origin=public_url.rstrip("/"),
    )


# Programs, not browsers, call these (the launcher's health check on 127.0.0.1, curl with a
# token, calendar apps): they answer on every allowed host.
_NO_REDIRECT_PREFIXES = ("/api/", "/feed/")
# Characters kept as they are when a path or query is copied into a redirect (already-escaped
# "%XX" stays escaped; anything else, control characters included, is percent-encoded).
_URL_SAFE = "/%:@!$&'()*+,;=-._~"


def _redirects_to_public(scope: Scope, host: str, policy: HeaderPolicy) -> bool:
    return (scope["type"] == "http" and host in policy.loopback_aliases
            and scope.get("method") in ("GET", "HEAD")
            and not str(scope.get("path", "")).startswith(_NO_REDIRECT_PREFIXES))


def _host(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return value.decode("latin-1").strip().lower()
    return None


def _with_defaults(headers: Iterable[tuple[bytes, bytes]], policy: HeaderPolicy) -> list[tuple[bytes, bytes]]:
    result = list(headers)
    present = {name.lower() for name, _ in result}
    result.extend((name, value) for name, value in policy.headers if name not in present)
    return result


def _relative_location(headers: list[tuple[bytes, bytes]], host: str) -> list[tuple[bytes, bytes]]:
    """Make a redirect to our own host relative, so it never carries a scheme or host taken
    from the request (Starlette's trailing-slash redirect builds one from Host)."""
    result = []
    for name, value in headers:
        if name.lower() == b"location":
            target = urlsplit(value.decode("latin-1"))
            if target.netloc and target.netloc.lower() == host:
                relative = target.path or "/"
                relative += f"?{target.query}" if target.query else ""
                relative += f"#{target.fragment}" if target.fragment else ""
                value = relative.encode("latin-1")
        result.append((name, value))
    return result


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, policy: HeaderPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _host(scope)
        if host not in self.policy.allowed_hosts:
            log.warning("Refused a request for an unknown host %r", (host or "")[:80])
            await self._refuse(scope, receive, send)
            return
        if _redirects_to_public(scope, host, self.policy):
            await self._to_public_url(scope, send)
            return

        async def send_with_headers(message: Message) -> None:
            kind = message["type"]
            if kind in ("http.response.start", "websocket.http.response.start"):
                headers = _relative_location(list(message.get("headers", ())), host)
                message = {**message, "headers": _with_defaults(headers, self.policy)}
            elif kind == "websocket.accept":
                message = {**message, "headers": _with_defaults(message.get("headers", ()), self.policy)}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _to_public_url(self, scope: Scope, send: Send) -> None:
        # The path is re-encoded from the parsed request; nothing else of the request (its
        # Host included) goes into the target. 307: not cached, so changing the public URL
        # later leaves no stale redirect in a browser.
        target = self.policy.public_origin + quote(str(scope.get("path") or "/"), safe=_URL_SAFE)
        query = scope.get("query_string", b"")
        if query:
            target += "?" + quote(query.decode("latin-1"), safe=_URL_SAFE + "?")
        headers = _with_defaults([(b"location", target.encode("latin-1")), (b"content-length", b"0"),
                                  (b"cache-control", b"no-store")], self.policy)
        await send({"type": "http.response.start", "status": 307, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await receive()
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = _with_defaults([(b"content-type", b"text/plain; charset=utf-8"),
                                  (b"content-length", str(len(BAD_HOST_BODY)).encode())], self.policy)
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": BAD_HOST_BODY})
