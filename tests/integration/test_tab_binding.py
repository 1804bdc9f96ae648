"""A tab's Reflex state is bound to the server session (pazpaz.state.binding), against a real
PostgreSQL and Reflex's real in-memory state manager."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlalchemy import update

from pazpaz.models import AuthSession, User
from pazpaz.models.base import utcnow
from pazpaz.services import auth
from pazpaz.services.scope import system_session
from pazpaz.settings import get_settings
from pazpaz.state import binding
from pazpaz.state.handler import SignInRequired
from pazpaz.state.notes import NoteState
from pazpaz.state.session import SessionState
from pazpaz.state.signin import SignInState
from tests.support.factories import CTX, make_workspace

CANARY = "CANARY-soap-7f3a"


def open_session(user_id: uuid.UUID) -> str:
    with system_session() as session:
        token, _ = auth.open_session(session, session.get(User, user_id), CTX, utcnow())
    return token


def sign_out(token: str) -> None:
    auth.sign_out(token, CTX)


def idle_for_too_long(token: str) -> None:
    idle = timedelta(minutes=get_settings().session_idle_minutes + 1)
    with system_session() as session:
        session.execute(update(AuthSession).where(AuthSession.token_hash == binding.session_key(token))
                        .values(last_seen_at=utcnow() - idle))




def connect(root, tab: str, cookie: str | None) -> None:
    """What Reflex does before preprocessing an event: this connection's data on the state."""
    headers = {"user-agent": "pytest"}
    if cookie is not None:
        headers["cookie"] = f"theme=dark; {get_settings().session_cookie_name}={cookie}"
    root.router_data = {"token": tab, "ip": "192.0.2.1", "headers": headers, "pathname": "/notes/x"}


async def event(app, tab: str, cookie: str | None):
    """One event of a tab: the binding check under the state lock; returns the root state."""
    async with app.state_manager.modify_state(rx.BaseStateToken(ident=tab, cls=rx.State)) as root:
        connect(root, tab, cookie)
        await binding.enforce(root)
        return root


async def open_note(app, tab: str, cookie: str) -> None:
    root = await event(app, tab, cookie)
    note = await root.get_state(NoteState)
    note.sections = {**note.sections, "subjective": CANARY}
    (await root.get_state(SessionState))._user_id = CANARY
    (await root.get_state(SessionState)).user_name = CANARY


def dump(state) -> str:
    """Every field of every state in the tree, backend-only ones included."""
    fields = {name: getattr(state, name) for name in type(state).__fields__}
    return repr(fields) + "".join(dump(sub) for sub in state.substates.values())


def holds_canary(app, tab: str) -> bool:
    root = app.state_manager.states.get(tab)
    return root is not None and CANARY in dump(root)


def bound(app, tab: str) -> str:
    root = app.state_manager.states[tab]
    return root.substates[binding.SessionBindingState.get_name()]._session_binding


@pytest.mark.asyncio
async def test_signed_out_session_never_reaches_the_tab_again(app):
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await open_note(app, "tab-1", cookie)
    await open_note(app, "tab-2", cookie)
    assert holds_canary(app, "tab-2") and bound(app, "tab-2") == binding.session_key(cookie)

    sign_out(cookie)
    # The sign-out route drops every tab of the session at once ...
    await binding.drop_session(binding.session_key(cookie))
    assert not holds_canary(app, "tab-1") and not holds_canary(app, "tab-2")
    assert bound(app, "tab-2") == binding.DROPPED

    # ... and a reconnect with the old tab token and no cookie gets a pristine state.
    root = await event(app, "tab-2", None)
    assert CANARY not in dump(root)
    assert bound(app, "tab-2") == ""


@pytest.mark.asyncio
async def test_reconnect_without_cookie_resets_a_bound_tab_before_anything_is_sent(app):
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await open_note(app, "tab-1", cookie)
    # No sign-out known to this process (another worker, a restart of the index): the check
    # before the event still drops it.
    binding.INDEX.pop_session(binding.session_key(cookie))
    root = await event(app, "tab-1", None)
    assert CANARY not in dump(root)
    assert not holds_canary(app, "tab-1")


@pytest.mark.asyncio
async def test_expired_session_clears_the_tab_and_every_other_tab_of_it(app):
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await open_note(app, "tab-1", cookie)
    await open_note(app, "tab-2", cookie)
    idle_for_too_long(cookie)

    await event(app, "tab-1", cookie)
    await asyncio.gather(*binding._tasks)
    assert not holds_canary(app, "tab-1")
    assert not holds_canary(app, "tab-2")


@pytest.mark.asyncio
async def test_another_persons_session_on_the_tab_gets_none_of_the_last_ones_data(app):
    owner = make_workspace()
    first = open_session(owner.user_id)
    other = make_workspace(name="Other practice")
    second = open_session(other.user_id)
    await open_note(app, "tab-1", first)

    await event(app, "tab-1", second)
    assert not holds_canary(app, "tab-1")
    assert bound(app, "tab-1") == binding.session_key(second)
    # A new sign-in of the same person is a new session: the tab starts over too.
    await open_note(app, "tab-1", second)
    await event(app, "tab-1", open_session(other.user_id))
    assert not holds_canary(app, "tab-1")


@pytest.mark.asyncio
async def test_valid_session_keeps_the_tab_and_anonymous_tabs_keep_their_form(app):
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await open_note(app, "tab-1", cookie)
    await event(app, "tab-1", cookie)
    assert holds_canary(app, "tab-1")

    root = await event(app, "tab-3", None)
    (await root.get_state(SignInState)).notice = "typed"
    root = await event(app, "tab-3", None)
    assert (await root.get_state(SignInState)).notice == "typed"


@pytest.mark.asyncio
async def test_deactivating_a_user_clears_their_tabs(app):
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await open_note(app, "tab-1", cookie)
    await binding.drop_user(str(owner.user_id))
    assert not holds_canary(app, "tab-1")


@pytest.mark.asyncio
async def test_upload_needs_its_own_cookie_of_the_tabs_session(app):
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await open_note(app, "tab-1", cookie)
    other = open_session(make_workspace(name="Other").user_id)

    assert await binding.upload_allowed("tab-1", cookie, CTX)
    assert not await binding.upload_allowed("tab-1", None, CTX)
    assert not await binding.upload_allowed("tab-1", other, CTX)
    assert not await binding.upload_allowed("tab-unknown", cookie, CTX)
    sign_out(cookie)
    assert not await binding.upload_allowed("tab-1", cookie, CTX)


def test_tab_state_lives_no_longer_than_an_idle_session(app):
    idle_seconds = get_settings().session_idle_minutes * 60
    assert app.state_manager.token_expiration == idle_seconds


def test_reflex_log_lines_lose_tab_tokens_and_payloads(caplog):
    binding.install_log_redaction()
    tab = str(uuid.uuid4())
    with caplog.at_level(logging.WARNING):
        logging.getLogger("reflex.app").warning(f"Attempting to send delta to disconnected client {tab!r}")
        logging.getLogger("reflex.app").warning(f"Received event ... Event data: {{'note': '{CANARY}'}}")
    assert tab not in caplog.text and CANARY not in caplog.text
    assert "[tab]" in caplog.text


@pytest.mark.asyncio
async def test_tabs_of_a_session_that_ends_while_nobody_clicks_are_swept(app):
    owner = make_workspace()
    idle_cookie, live_cookie = open_session(owner.user_id), open_session(owner.user_id)
    await open_note(app, "tab-idle", idle_cookie)
    await open_note(app, "tab-live", live_cookie)
    idle_for_too_long(idle_cookie)

    ended = await binding.sweep_ended_sessions()

    assert ended == {binding.session_key(idle_cookie)}
    assert not holds_canary(app, "tab-idle")
    assert holds_canary(app, "tab-live")  # a live session's tab keeps its data


@pytest.mark.asyncio
async def test_the_sweep_also_ends_tabs_of_a_deactivated_user(app):
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await open_note(app, "tab-1", cookie)
    with system_session() as session:
        session.execute(update(User).where(User.id == owner.user_id).values(active=False))

    assert await binding.sweep_ended_sessions() == {binding.session_key(cookie)}
    assert not holds_canary(app, "tab-1")


@pytest.mark.asyncio
async def test_the_handler_reuses_the_check_made_before_its_event(app, monkeypatch):
    """One session query per event: `_actor()` takes what the binding check just verified,
    and asks the database again once that answer is no longer fresh."""
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    calls = []
    real_check = auth.check_session
    monkeypatch.setattr(auth, "check_session", lambda *args, **kwargs: calls.append(1) or real_check(*args, **kwargs))
    async with app.state_manager.modify_state(rx.BaseStateToken(ident="tab-1", cls=rx.State)) as root:
        connect(root, "tab-1", cookie)
        root.router = RouterData.from_router_data(root.router_data)  # what Reflex does per event
        await binding.enforce(root)
        session_state = await root.get_state(SessionState)
        actor = await session_state._actor()
        assert actor.user_id == owner.user_id and calls == []
        monkeypatch.setattr(binding, "VERIFIED_FOR_SECONDS", 0.0)
        assert (await session_state._actor()).user_id == owner.user_id
        assert calls == [1]
        sign_out(cookie)
        with pytest.raises(SignInRequired):
            await session_state._actor()


@pytest.mark.asyncio
async def test_every_event_saves_the_binding_again(app):
    """With Redis a state's key gets a new expiry (the idle timeout) only when it is saved, i.e.
    when the event touched it: a binding saved only at sign-in would expire while the tab's
    other states live on, and they would then be kept across a sign-out."""
    owner = make_workspace()
    cookie = open_session(owner.user_id)
    await event(app, "tab-1", cookie)
    async with app.state_manager.modify_state(rx.BaseStateToken(ident="tab-1", cls=rx.State)) as root:
        connect(root, "tab-1", cookie)
        state = await root.get_state(binding.SessionBindingState)
        object.__setattr__(state, "_was_touched", False)  # as loaded from Redis for this event
        await binding.enforce(root)
        assert state._was_touched and state._session_binding == binding.session_key(cookie)
