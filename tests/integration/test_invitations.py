"""Invitations (services/team.py, services/invitations.py, /auth/invitation) against a real
PostgreSQL and the SMTP sink; the clock is passed in."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from pazpaz.api.app import build_api
from pazpaz.models import AuditEvent, AuthSession, Invitation, User
from pazpaz.services import auth, invitations, team
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.invitations import InvitationRefused
from pazpaz.services.scope import system_session
from pazpaz.services.tokens import hash_token
from tests.conftest import reset_caches
from tests.support.factories import CTX, make_workspace, unique_email

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PUBLIC_URL = "http://localhost:3100"


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def invite(sink, owner, email: str, name: str = "Noa Helper", now: datetime = T0) -> str:
    """Invite through the service; returns the token mailed to the address."""
    before = len(sink.messages_to(email))
    team.invite_assistant(owner, email, name, now=now)
    return token_of(sink.wait_for_invitation(email, after=before))


def users_with(email: str) -> list[User]:
    from pazpaz.services import crypto

    with system_session() as session:
        return list(session.exec(select(User).where(User.email_index == crypto.email_index(email))).all())


def invitation_rows(workspace_id) -> list[Invitation]:
    with system_session() as session:
        return list(session.exec(select(Invitation).where(Invitation.workspace_id == workspace_id)).all())


def audit_rows(action: str) -> list[AuditEvent]:
    with system_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)
                                 .order_by(AuditEvent.occurred_at)).all())


def test_invite_mails_an_invitation_and_creates_no_user(app_env, smtp_sink):
    owner = make_workspace("Calm Hands Physio", owner_name="Dana Levi")
    email = unique_email("invitee")
    token = invite(smtp_sink, owner, email)

    assert users_with(email) == []
    [row] = invitation_rows(owner.workspace_id)
    assert row.token_hash == hash_token(token) and token.encode() not in row.email_encrypted
    assert row.expires_at - row.created_at == timedelta(days=7)
    message = smtp_sink.messages_to(email)[-1]
    body = message.get_payload(decode=True).decode()
    assert message["Subject"] == "Your invitation to PazPaz"  # logged: no names
    assert "Dana Levi invites you to join Calm Hands Physio" in body
    assert "never see clinical notes" in body and "expires in 7 days" in body and "works once" in body
    assert "/auth/continue" not in body  # not a sign-in mail
    [event] = audit_rows("user.invited")
    assert event.entity_type == "invitation" and event.entity_id == row.id and event.user_id == owner.user_id


def test_invite_ttl_is_configurable(app_env, smtp_sink, monkeypatch):
    monkeypatch.setenv("PAZPAZ_INVITE_TTL_DAYS", "3")
    reset_caches()
    owner = make_workspace()
    email = unique_email("ttl")
    invite(smtp_sink, owner, email)
    [row] = invitation_rows(owner.workspace_id)
    assert row.expires_at - row.created_at == timedelta(days=3)
    assert "expires in 3 days" in smtp_sink.messages_to(email)[-1].get_payload(decode=True).decode()


def test_accepting_creates_the_assistant_and_opens_a_session(app_env, smtp_sink):
    owner = make_workspace("Calm Hands Physio", owner_name="Dana Levi")
    email = unique_email("invitee")
    token = invite(smtp_sink, owner, email, name="Noa Helper")

    preview = invitations.preview(token, now=T0 + timedelta(days=1))
    assert preview == invitations.Preview("Calm Hands Physio", "Dana Levi", "Noa Helper")
    invitations.preview(token, now=T0 + timedelta(days=1))  # looking twice uses nothing

    redeemed = invitations.accept(token, "  Noa H. ", CTX, now=T0 + timedelta(days=1))
    [user] = users_with(email)
    assert user.workspace_id == owner.workspace_id and user.role == "assistant" and user.active
    assert auth.profile(redeemed.identity).user_name == "Noa H."
    assert redeemed.identity.user_id == user.id and redeemed.next_path == "/"
    assert auth.validate_session(redeemed.session_token, CTX, now=T0 + timedelta(days=1, minutes=1)) is not None
    [row] = invitation_rows(owner.workspace_id)
    assert row.accepted_at is not None and row.accepted_user_id == user.id
    [accepted] = audit_rows("invitation.accepted")
    assert accepted.entity_id == row.id and accepted.user_id == user.id
    assert audit_rows("auth.signin_succeeded")[-1].user_id == user.id
    assert team.list_invitations(owner) == []

    with pytest.raises(InvitationRefused) as refused:
        invitations.accept(token, "Again", CTX, now=T0 + timedelta(days=1, minutes=2))
    assert refused.value.reason == "used"
    assert len(users_with(email)) == 1


def test_an_empty_name_is_refused_and_leaves_the_invitation_pending(app_env, smtp_sink):
    owner = make_workspace()
    token = invite(smtp_sink, owner, unique_email("noname"))
    with pytest.raises(ValidationFailed):
        invitations.accept(token, "   ", CTX, now=T0)
    assert invitation_rows(owner.workspace_id)[0].accepted_at is None


def test_an_invitation_expires(app_env, smtp_sink):
    owner = make_workspace()
    email = unique_email("late")
    token = invite(smtp_sink, owner, email)
    late = T0 + timedelta(days=7, seconds=1)
    for attempt in (lambda: invitations.preview(token, now=late),
                    lambda: invitations.accept(token, "Late", CTX, now=late)):
        with pytest.raises(InvitationRefused) as refused:
            attempt()
        assert refused.value.reason == "expired"
    assert users_with(email) == []
    [pending] = team.list_invitations(owner, now=late)
    assert pending.expired and pending.email == email
    assert audit_rows("invitation.accept_refused")[-1].details == {"reason": "expired"}


def test_resend_kills_the_old_link_and_renews_the_expiry(app_env, smtp_sink):
    owner = make_workspace()
    email = unique_email("resend")
    old = invite(smtp_sink, owner, email)
    [row] = invitation_rows(owner.workspace_id)
    before = len(smtp_sink.messages_to(email))
    team.resend_invitation(owner, row.id, now=T0 + timedelta(days=6))
    new = token_of(smtp_sink.wait_for_invitation(email, after=before))
    assert new != old

    with pytest.raises(InvitationRefused) as refused:
        invitations.accept(old, "Old link", CTX, now=T0 + timedelta(days=6, hours=1))
    assert refused.value.reason == "invalid"
    # Valid for 7 days from the resend, not from the first invitation.
    invitations.accept(new, "New link", CTX, now=T0 + timedelta(days=12))
    assert len(users_with(email)) == 1
    assert [e.entity_id for e in audit_rows("invitation.resent")] == [row.id]


def test_inviting_the_same_address_again_renews_the_pending_invitation(app_env, smtp_sink):
    owner = make_workspace()
    email = unique_email("twice")
    first = invite(smtp_sink, owner, email, name="First Name")
    second = invite(smtp_sink, owner, email.upper(), name="Second Name", now=T0 + timedelta(hours=1))
    rows = invitation_rows(owner.workspace_id)
    assert len(rows) == 1 and rows[0].token_hash == hash_token(second)
    with pytest.raises(InvitationRefused):
        invitations.preview(first, now=T0 + timedelta(hours=2))
    assert invitations.preview(second, now=T0 + timedelta(hours=2)).invitee_name == "Second Name"
    assert [e.details for e in audit_rows("user.invited")] == [{"renewed": False}, {"renewed": True}]


def test_revoke(app_env, smtp_sink):
    owner = make_workspace()
    email = unique_email("revoked")
    token = invite(smtp_sink, owner, email)
    [pending] = team.list_invitations(owner)
    team.revoke_invitation(owner, pending.id, now=T0 + timedelta(hours=1))
    assert team.list_invitations(owner) == []
    with pytest.raises(InvitationRefused) as refused:
        invitations.accept(token, "Too late", CTX, now=T0 + timedelta(hours=2))
    assert refused.value.reason == "revoked"
    with pytest.raises(NotFound):
        team.revoke_invitation(owner, pending.id)
    with pytest.raises(NotFound):
        team.resend_invitation(owner, pending.id)
    assert [e.entity_id for e in audit_rows("invitation.revoked")] == [pending.id]
    # A new invitation for the address can be made after a revoke.
    invite(smtp_sink, owner, email, now=T0 + timedelta(hours=3))
    assert len(team.list_invitations(owner)) == 1


def test_two_simultaneous_accepts_make_one_user(app_env, smtp_sink):
    owner = make_workspace()
    email = unique_email("race")
    token = invite(smtp_sink, owner, email)
    start = threading.Barrier(6)
    results: list[str] = []

    def accept(i: int) -> None:
        start.wait()
        try:
            invitations.accept(token, f"Racer {i}", CTX, now=T0 + timedelta(minutes=5))
            results.append("accepted")
        except InvitationRefused as refused:
            results.append(refused.reason)

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["accepted"] + ["used"] * 5
    assert len(users_with(email)) == 1
    with system_session() as session:
        user = users_with(email)[0]
        assert session.exec(select(func.count()).select_from(AuthSession)
                            .where(AuthSession.user_id == user.id)).one() == 1


def test_no_oracle_an_address_of_another_practice_gets_the_same_answer(app_env, smtp_sink):
    other = make_workspace("Elsewhere")
    taken = unique_email("taken")
    with system_session() as session:
        auth.create_user(session, other.workspace_id, taken, "Has An Account", "assistant")
    owner = make_workspace()
    fresh = unique_email("fresh")

    answers = [team.invite_assistant(owner, address, "Someone", now=T0) for address in (taken, fresh)]
    assert all(isinstance(answer, type(answers[0])) for answer in answers)
    smtp_sink.wait_for_invitation(taken)
    smtp_sink.wait_for_invitation(fresh)
    events = audit_rows("user.invited")
    shapes = [(e.workspace_id, e.user_id, e.entity_type, sorted(e.details), e.details) for e in events]
    assert len(shapes) == 2 and shapes[0] == shapes[1]
    assert {p.email for p in team.list_invitations(owner)} == {taken, fresh}


def test_inviting_a_member_of_ones_own_team_says_so(app_env, smtp_sink):
    from tests.support.factories import make_assistant

    owner = make_workspace()
    assistant = make_assistant(owner)
    with system_session() as session:
        address = crypto_email(session, assistant.user_id)
    with pytest.raises(ValidationFailed) as refused:
        team.invite_assistant(owner, address, "Again", now=T0)
    assert refused.value.errors == {"email": "This person is already on your team."}
    assert invitation_rows(owner.workspace_id) == []


def crypto_email(session, user_id) -> str:
    from pazpaz.services import crypto

    return crypto.unseal(session, session.get(User, user_id), "email_encrypted")


def test_invitations_are_rate_limited_per_owner(app_env, smtp_sink, monkeypatch):
    monkeypatch.setenv("PAZPAZ_RATE_LIMIT_INVITE", "3/hour")
    reset_caches()
    owner, other = make_workspace(), make_workspace("Other")
    for i in range(3):
        team.invite_assistant(owner, unique_email(f"burst{i}"), "Someone", now=T0)
    flooded = unique_email("flood")
    with pytest.raises(team.InvitesRateLimited) as refused:
        team.invite_assistant(owner, flooded, "Someone", now=T0)
    assert "sent many invitations" in str(refused.value) and "try again in" in str(refused.value)
    [pending] = team.list_invitations(owner)[:1]
    with pytest.raises(team.InvitesRateLimited):
        team.resend_invitation(owner, pending.id, now=T0)  # a resend mails too
    assert flooded not in {p.email for p in team.list_invitations(owner)}
    limited = audit_rows("invitation.rate_limited")
    assert len(limited) == 2 and {e.user_id for e in limited} == {owner.user_id}
    team.invite_assistant(other, unique_email("other"), "Someone", now=T0)  # another owner's own bucket


def test_signing_up_with_a_pending_invitation_creates_an_own_practice(app_env, smtp_sink):
    owner = make_workspace("Inviting Practice")
    email = unique_email("preclaim")
    token = invite(smtp_sink, owner, email)

    before = len(smtp_sink.messages_to(email))
    auth.signup(practice_name="My Own Practice", your_name="Pat", email=email, time_zone="Europe/Berlin",
                context=CTX, now=T0 + timedelta(minutes=1))
    link = smtp_sink.wait_for_link(email, after=before)
    assert auth.link_practice(token_of(link), now=T0 + timedelta(minutes=2)) == "My Own Practice"
    signed_in = auth.redeem_link(token_of(link), CTX, now=T0 + timedelta(minutes=2))
    assert signed_in.identity.workspace_id != owner.workspace_id and signed_in.identity.role == "owner"
    assert auth.profile(signed_in.identity).workspace_name == "My Own Practice"

    # The invitation can no longer be taken up by that address, and it stays pending.
    with pytest.raises(InvitationRefused) as refused:
        invitations.accept(token, "Pat", CTX, now=T0 + timedelta(minutes=3))
    assert refused.value.reason == "account_exists"
    assert "already has a PazPaz account" in str(refused.value)
    [row] = invitation_rows(owner.workspace_id)
    assert row.accepted_at is None and row.revoked_at is None
    [user] = users_with(email)
    assert user.workspace_id != owner.workspace_id
    assert audit_rows("invitation.accept_refused")[-1].details == {"reason": "account_exists"}


# ---- the HTTP pages --------------------------------------------------------------------

@pytest.fixture
def client(app_env):
    with TestClient(build_api(), base_url=PUBLIC_URL, follow_redirects=False) as test_client:
        yield test_client


def test_the_link_page_names_practice_and_inviter_and_only_post_accepts(app_env, smtp_sink, client):
    owner = make_workspace("Calm <Hands>", owner_name="Dana Levi")
    email = unique_email("page")
    token = invite(smtp_sink, owner, email, name="Noa Helper", now=datetime.now(UTC))

    for _ in range(2):  # a mail scanner's GET changes nothing
        page = client.get(f"/auth/invitation?token={token}")
        assert page.status_code == 200
        assert "Join Calm &lt;Hands&gt;" in page.text and "Dana Levi" in page.text
        assert 'value="Noa Helper"' in page.text and "never clinical notes" in page.text
        assert "<script>" not in page.text and page.headers["cache-control"] == "no-store"
    assert users_with(email) == []

    refused = client.post("/auth/invitation", data={"token": token, "name": "Noa"},
                          headers={"origin": "https://evil.example"})
    assert refused.status_code == 403 and users_with(email) == []

    empty = client.post("/auth/invitation", data={"token": token, "name": " "}, headers={"origin": PUBLIC_URL})
    assert empty.status_code == 400 and "Enter your name." in empty.text and users_with(email) == []

    accepted = client.post("/auth/invitation", data={"token": token, "name": "Noa"}, headers={"origin": PUBLIC_URL})
    assert accepted.status_code == 303 and accepted.headers["location"] == "/"
    cookie = accepted.headers["set-cookie"]
    assert "pazpaz_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert len(users_with(email)) == 1

    again = client.get(f"/auth/invitation?token={token}")
    assert again.status_code == 400 and "already been accepted" in again.text


def test_the_link_page_of_a_bad_token_says_so(app_env, client):
    page = client.get("/auth/invitation?token=nope")
    assert page.status_code == 400 and "not valid" in page.text


def test_the_continue_page_names_the_practice_it_signs_into(app_env, smtp_sink, client):
    email = unique_email("continue")
    auth.signup(practice_name="Named Practice", your_name="Dana", email=email, time_zone="Europe/Berlin",
                context=CTX)
    token = token_of(smtp_sink.wait_for_link(email))
    page = client.get(f"/auth/continue?token={token}")
    assert "Practice: <strong>Named Practice</strong>" in page.text
    assert "Practice:" not in client.get("/auth/continue?token=wrong").text
