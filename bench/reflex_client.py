"""A tab of PazPaz without a browser: Reflex's websocket protocol, as the compiled front end
speaks it (reflex_base/.templates/web/utils/state.js, socket.io-client):

- a websocket to `<origin>/_event/?EIO=4&transport=websocket&token=<tab token>` (the tab's
  sessionStorage token) with the page's Origin and the session cookie; Engine.IO v4 framing
  ("0" open, "2"/"3" ping/pong, "4" message) around Socket.IO v5 packets on the namespace
  "/_event" ("40" connect, "42" event);
- emit "event" with {name: "<full state name>.<handler>", payload: {...}, router_data:
  {pathname, asPath, query}}; the server answers with "event" messages {delta, events}.
  Nothing marks an event's last answer (`final` is deprecated and unset), so a caller names
  the var its event sets (`expect`): the round trip ends when a delta carrying it arrives,
  which is when a browser would draw the result.

python-socketio's asyncio client needs aiohttp, which is not installed here, so the few
frames are written directly over `websockets`. Used by the load test (bench/load.py) and
the several-process tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets

ROOT_STATE = "reflex___state____state"
REDIRECT = ("", "")  # expect=REDIRECT: the event's answer is a navigation
_ABSENT = object()
NAMESPACE = "/_event"


def state_name(state_cls: type) -> str:
    return state_cls.get_full_name()


@dataclass
class Reply:
    """What the server sent for one event: merged deltas, follow-up events, seconds taken."""

    delta: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def var(self, state: str, name: str, default: Any = None) -> Any:
        """A var of a state as this reply set it (Reflex suffixes var names with _rx_state_)."""
        values = self.delta.get(state, {})
        for key, value in values.items():
            if key == name or key.startswith(name + "_rx_state_"):
                return value
        return default

    def redirect(self) -> str | None:
        for event in self.events:
            if event.get("name") == "_redirect":
                return event.get("payload", {}).get("path")
        return None


class Tab:
    """One browser tab: one websocket, events sent one at a time (as a person clicks)."""

    def __init__(self, base_url: str, cookie: str | None, origin: str, token: str | None = None,
                 timeout: float = 30.0) -> None:
        self.base_url, self.cookie, self.origin = base_url, cookie, origin
        self.token = token or str(uuid.uuid4())
        self.timeout = timeout
        self.path = "/"
        self.pushed: list[dict[str, Any]] = []  # updates that arrived with no event waiting
        self._ws: Any = None
        self._reader: asyncio.Task | None = None
        self._connected: asyncio.Future[None] | None = None
        self._waiting: asyncio.Future[Reply] | None = None
        self._expect: tuple[str, str] | None = None
        self._answers = self._skip = 0
        self._reply = Reply()

    async def connect(self) -> None:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        url = f"{scheme}://{parts.netloc}{NAMESPACE}/?EIO=4&transport=websocket&token={self.token}"
        headers = {"Origin": self.origin}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self._ws = await websockets.connect(url, additional_headers=headers, open_timeout=self.timeout,
                                            max_size=2**24, compression=None)
        self._connected = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._connected, self.timeout)

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                await self._frame(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            failure = ConnectionError("the websocket closed")
            for future in (self._connected, self._waiting):
                if future is not None and not future.done():
                    future.set_exception(failure)

    async def _frame(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            return
        kind, body = frame[:1], frame[1:]
        if kind == "0":  # Engine.IO open: join the namespace
            await self._ws.send(f"40{NAMESPACE},")
        elif kind == "2":  # ping
            await self._ws.send("3")
        elif kind == "4":
            self._packet(body)

    def _packet(self, body: str) -> None:
        kind, rest = body[:1], body[1:]
        if rest.startswith(NAMESPACE):
            rest = rest[len(NAMESPACE):].removeprefix(",")
        if kind == "0" and self._connected is not None and not self._connected.done():
            self._connected.set_result(None)
        elif kind == "4" and self._connected is not None and not self._connected.done():
            self._connected.set_exception(ConnectionError(f"connection refused: {rest[:200]}"))
        elif kind == "2":
            name, *arguments = json.loads(rest)
            if name == "event" and arguments:
                self._update(arguments[0])
            elif name == "new_token" and arguments:
                self.token = arguments[0]

    def _update(self, update: dict[str, Any]) -> None:
        if self._waiting is None or self._waiting.done():
            self.pushed.append(update)
            return
        for state, values in (update.get("delta") or {}).items():
            self._reply.delta.setdefault(state, {}).update(values)
        self._reply.events.extend(update.get("events") or [])
        self._answers += 1
        if self._answers <= self._skip:
            return  # the hydrate's snapshot: it names every var, the on_load result comes after
        expected = self._expect
        this = Reply(delta=update.get("delta") or {}, events=update.get("events") or [])
        arrived = expected != REDIRECT and this.var(*expected, default=_ABSENT) is not _ABSENT if expected else True
        if arrived or this.redirect() is not None:
            self._waiting.set_result(self._reply)

    async def send(self, name: str, payload: dict[str, Any] | None = None, path: str | None = None,
                   expect: tuple[str, str] | None = None, skip: int = 0) -> Reply:
        """Send one event; wait for the answer that sets `expect` (state, var) or redirects
        (`expect=REDIRECT`: only that), or for the first answer when nothing is expected."""
        if path is not None:
            self.path = path
        pathname, _, query = self.path.partition("?")
        router_data: dict[str, Any] = {"pathname": pathname, "asPath": self.path}
        if query:
            router_data["query"] = dict(pair.partition("=")[::2] for pair in query.split("&"))
        self._reply, self._expect, self._answers, self._skip = Reply(), expect, 0, skip
        self._waiting = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        event = {"name": name, "payload": payload or {}, "router_data": router_data}
        await self._ws.send(f"42{NAMESPACE}," + json.dumps(["event", event]))
        try:
            reply = await asyncio.wait_for(self._waiting, self.timeout)
        finally:
            self._waiting = None
        reply.seconds = time.perf_counter() - started
        return reply

    async def hydrate(self, path: str, expect: tuple[str, str] | None = None) -> Reply:
        """What a page load does: hydrate, then the page's on_load handlers (wait for the var
        an on_load handler sets with `expect`)."""
        return await self.send(f"{ROOT_STATE}.hydrate_and_load", path=path, expect=expect,
                               skip=1 if expect else 0)

    async def navigate(self, path: str, expect: tuple[str, str] | None = None) -> Reply:
        """What a click on a link (or a redirect) does in a hydrated tab: the browser changes the
        route without reloading and sends only the page's on_load chain (no snapshot).
        Without a language cookie there is no client storage to send first (the front end's
        `onLoadInternalEvent`, .web/utils/state.js)."""
        from reflex.state import OnLoadInternalState

        return await self.send(f"{state_name(OnLoadInternalState)}.on_load_internal", path=path, expect=expect)
