"""A tab's Reflex state belongs to the server session it was built under (docs/ARCHITECTURE.md,
"Tab state and the session").

Reflex keeps every tab's state in server memory under the tab token (sessionStorage) and sends
it back whenever that token connects and hydrates, cookie or not. So, before any event of a tab
is processed (the connect's ``hydrate_and_load``, ``hydrate``, on_load chains, uploads,
background events), `SessionBindingMiddleware` checks the cookie of *this* websocket connection
with the server and compares it with the session the state is bound to; on any mismatch the
whole state tree is reset before anything of it can be serialized.

Reflex 0.10.1 behaviour relied on (re-check on upgrade; tests/integration/test_tab_binding.py and
tests/e2e/test_phi_signout.py fail if it changes):
- ``rx.App.add_middleware`` / ``reflex.middleware.Middleware.preprocess`` is awaited by
  ``BaseStateEventProcessor._execute_event`` for every event, under the tab's state lock, after
  ``state.router_data`` was merged with the event's connection data (its ``headers`` are the
  headers of the websocket that sent it) and before the handler, the implicit re-hydrate or any
  delta.
- ``BaseState.reset()`` on the root resets every field (backend ``_vars`` included) of every loaded
  substate except the router data.
- ``StateManagerMemory`` keeps one root state per client token in ``states``, expires it
  ``token_expiration`` seconds (from ``rx.Config.redis_token_expiration``) after its last use.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import reflex as rx
from reflex.istate.manager.memory import StateManagerMemory
from reflex.middleware import Middleware
from reflex.state import StateUpdate
from reflex_base.constants import RouteVar
from reflex_base.event import Event

from pazpaz.infra import shared
from pazpaz.services import auth
from pazpaz.services.audit import RequestContext
from pazpaz.services.client_ip import client_ip
from pazpaz.services.tokens import hash_token
from pazpaz.settings import get_settings

if TYPE_CHECKING:
    from reflex.app import App
    from reflex.state import BaseState

log = logging.getLogger("pazpaz.state.binding")

# A tab whose session was revoked elsewhere: its next event resets it once more, in case a
# background task wrote into it after the drop.
DROPPED = "dropped"
SIGNED_OUT_PATH = "/signin?signed_out=1"


class SessionBindingState(rx.State):
    """Which server session this tab's state was built under (hash of the cookie token)."""

    _session_binding: str = ""


# The middleware's answer stands for the event it ran before, not for later work: a
# background task re-checking minutes later (an upload) asks the database again.
VERIFIED_FOR_SECONDS = 2.0


@dataclass(frozen=True)
class _Check:
    session: str  # session_key of the cookie it found valid, "" if none
    identity: auth.SignedIn | None
    at: float  # time.monotonic() of this process


# What the check before an event found, per tab, so the handler's own `_actor()` in the same
# event reuses it instead of asking the database a second time (see `fresh_identity`). Kept in
# this process, not in the tab's state: with REDIS_URL the state travels to other processes
# and machines, whose monotonic clocks differ and whose own checks must not be skipped.
_CHECKS: dict[str, _Check] = {}
_CHECKS_KEPT = 10_000


def _remember_check(tab: str, session: str, identity: auth.SignedIn | None) -> None:
    now = time.monotonic()
    if len(_CHECKS) >= _CHECKS_KEPT:
        for stale in [key for key, check in _CHECKS.items() if now - check.at > VERIFIED_FOR_SECONDS]:
            _CHECKS.pop(stale, None)
    _CHECKS[tab] = _Check(session, identity, now)


async def fresh_identity(state: BaseState, token: str | None) -> auth.SignedIn | None:
    """The identity the check before this event verified for this cookie, if just verified."""
    if not token:
        return None
    _, _, tab = _connection(_root(state))
    check = _CHECKS.get(tab)
    if (check is None or check.identity is None or check.session != session_key(token)
            or time.monotonic() - check.at > VERIFIED_FOR_SECONDS):
        return None
    return check.identity


def session_key(cookie_token: str) -> str:
    """What a tab is bound to: the cookie token's hash, as stored in the sessions table. The
    cookie value a tab's state holds is already that hash (`auth.session_hash`)."""
    return auth.session_hash(cookie_token)


async def check_session(token: str | None, context: RequestContext) -> auth.SignedIn | None:
    """The server's answer for the cookie value of a tab's connection (None: signed out,
    expired, revoked, deactivated)."""
    if not token:
        return None
    return await asyncio.to_thread(auth.validate_session, session_key(token), context, None, True)


# ---- which tabs belong to which session ---------------------------------------------------

@dataclass
class _Index:
    """Server-side map session -> tab tokens (and user -> sessions), to clear tabs on sign-out."""

    tabs_by_session: dict[str, set[str]] = field(default_factory=dict)
    session_by_tab: dict[str, str] = field(default_factory=dict)
    sessions_by_user: dict[str, set[str]] = field(default_factory=dict)
    last_bound: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_prune: float = 0.0

    def bind(self, tab: str, session: str, user_id: str) -> None:
        with self.lock:
            previous = self.session_by_tab.get(tab)
            if previous is not None and previous != session:
                self._unlink(tab, previous)
            self.session_by_tab[tab] = session
            self.tabs_by_session.setdefault(session, set()).add(tab)
            self.sessions_by_user.setdefault(user_id, set()).add(session)
            now = time.monotonic()
            self.last_bound[tab] = now
            if now - self.last_prune > 60:
                self._prune(now)

    def unbind(self, tab: str) -> None:
        with self.lock:
            previous = self.session_by_tab.get(tab)
            if previous is not None:
                self._unlink(tab, previous)

    def pop_session(self, session: str) -> set[str]:
        with self.lock:
            tabs = self.tabs_by_session.pop(session, set())
            for tab in tabs:
                self.session_by_tab.pop(tab, None)
                self.last_bound.pop(tab, None)
            for sessions in self.sessions_by_user.values():
                sessions.discard(session)
            return tabs

    def sessions(self) -> set[str]:
        with self.lock:
            return set(self.tabs_by_session)

    def sessions_of(self, user_id: str) -> set[str]:
        with self.lock:
            return set(self.sessions_by_user.pop(user_id, set()))

    def session_of(self, tab: str) -> str | None:
        with self.lock:
            return self.session_by_tab.get(tab)

    def _unlink(self, tab: str, session: str) -> None:
        self.session_by_tab.pop(tab, None)
        self.last_bound.pop(tab, None)
        tabs = self.tabs_by_session.get(session)
        if tabs is not None:
            tabs.discard(tab)
            if not tabs:
                del self.tabs_by_session[session]

    def _prune(self, now: float) -> None:
        # The state manager forgets a tab unused for the idle timeout; so does the index,
        # except for a tab still connected: its screen may show data until sign-out or expiry
        # sends it away.
        horizon = get_settings().session_idle_minutes * 60
        for tab, bound_at in list(self.last_bound.items()):
            if now - bound_at > horizon and not (_app is not None and _connected(_app, tab)):
                self._unlink(tab, self.session_by_tab.get(tab, ""))
        for user_id, sessions in list(self.sessions_by_user.items()):
            sessions.intersection_update(self.tabs_by_session)
            if not sessions:
                del self.sessions_by_user[user_id]
        self.last_prune = now


INDEX = _Index()


# ---- the check before every event ----------------------------------------------------------

def _root(state: BaseState) -> BaseState:
    while state.parent_state is not None:
        state = state.parent_state
    return state


def _connection(root: BaseState) -> tuple[dict[str, str], str, str]:
    """(headers, client ip, tab token) of the connection that sent the event being processed."""
    data = root.router_data or {}
    headers = data.get(RouteVar.HEADERS) or {}
    return (headers if isinstance(headers, dict) else {}, str(data.get(RouteVar.CLIENT_IP) or ""),
            str(data.get(RouteVar.CLIENT_TOKEN) or ""))


def _state_classes(cls: type[BaseState]) -> list[type[BaseState]]:
    found = [cls]
    for substate in cls.get_substates():
        found.extend(_state_classes(substate))
    return found


async def reset_whole_tree(root: BaseState) -> None:
    """Reset every substate of the tab, backend vars included. `reset()` reaches only the
    substates loaded in this tree: the memory manager always holds the whole tree, but the Redis
    one (REDIS_URL) loads only what the event needs, and a note left in an unloaded substate
    would reach the next session's hydrate. So load every substate first."""
    for state_cls in _state_classes(type(root)):
        await root.get_state(state_cls)
    root.reset()


async def enforce(state: BaseState) -> None:
    """Reset the tab's whole state unless this connection's cookie is the session it was built for.

    Must run under the tab's state lock, before anything of the state is serialized.
    """
    root = _root(state)
    headers, peer, tab = _connection(root)
    token = auth.cookie_token(headers.get("cookie"))
    ip = client_ip(peer or None, headers.get("x-forwarded-for"), get_settings().trusted_proxies)
    context = RequestContext(ip=ip, user_agent=headers.get("user-agent"))
    identity = await check_session(token, context)
    current = session_key(token) if identity is not None and token else ""
    binding = await root.get_state(SessionBindingState)
    bound = binding._session_binding
    if bound and bound != current:
        await reset_whole_tree(root)  # the binding too: an anonymous connection leaves the tab unbound
        if tab:
            INDEX.unbind(tab)
        if token and bound == session_key(token):
            # The session itself ended (expired, revoked): clear its other tabs too. In its own
            # task, so two tabs of one session never wait on each other's state lock.
            _spawn(drop_session(bound))
    if tab:
        _remember_check(tab, current, identity)
    if identity is not None:
        # Assigned on every event, changed or not: with Redis a state's key is given a new expiry
        # (the idle timeout) only when it is saved, and a binding that expired while the tab's
        # other states stay would leave them unbound (kept across a sign-out).
        binding._session_binding = current
        if tab:
            INDEX.bind(tab, current, str(identity.user_id))


class SessionBindingMiddleware(Middleware):
    """Runs `enforce` before Reflex processes any event of a tab."""

    async def preprocess(self, app: App, state: BaseState, event: Event) -> None:
        await enforce(state)
        return None


# ---- clearing tabs from outside their own events ---------------------------------------------

_app: App | None = None
_tasks: set[asyncio.Task] = set()


def _spawn(coroutine: Any) -> None:
    task = asyncio.get_running_loop().create_task(coroutine)
    _tasks.add(task)  # keep a reference until it finishes
    task.add_done_callback(_tasks.discard)


def _tab_exists(app: App, tab: str) -> bool:
    manager = app.state_manager
    if isinstance(manager, StateManagerMemory):
        return tab in manager.states  # never create a state just to clear it
    return True


def _connected(app: App, tab: str) -> bool:
    namespace = app.event_namespace
    return namespace is not None and tab in namespace.token_to_sid


async def _drop_tab(app: App, tab: str, session: str) -> None:
    connected = _connected(app, tab)
    if _tab_exists(app, tab):
        token = rx.BaseStateToken(ident=tab, cls=SessionBindingState)
        # A connected tab gets the emptied state at once (app.modify_state sends the delta).
        modify = app.modify_state if connected else app.state_manager.modify_state
        async with modify(token) as state:
            root = _root(state)
            binding = await root.get_state(SessionBindingState)
            if binding._session_binding != session:
                return  # the tab was bound to another session meanwhile
            await reset_whole_tree(root)
            (await root.get_state(SessionBindingState))._session_binding = DROPPED
    # Even when its server state has expired, a connected tab may still show what it drew.
    if connected and app.event_namespace is not None:
        # An open tab of the ended session goes to the sign-in page instead of an empty page.
        leave = Event.from_event_type(rx.redirect(SIGNED_OUT_PATH))
        await app.event_namespace.emit_update(StateUpdate(events=leave), tab)


async def drop_tabs(app: App, session: str, tabs: Iterable[str]) -> None:
    for tab in tabs:
        try:
            await _drop_tab(app, tab, session)
        except Exception as failure:  # one tab must not keep the others' data alive
            log.error("clearing a tab after sign-out failed (%s)", type(failure).__name__)


async def _drop_session_here(session: str) -> None:
    tabs = INDEX.pop_session(session)
    if _app is not None and tabs:
        await drop_tabs(_app, session, tabs)


async def _drop_user_here(user_id: str) -> None:
    for session in INDEX.sessions_of(user_id):
        await _drop_session_here(session)


async def drop_session(session: str) -> None:
    """Clear every tab bound to a session (sign-out, expiry), in this process and, with
    REDIS_URL, in every other one (their tabs were bound there)."""
    await _drop_session_here(session)
    await asyncio.to_thread(shared.publish, "session-ended", session)


async def drop_user(user_id: str) -> None:
    """Clear every tab of every session of a user (deactivation), in every process."""
    await _drop_user_here(user_id)
    await asyncio.to_thread(shared.publish, "user-ended", user_id)


shared.on("session-ended", _drop_session_here)
shared.on("user-ended", _drop_user_here)


# How often open tabs are checked for a session that ended with nobody clicking (idle or
# absolute timeout, revoked elsewhere): at most this long a screen stays after expiry.
SWEEP_SECONDS = 60


async def sweep_ended_sessions() -> set[str]:
    """Empty (and send to sign-in) every tab whose session has ended; returns those sessions."""
    ended = await asyncio.to_thread(auth.ended_sessions, INDEX.sessions())
    for session in ended:
        await _drop_session_here(session)  # every process sweeps its own tabs
    return ended


async def _sweep_forever() -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await sweep_ended_sessions()
        except Exception as failure:  # keep sweeping; the per-event check still holds
            log.error("sweeping ended sessions failed (%s)", type(failure).__name__)


def drop_user_soon(user_id: str) -> None:
    """`drop_user` from inside an event handler: in its own task, never nested in the caller's
    state lock."""
    _spawn(drop_user(str(user_id)))


async def upload_allowed(tab: str | None, cookie: str | None, context: RequestContext) -> bool:
    """An upload for a tab is accepted only with the upload request's own valid cookie, of the
    session that tab is bound to (never the websocket's cached headers)."""
    if not tab or not cookie:
        return False
    # An HTTP request's own cookie: the token itself (a hash is no credential here).
    if await asyncio.to_thread(auth.validate_session, cookie, context) is None:
        return False
    return await _bound_session(tab) == hash_token(cookie)


async def _bound_session(tab: str) -> str | None:
    """The session a tab is bound to. This process's index knows the tabs whose events it ran;
    with REDIS_URL the upload may reach another process than the tab's websocket, so the
    binding is then read from the tab's shared state (nothing is written: nothing is touched)."""
    known = INDEX.session_of(tab)
    if known is not None or _app is None or isinstance(_app.state_manager, StateManagerMemory):
        return known
    # Under the tab's lock: a process holding the tab's state between events (Reflex's
    # opportunistic lock) hands it over through Redis first; a plain read would miss it.
    async with _app.state_manager.modify_state(rx.BaseStateToken(ident=tab, cls=SessionBindingState)) as state:
        binding = await _root(state).get_state(SessionBindingState)
        bound = binding._session_binding
    return bound if bound and bound != DROPPED else None


# ---- logs -----------------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_EVENT_DATA = re.compile(r"(Event data:|event data:|with value ').*", re.DOTALL)


class RedactTabTokens(logging.Filter):
    """Reflex writes tab tokens (UUIDs) and raw event payloads into some warnings: blank them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _EVENT_DATA.sub(r"\1 [redacted]", _UUID.sub("[tab]", message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# Reflex 0.10.1 modules whose messages can carry a tab token or an event payload. A logger's own
# filter sees every record it creates, whatever handlers Reflex or granian attach later.
REFLEX_LOGGERS = (
    "reflex.app",
    "reflex.state",
    "reflex.utils.token_manager",
    "reflex.istate.manager",
    "reflex.istate.manager.memory",
    "reflex.istate.manager.redis",
    "reflex_base.event.processor.event_processor",
    "reflex_base.event.processor.base_state_processor",
)


def install_log_redaction() -> None:
    redactor = RedactTabTokens()
    for name in REFLEX_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTabTokens) for f in logger.filters):
            logger.addFilter(redactor)


def install(app: App) -> None:
    """Wire the binding into the app: the check before every event, and tab clearing."""
    global _app
    _app = app
    app.add_middleware(SessionBindingMiddleware(), index=0)
    app.register_lifespan_task(_sweep_forever)
    if shared.enabled():
        app.register_lifespan_task(shared.listen_forever)
    install_log_redaction()
