"""Two-step sign-in flows: link + code ANDed, the 5-minute pending state, enrolment forced by the
practice, sessions ended on every change, recovery by the owner and the command line."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from pazpaz import cli
from pazpaz.models import AuditEvent, AuthSession, PendingSignIn, User
from pazpaz.services import auth, clock, two_factor
from pazpaz.services.errors import NotFound, ServiceError
from pazpaz.services.scope import system_session
from pazpaz.services.second_factor import SecondStepRefused
from tests.support.factories import CTX, make_assistant, make_workspace
from tests.unit.test_auth import token_from
from tests.unit.test_second_factor import T0, enrolled, secret_of, wrong_code


def email_of(actor) -> str:
    from pazpaz.services import crypto

    with system_session() as session:
        return crypto.unseal(session, session.get(User, actor.user_id), "email_encrypted")


def link_for(actor, sink, now) -> str:
    email = email_of(actor)
    before = len(sink.messages_to(email))
    auth.request_link(email, CTX, now=now)
    return token_from(sink.wait_for_link(email, after=before))


def live_sessions(actor) -> int:
    with system_session() as session:
        return len(session.exec(select(AuthSession).where(AuthSession.user_id == actor.user_id,
                                                          AuthSession.revoked_at.is_(None))).all())


def test_with_two_step_on_a_link_opens_no_session_until_the_code(app_env, smtp_sink):
    actor = make_workspace(name="Calm Hands")
    secret, _ = enrolled(actor)
    now = T0 + timedelta(hours=1)
    redeemed = auth.redeem_link(link_for(actor, smtp_sink, now), CTX, now=now)
    assert redeemed.session_token == "" and redeemed.identity is None and redeemed.pending_token
    assert live_sessions(actor) == 0
    view = two_factor.pending_view(redeemed.pending_token, now=now)
    assert (view.stage, view.practice_name) == ("code", "Calm Hands")
    with pytest.raises(SecondStepRefused):
        two_factor.complete_sign_in(redeemed.pending_token, wrong_code(secret, now), CTX, now=now)
    assert live_sessions(actor) == 0
    done = two_factor.complete_sign_in(redeemed.pending_token, pyotp.TOTP(secret).at(now), CTX, now=now)
    assert done.session_token and auth.validate_session(done.session_token, CTX, now) is not None
    # the pending state is single use
    assert two_factor.pending_view(redeemed.pending_token, now=now) is None


def test_a_code_never_skips_the_link_and_the_pending_state_expires_after_5_minutes(app_env, smtp_sink):
    actor = make_workspace()
    secret, _ = enrolled(actor)
    now = T0 + timedelta(hours=1)
    with pytest.raises(SecondStepRefused) as refused:  # no link, no pending state: a code alone is nothing
        two_factor.complete_sign_in("made-up", pyotp.TOTP(secret).at(now), CTX, now=now)
    assert refused.value.reason == "expired"
    redeemed = auth.redeem_link(link_for(actor, smtp_sink, now), CTX, now=now)
    late = now + timedelta(minutes=5, seconds=1)
    assert two_factor.pending_view(redeemed.pending_token, now=late) is None
    with pytest.raises(SecondStepRefused) as refused:
        two_factor.complete_sign_in(redeemed.pending_token, pyotp.TOTP(secret).at(late), CTX, now=late)
    assert refused.value.reason == "expired"
    assert live_sessions(actor) == 0


def test_turning_on_ends_every_other_session_and_is_audited(app_env):
    actor = make_workspace()
    with system_session() as session:
        user = session.get(User, actor.user_id)
        _, current = auth.open_session(session, user, CTX, T0)
        auth.open_session(session, user, CTX, T0)
    with clock.frozen(T0):
        two_factor.begin_enrolment(actor)
        two_factor.confirm_enrolment(replace(actor, session_id=current.session_id),
                                     pyotp.TOTP(secret_of(actor, "totp_pending_encrypted")).at(T0))
    with system_session() as session:
        live = session.exec(select(AuthSession.id).where(AuthSession.user_id == actor.user_id,
                                                         AuthSession.revoked_at.is_(None))).all()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.two_step_enabled")).one()
    assert live == [current.session_id]
    assert event.details == {"sessions_ended": 1}


def test_turning_off_needs_a_current_code_and_ends_other_sessions(app_env):
    actor = make_workspace()
    secret, _ = enrolled(actor)
    with system_session() as session:
        _, current = auth.open_session(session, session.get(User, actor.user_id), CTX, T0)
        auth.open_session(session, session.get(User, actor.user_id), CTX, T0)
    now = T0 + timedelta(hours=1)
    this_device = replace(actor, session_id=current.session_id)
    with clock.frozen(now):
        with pytest.raises(SecondStepRefused):
            two_factor.turn_off(this_device, wrong_code(secret, now))
        assert two_factor.status(actor).enabled
        two_factor.turn_off(this_device, pyotp.TOTP(secret).at(now))
        assert not two_factor.status(actor).enabled
    assert live_sessions(actor) == 1


def test_required_two_step_sends_a_new_user_to_enrolment_after_the_link(app_env, smtp_sink):
    owner = make_workspace(name="Strict Practice")
    assistant = make_assistant(owner)
    with system_session() as session:
        auth.open_session(session, session.get(User, assistant.user_id), CTX, T0)
    with clock.frozen(T0), pytest.raises(ServiceError):  # the owner first, or they could lock themselves out
        two_factor.set_required(owner, True)
    enrolled(owner)
    with clock.frozen(T0):
        assert two_factor.set_required(owner, True) == 1  # the assistant's session ended
    assert live_sessions(assistant) == 0
    now = T0 + timedelta(hours=1)
    redeemed = auth.redeem_link(link_for(assistant, smtp_sink, now), CTX, now=now)
    assert redeemed.pending_token and redeemed.identity is None
    view = two_factor.pending_view(redeemed.pending_token, now=now)
    assert (view.stage, view.practice_name) == ("enrol", "Strict Practice")
    assert view.qr.startswith("data:image/svg+xml")
    secret = view.key.replace(" ", "")
    done = two_factor.complete_sign_in(redeemed.pending_token, pyotp.TOTP(secret).at(now), CTX, now=now)
    assert len(done.backup_codes) == 10 and done.session_token
    with clock.frozen(now):
        assert two_factor.status(assistant).enabled
        with pytest.raises(ServiceError):  # required: nobody turns it off
            two_factor.turn_off(assistant, pyotp.TOTP(secret).at(now + timedelta(seconds=30)))


def test_owner_resets_an_assistants_two_step_and_no_one_else_can(app_env):
    owner = make_workspace()
    assistant = make_assistant(owner)
    enrolled(assistant)
    with system_session() as session:
        auth.open_session(session, session.get(User, assistant.user_id), CTX, T0)
    other_owner = make_workspace()
    with pytest.raises(NotFound):
        two_factor.reset_for(other_owner, assistant.user_id)
    with pytest.raises(NotFound):
        two_factor.reset_for(assistant, owner.user_id)
    two_factor.reset_for(owner, assistant.user_id)
    assert not two_factor.status(assistant).enabled
    assert live_sessions(assistant) == 0
    with system_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.two_step_reset")).one()
    assert (event.user_id, event.entity_id, event.details["by"]) == (owner.user_id, assistant.user_id, "owner")


def test_cli_reset_2fa(app_env, capsys):
    owner = make_workspace()
    enrolled(owner)
    assert cli.main(["reset-2fa", email_of(owner)]) == 0
    assert not two_factor.status(owner).enabled
    assert cli.main(["reset-2fa", "nobody@example.com"]) == 1
    assert "No account" in capsys.readouterr().err
    with system_session() as session:
        assert session.exec(select(PendingSignIn)).all() == []
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.two_step_reset")).one()
    assert event.details["by"] == "command_line"
