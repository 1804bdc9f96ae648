"""Settings > Security sessions (services/sessions.py): listing and ending one's own sessions,
and a revoked session's tab refused at its next event (the binding check)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from pazpaz.models import AuditEvent, AuthSession, User
from pazpaz.models.base import utcnow
from pazpaz.services import auth, sessions
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import NotFound, ServiceError
from pazpaz.services.scope import Actor, system_session
from pazpaz.state import binding
from tests.integration.test_tab_binding import event, holds_canary, open_note
from tests.support.factories import make_assistant, make_workspace

PHONE = RequestContext(ip="203.0.113.77", user_agent=(
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"))
LAPTOP = RequestContext(ip="2001:db8:1234:5678::1", user_agent=(
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"))


def sign_in(actor: Actor, context: RequestContext) -> tuple[str, Actor]:
    """A real session row as after a sign-in from `context`; the actor acting through it."""
    with system_session() as session:
        token, identity = auth.open_session(session, session.get(User, actor.user_id), context, utcnow())
    return token, Actor(workspace_id=actor.workspace_id, user_id=actor.user_id, role=actor.role,
                        context=context, session_id=identity.session_id)


def test_sessions_list_shows_own_working_sessions_with_device_and_network(app_env):
    owner = make_workspace()
    _, on_phone = sign_in(owner, PHONE)
    _, on_laptop = sign_in(owner, LAPTOP)
    ended_token, _ = sign_in(owner, LAPTOP)
    auth.sign_out(ended_token, LAPTOP)
    sign_in(make_assistant(owner), PHONE)  # a colleague's session
    sign_in(make_workspace("Other"), PHONE)  # another practice's

    listed = sessions.list_sessions(on_laptop)
    assert [s.id for s in listed] == [on_laptop.session_id, on_phone.session_id]  # this device first
    assert [s.is_current for s in listed] == [True, False]
    assert [s.device for s in listed] == ["Safari on macOS", "Chrome on Android"]
    assert [s.approximate_ip for s in listed] == ["2001:db8:1234::/48", "203.0.113.0/24"]
    with system_session() as session:
        event_ = session.exec(select(AuditEvent).where(AuditEvent.action == "session.listed")).one()
    assert event_.details == {"count": 2} and event_.user_id == owner.user_id


def test_only_a_label_and_an_encrypted_network_are_stored(app_env):
    owner = make_workspace()
    _, actor = sign_in(owner, PHONE)
    with system_session() as session:
        row = session.get(AuthSession, actor.session_id)
    assert row.device_label == "Chrome on Android"
    assert b"203.0.113" not in row.ip_encrypted and "126" not in row.device_label


def test_an_idle_or_expired_session_is_not_listed(app_env):
    owner = make_workspace()
    _, current = sign_in(owner, PHONE)
    _, idle = sign_in(owner, LAPTOP)
    with system_session() as session:
        session.get(AuthSession, idle.session_id).last_seen_at = utcnow() - timedelta(hours=1)
    assert [s.id for s in sessions.list_sessions(current)] == [current.session_id]


def test_revoking_one_other_session(app_env):
    owner = make_workspace()
    phone_token, on_phone = sign_in(owner, PHONE)
    laptop_token, on_laptop = sign_in(owner, LAPTOP)
    sessions.revoke_session(on_laptop, on_phone.session_id)
    assert auth.validate_session(phone_token) is None
    assert auth.validate_session(laptop_token) is not None
    with pytest.raises(NotFound):
        sessions.revoke_session(on_laptop, on_phone.session_id)  # already ended
    with pytest.raises(ServiceError):
        sessions.revoke_session(on_laptop, on_laptop.session_id)  # this device: that is sign-out
    with system_session() as session:
        [event_] = session.exec(select(AuditEvent).where(AuditEvent.action == "session.revoked")).all()
    assert event_.entity_id == on_phone.session_id and event_.details == {}


def test_another_users_session_is_not_found(app_env):
    owner = make_workspace()
    _, me = sign_in(owner, LAPTOP)
    colleague_token, colleague = sign_in(make_assistant(owner), PHONE)
    stranger_token, stranger = sign_in(make_workspace("Other"), PHONE)
    for other in (colleague.session_id, stranger.session_id, uuid.uuid4()):
        with pytest.raises(NotFound):
            sessions.revoke_session(me, other)
    assert auth.validate_session(colleague_token) is not None
    assert auth.validate_session(stranger_token) is not None
    assert [s.id for s in sessions.list_sessions(stranger)] == [stranger.session_id]


def test_sign_out_everywhere_else_keeps_this_device(app_env):
    owner = make_workspace()
    tokens = [sign_in(owner, PHONE)[0] for _ in range(3)]
    current_token, current = sign_in(owner, LAPTOP)
    colleague_token, _ = sign_in(make_assistant(owner), PHONE)

    assert sessions.revoke_other_sessions(current) == 3
    assert all(auth.validate_session(token) is None for token in tokens)
    assert auth.validate_session(current_token) is not None
    assert auth.validate_session(colleague_token) is not None
    assert [s.id for s in sessions.list_sessions(current)] == [current.session_id]
    assert sessions.revoke_other_sessions(current) == 0
    with system_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "session.revoked_others")
                              .order_by(AuditEvent.occurred_at)).all()
        reasons = {row.revoke_reason for row in session.exec(
            select(AuthSession).where(AuthSession.user_id == owner.user_id, AuthSession.revoked_at.is_not(None)))}
    assert [e.details["count"] for e in events] == [3, 0]
    assert reasons == {"revoked_others"}


def test_revoke_user_sessions_works_inside_another_transaction(app_env):
    """The two-step sign-in code calls it in its own transaction with its own reason."""
    from pazpaz.services.scope import workspace_session

    owner = make_workspace()
    other_token, _ = sign_in(owner, PHONE)
    current_token, current = sign_in(owner, LAPTOP)
    with workspace_session(current) as session:
        count = auth.revoke_user_sessions(session, owner.user_id, "two_step_enabled", utcnow(), current.session_id)
    assert count == 1
    assert auth.validate_session(other_token) is None and auth.validate_session(current_token) is not None


@pytest.mark.asyncio
async def test_a_revoked_sessions_tab_is_emptied_at_its_next_event(app):
    owner = make_workspace()
    revoked_token, _ = sign_in(owner, PHONE)
    _, current = sign_in(owner, LAPTOP)
    await open_note(app, "tab-b", revoked_token)
    assert holds_canary(app, "tab-b")

    sessions.revoke_other_sessions(current)
    # Nothing pushed to the tab: its very next event is checked against the database first.
    root = await event(app, "tab-b", revoked_token)
    await asyncio.gather(*binding._tasks)
    assert not holds_canary(app, "tab-b")
    assert root.substates[binding.SessionBindingState.get_name()]._session_binding == ""
