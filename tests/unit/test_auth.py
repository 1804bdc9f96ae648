"""Magic links and sessions against a real PostgreSQL, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from pazpaz.models import AuditEvent, AuthSession, MagicLinkToken, User
from pazpaz.services import auth
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import RateLimited, ValidationFailed
from pazpaz.services.scope import system_session
from pazpaz.services.tokens import hash_token

CTX = RequestContext(ip="192.0.2.7", user_agent="pytest")
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def token_from(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def sign_up(sink, email: str, now: datetime = T0) -> str:
    before = len(sink.messages_to(email))
    auth.signup(practice_name="Calm Hands", your_name="Dana Canary", email=email,
                time_zone="Europe/Berlin", context=CTX, now=now)
    return token_from(sink.wait_for_link(email, after=before))


def redeem(token: str, now: datetime) -> auth.Redeemed:
    return auth.redeem_link(token, CTX, now=now)


def actions() -> list[str]:
    with system_session() as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.occurred_at))]


def test_token_is_256_bit_and_only_its_hash_is_stored(app_env, smtp_sink):
    token = sign_up(smtp_sink, "owner1@example.com")
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    with system_session() as session:
        rows = session.exec(select(MagicLinkToken)).all()
    assert [r.token_hash for r in rows] == [hash_token(token)]
    assert all(token not in str(r.model_dump()) for r in rows)
    assert rows[0].expires_at - rows[0].created_at == timedelta(minutes=10)


def test_link_base_url_comes_from_config(app_env, smtp_sink):
    sign_up(smtp_sink, "owner2@example.com")
    link = smtp_sink.wait_for_link("owner2@example.com")
    assert link.startswith("http://localhost:3100/auth/continue?token=")


def test_redeem_once_then_refused_as_used(app_env, smtp_sink):
    token = sign_up(smtp_sink, "owner3@example.com")
    first = redeem(token, T0 + timedelta(minutes=1))
    assert first.session_token and first.next_path == "/"
    with pytest.raises(auth.LinkRefused) as refused:
        redeem(token, T0 + timedelta(minutes=2))
    assert refused.value.reason == "used"
    assert actions().count("auth.signin_succeeded") == 1
    assert "auth.signin_failed" in actions()


def test_expired_link_is_refused(app_env, smtp_sink):
    token = sign_up(smtp_sink, "owner4@example.com")
    with pytest.raises(auth.LinkRefused) as refused:
        redeem(token, T0 + timedelta(minutes=10))
    assert refused.value.reason == "expired"
    with system_session() as session:
        assert session.exec(select(AuthSession)).all() == []


def test_unknown_token_is_refused_as_invalid(app_env):
    with pytest.raises(auth.LinkRefused) as refused:
        redeem("not-a-real-token", T0)
    assert refused.value.reason == "invalid"


def test_request_link_same_answer_for_unknown_address(app_env, smtp_sink):
    auth.request_link("nobody@example.com", CTX, now=T0)  # no exception
    sign_up(smtp_sink, "owner5@example.com")
    auth.request_link("Owner5@Example.com ", CTX, next_path="/clients", now=T0)
    link = smtp_sink.wait_for_link("owner5@example.com", after=1)
    assert redeem(token_from(link), T0 + timedelta(seconds=5)).next_path == "/clients"
    # Mail leaves in the background; by now the later, known address's has arrived.
    assert smtp_sink.messages_to("nobody@example.com") == []


def test_request_link_validates_email(app_env):
    with pytest.raises(ValidationFailed) as invalid:
        auth.request_link("not an email", CTX, now=T0)
    assert "email" in invalid.value.errors


def test_rate_limit_per_email_stops_mail_not_the_answer(app_env, smtp_sink, monkeypatch):
    sign_up(smtp_sink, "owner6@example.com")
    for _ in range(5):  # the sign-up used one of five; the fifth request here is over the limit
        auth.request_link("owner6@example.com", CTX, now=T0)
    with system_session() as session:
        assert len(session.exec(select(MagicLinkToken)).all()) == 5


def test_rate_limit_per_ip(app_env, smtp_sink, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("PAZPAZ_RATE_LIMIT_IP", "3/15minutes")
    reset_caches()
    for n in range(3):
        auth.request_link(f"someone{n}@example.com", CTX, now=T0)
    with pytest.raises(RateLimited) as refused:
        auth.request_link("owner6b@example.com", CTX, now=T0)
    assert "minutes" in str(refused.value)


def test_session_idle_timeout(app_env, smtp_sink):
    redeemed = redeem(sign_up(smtp_sink, "owner7@example.com"), T0)
    assert auth.validate_session(redeemed.session_token, CTX, now=T0 + timedelta(minutes=29))
    # activity at 29 min reset the idle timer
    assert auth.validate_session(redeemed.session_token, CTX, now=T0 + timedelta(minutes=58))
    assert auth.validate_session(redeemed.session_token, CTX, now=T0 + timedelta(minutes=89)) is None
    assert auth.validate_session(redeemed.session_token, CTX, now=T0 + timedelta(minutes=59)) is None  # stays expired
    assert "auth.session_expired" in actions()


def test_session_absolute_timeout(app_env, smtp_sink):
    redeemed = redeem(sign_up(smtp_sink, "owner8@example.com"), T0)
    now = T0
    while now + timedelta(minutes=20) < T0 + timedelta(hours=12):
        now += timedelta(minutes=20)
        assert auth.validate_session(redeemed.session_token, CTX, now=now)
    assert auth.validate_session(redeemed.session_token, CTX, now=T0 + timedelta(hours=12)) is None


def test_sign_out_revokes_server_side(app_env, smtp_sink):
    redeemed = redeem(sign_up(smtp_sink, "owner9@example.com"), T0)
    auth.sign_out(redeemed.session_token, CTX, now=T0 + timedelta(minutes=1))
    assert auth.validate_session(redeemed.session_token, CTX, now=T0 + timedelta(minutes=2)) is None
    assert "auth.signed_out" in actions()


def test_each_sign_in_gets_a_new_session_token(app_env, smtp_sink):
    first = redeem(sign_up(smtp_sink, "owner10@example.com"), T0)
    auth.request_link("owner10@example.com", CTX, now=T0)
    second = redeem(token_from(smtp_sink.wait_for_link("owner10@example.com", after=1)), T0)
    assert first.session_token != second.session_token


def test_deactivated_user_loses_session_and_link(app_env, smtp_sink):
    redeemed = redeem(sign_up(smtp_sink, "owner11@example.com"), T0)
    with system_session() as session:
        user = session.exec(select(User)).one()
        user.active = False
    assert auth.validate_session(redeemed.session_token, CTX, now=T0) is None


def test_signup_closed_after_first_practice_in_auto_mode(app_env, smtp_sink, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("PAZPAZ_SIGNUP", "auto")
    reset_caches()
    assert auth.signup_allowed()
    sign_up(smtp_sink, "first@example.com")
    assert not auth.signup_allowed()


def test_audit_rows_hold_ids_not_email(app_env, smtp_sink):
    redeem(sign_up(smtp_sink, "canary-owner@example.com"), T0)
    with system_session() as session:
        events = session.exec(select(AuditEvent)).all()
    assert {"workspace.created", "auth.link_requested", "auth.signin_succeeded"} <= {e.action for e in events}
    assert all("canary" not in str(e.model_dump()).lower() for e in events)


def test_next_path_is_only_a_local_path():
    assert auth.safe_next("/clients") == "/clients"
    assert auth.safe_next("//evil.example") == "/"
    assert auth.safe_next("https://evil.example") == "/"
    assert auth.safe_next(None) == "/"


def test_signin_redirect_keeps_only_a_local_path():
    assert auth.signin_redirect("/clients/new") == "/signin?next=/clients/new"
    assert auth.signin_redirect("/calendar/") == "/signin?next=/calendar"
    assert auth.signin_redirect("//evil.example") == "/signin?next=/"


def test_check_session_loads_the_profile_only_for_a_new_user(app_env, smtp_sink):
    redeemed = redeem(sign_up(smtp_sink, "owner12@example.com"), T0)
    identity, profile = auth.check_session(redeemed.session_token, CTX, now=T0)
    assert profile is not None and profile.user_name == "Dana Canary" and profile.time_zone == "Europe/Berlin"
    assert auth.check_session(redeemed.session_token, CTX, str(identity.user_id), now=T0) == (identity, None)
    assert auth.check_session("not-a-token", CTX, now=T0) is None
    assert auth.check_session(None, CTX) is None


def test_auth_services_open_their_own_transactions():
    """Callers (states, HTTP routes) never pass a session: each entry point is one transaction."""
    import inspect

    for fn in (auth.signup_allowed, auth.signup, auth.request_link, auth.redeem_link, auth.validate_session,
               auth.check_session, auth.sign_out, auth.profile):
        assert "session" not in inspect.signature(fn).parameters, fn.__name__


def test_session_check_writes_only_when_the_idle_stamp_is_due(app_env, smtp_sink):
    redeemed = redeem(sign_up(smtp_sink, "owner-reads@example.com"), T0)
    token_hash = hash_token(redeemed.session_token)

    def last_seen() -> datetime:
        with system_session() as session:
            return session.exec(select(AuthSession.last_seen_at).where(AuthSession.token_hash == token_hash)).one()

    stamped = last_seen()
    # Within 30 s one read answers (no write); past it the full check stamps the idle timer.
    assert auth.validate_session(redeemed.session_token, CTX, now=stamped + timedelta(seconds=20))
    assert last_seen() == stamped
    assert auth.validate_session(token_hash, CTX, now=stamped + timedelta(seconds=31), hashed=True)
    assert last_seen() == stamped + timedelta(seconds=31)
    with system_session() as session:
        user_id = session.exec(select(AuthSession.user_id).where(AuthSession.token_hash == token_hash)).one()
        session.get(User, user_id).active = False
    assert auth.validate_session(redeemed.session_token, CTX, now=stamped + timedelta(seconds=35)) is None


def test_the_system_read_path_refuses_anything_but_a_select():
    """scope.system_read_row bypasses the ORM session (and its scope and read-only hooks): it
    runs SELECTs only, refused before any connection is taken."""
    from sqlalchemy import delete

    from pazpaz.models.auth import AuthSession
    from pazpaz.services.scope import ScopeViolation, system_read_row

    with pytest.raises(ScopeViolation):
        system_read_row(delete(AuthSession), {})
