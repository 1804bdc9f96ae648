"""No health data reaches a tab after its session ended, or a connection without the cookie.

Every websocket frame a tab receives is captured (Playwright), and a raw websocket speaking
Reflex's Socket.IO protocol replays a tab's token without the cookie.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import ExitStack

from playwright.sync_api import Page, expect
from websockets.sync.client import connect

from tests.e2e.conftest import BASE_URL, PORT
from tests.e2e.flows import signed_in_owner

NOTE_URL = re.compile(rf"{BASE_URL}/notes/[0-9a-f-]+")
SIGNIN_URL = re.compile(rf"{BASE_URL}/signin.*")


def canaries() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"address": f"CanaryStreet{tag} 12", "intake": f"CanaryIntake{tag} old fracture",
            "goal": f"CanaryGoal{tag} climb stairs", "soap": f"CanarySoap{tag} lower back pain"}


def record_frames(page: Page, received: list[str], sent: list[str] | None = None) -> None:
    def watch(ws) -> None:
        ws.on("framereceived", lambda payload: received.append(payload if isinstance(payload, str) else
                                                               payload.decode("utf-8", "replace")))
        if sent is not None:
            ws.on("framesent", lambda payload: sent.append(payload if isinstance(payload, str) else
                                                           payload.decode("utf-8", "replace")))
    page.on("websocket", watch)


def leaked(frames: list[str], secret: dict[str, str]) -> list[str]:
    return [name for name, value in secret.items() if any(value in frame for frame in frames)]


def client_with_phi(page: Page, secret: dict[str, str]) -> tuple[str, str]:
    """A client with a canary address, intake note, plan goal and SOAP draft; (client url, note url)."""
    page.goto("/clients/new")
    page.get_by_label("First name").fill("Noa")
    page.get_by_label("Last name").fill("Canary")
    page.get_by_label("Address").fill(secret["address"])
    page.get_by_label("Intake and medical notes").fill(secret["intake"])
    page.get_by_role("button", name="Create client").click()
    expect(page.locator("#client-name")).to_have_text("Noa Canary")
    client_url = page.url
    page.get_by_label("New goal").fill(secret["goal"])
    page.get_by_label("Target date").fill("2027-02-01")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_text(secret["goal"]).first).to_be_visible()
    page.get_by_role("button", name="New note").click()
    expect(page).to_have_url(NOTE_URL)
    page.get_by_label("Subjective", exact=True).fill(secret["soap"])
    page.get_by_label("Subjective", exact=True).blur()
    expect(page.locator("#save-state")).to_contain_text("Saved")
    return client_url, page.url


def open_in_second_tab(page: Page, client_url: str, note_url: str, secret: dict[str, str],
                       received: list[str], sent: list[str] | None = None) -> Page:
    tab = page.context.new_page()
    record_frames(tab, received, sent)
    tab.goto(client_url)
    expect(tab.get_by_text(secret["address"])).to_be_visible()
    tab.goto(note_url)
    expect(tab.get_by_label("Subjective", exact=True)).to_have_value(secret["soap"])
    # The tab really held the data: the check below is not vacuous.
    assert set(leaked(received, secret)) >= {"soap"}
    return tab


def tab_token(page: Page) -> str:
    return page.evaluate("sessionStorage.getItem('token')")


def test_reload_after_sign_out_in_another_tab_receives_no_phi(page, smtp_sink):
    secret = canaries()
    signed_in_owner(page, smtp_sink, practice="Canary Practice")
    client_url, note_url = client_with_phi(page, secret)
    received: list[str] = []
    second = open_in_second_tab(page, client_url, note_url, secret, received)
    token_before = tab_token(second)

    received.clear()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    # The open second tab is sent to sign-in too, with its data gone.
    expect(second.get_by_text("You are signed out.")).to_be_visible()

    second.reload()
    expect(second).to_have_url(SIGNIN_URL)
    second.goto(note_url)
    expect(second).to_have_url(SIGNIN_URL)
    assert tab_token(second) == token_before  # the same tab token came back: its old state was asked for
    assert received, "no websocket frame was captured"
    assert leaked(received, secret) == []
    second.close()


class SocketIO:
    """Just enough of Engine.IO 4 / Socket.IO 5 to talk to Reflex as a tab, without a cookie."""

    def __init__(self, token: str) -> None:
        url = f"ws://localhost:{PORT}/_event/?token={token}&EIO=4&transport=websocket"
        self._stack = ExitStack()
        self.ws = self._stack.enter_context(connect(url, origin=BASE_URL, open_timeout=15))
        self.frames: list[str] = [self.ws.recv(timeout=15)]  # engine.io open

    def send(self, packet: str) -> None:
        self.ws.send(packet)

    def read_until(self, done: Callable[[str], bool]) -> list[str]:
        while True:
            frame = self.ws.recv(timeout=30)
            self.frames.append(frame)
            if frame == "2":  # engine.io ping
                self.ws.send("3")
            if done(frame):
                return self.frames

    def close(self) -> None:
        self._stack.close()


def replay_without_cookie(token: str, connect_packet: str) -> SocketIO:
    """Reconnect as the tab (its CONNECT packet carries the hydrate), once the server has let go
    of the closed tab's socket: while it is linked, Reflex hands a duplicate a fresh token."""
    for _ in range(60):
        sio = SocketIO(token)
        sio.send(connect_packet)
        frames = sio.read_until(lambda frame: frame.startswith("40"))
        if not any("new_token" in frame for frame in frames):
            return sio
        sio.close()
        time.sleep(0.5)
    raise AssertionError("the closed tab's socket stayed linked to its token")


def _hydrate_packet(namespace: str, note_path: str) -> str:
    event = {"name": "reflex___state____state.hydrate", "payload": {},
             "router_data": {"pathname": note_path, "query": {}, "asPath": note_path}}
    return f"42{namespace},{json.dumps(['event', event])}"


def test_tab_token_without_the_cookie_gets_no_phi(page, smtp_sink):
    secret = canaries()
    signed_in_owner(page, smtp_sink, practice="Token Practice")
    client_url, note_url = client_with_phi(page, secret)
    received: list[str] = []
    sent: list[str] = []
    second = open_in_second_tab(page, client_url, note_url, secret, received, sent)
    token = tab_token(second)
    connect_packet = [frame for frame in sent if frame.startswith("40")][-1]
    namespace = re.match(r"40(/[^,{]*)?", connect_packet).group(1) or ""
    second.close()  # the session stays valid: only the cookie is missing below

    sio = replay_without_cookie(token, connect_packet)
    try:
        # The note page's on_load sends a visitor without a session to sign-in ...
        sio.read_until(lambda frame: "/signin" in frame)
        # ... and an explicit hydrate afterwards gets the state as it is now.
        sio.send(_hydrate_packet(namespace, note_url.removeprefix(BASE_URL)))
        frames = sio.read_until(lambda frame: "is_hydrated" in frame)
    finally:
        sio.close()
    assert sum("is_hydrated" in frame for frame in frames) >= 2, "the hydrates were not answered"
    assert leaked(frames, secret) == []

    # The person with the cookie still gets their note back after a reload.
    page.goto(note_url)
    expect(page.get_by_label("Subjective", exact=True)).to_have_value(secret["soap"])


def test_sign_in_and_sign_out_start_a_new_tab_token(page, smtp_sink):
    from tests.e2e.flows import open_link_and_continue, request_link

    email = signed_in_owner(page, smtp_sink, practice="Token Turnover")
    signed_in_token = tab_token(page)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    signed_out_token = tab_token(page)
    assert signed_out_token and signed_out_token != signed_in_token

    # The link opened in the same tab: the Continue page starts a new token too.
    open_link_and_continue(page, request_link(page, smtp_sink, email))
    expect(page.get_by_text("Welcome,")).to_be_visible()
    assert tab_token(page) not in (signed_in_token, signed_out_token, None)


def _post_upload(token: str, cookie: str | None) -> int:
    request = urllib.request.Request(f"{BASE_URL}/_upload", data=b"--x--\r\n", method="POST", headers={
        "reflex-client-token": token, "reflex-event-handler": "x", "origin": BASE_URL,
        "content-type": "multipart/form-data; boundary=x", **({"cookie": cookie} if cookie else {})})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_upload_needs_the_requests_own_session_cookie(page, smtp_sink):
    signed_in_owner(page, smtp_sink, practice="Upload Practice")
    page.goto("/clients")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    token = tab_token(page)
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["pazpaz_session"]

    assert _post_upload(token, None) == 403
    assert _post_upload(token, "pazpaz_session=" + "x" * 43) == 403
    # With its own valid cookie the request gets past the guard (to Reflex, which refuses the
    # made-up handler name).
    assert _post_upload(token, f"pazpaz_session={cookie}") == 400
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert _post_upload(token, f"pazpaz_session={cookie}") == 403
    with urllib.request.urlopen(f"{BASE_URL}/api/v1/health", timeout=15):
        pass
    try:
        urllib.request.urlopen(f"{BASE_URL}/_upload/anything.txt", timeout=15)
        raise AssertionError("Reflex's public upload folder is served")
    except urllib.error.HTTPError as refused:
        assert refused.code == 404
