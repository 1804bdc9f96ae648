"""Sign-in hardening: the client address behind trusted proxies, the per-email limit that can't
lock anyone out, one email normalisation with mail to the stored address, refusals on record,
and `create-practice` from the command line."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.requests import Request

from pazpaz import cli
from pazpaz.api.http import request_context
from pazpaz.models import AuditEvent, User, Workspace
from pazpaz.services import auth, crypto
from pazpaz.services.audit import RequestContext
from pazpaz.services.client_ip import client_ip, parse_networks
from pazpaz.services.errors import RateLimited
from pazpaz.services.scope import system_session
from pazpaz.settings import SettingsError, build_settings
from tests.unit.test_auth import CTX, T0, redeem, sign_up, token_from
from tests.unit.test_settings import KEYS

PROXIES = parse_networks("10.0.0.0/8, 2001:db8::1")
KELVIN = "\u212a"  # KELVIN SIGN, which lower() and casefold() turn into a plain "k"


# ---- the client address -----------------------------------------------------------------

def test_an_untrusted_peer_is_the_client_whatever_it_forwards():
    assert client_ip("203.0.113.5", "198.51.100.1", PROXIES) == "203.0.113.5"
    assert client_ip("203.0.113.5", "198.51.100.1", ()) == "203.0.113.5"  # the default: nobody is trusted


def test_a_trusted_proxy_gives_the_right_most_untrusted_address():
    assert client_ip("10.0.0.2", "198.51.100.7", PROXIES) == "198.51.100.7"
    # two proxies of ours in a row: skip both
    assert client_ip("10.0.0.2", "198.51.100.7, 10.1.2.3", PROXIES) == "198.51.100.7"
    assert client_ip("2001:db8::1", "2001:db8::99", PROXIES) == "2001:db8::99"


def test_spoofed_left_entries_are_ignored():
    # The client wrote the first two itself; our proxy appended the address it really saw.
    assert client_ip("10.0.0.2", "1.2.3.4, 10.9.9.9, 198.51.100.7", PROXIES) == "198.51.100.7"
    assert client_ip("10.0.0.2", "not-an-ip, 198.51.100.7", PROXIES) == "198.51.100.7"


def test_a_trusted_peer_without_a_header_is_itself():
    assert client_ip("10.0.0.2", None, PROXIES) == "10.0.0.2"
    assert client_ip("10.0.0.2", "", PROXIES) == "10.0.0.2"


def test_trusted_proxies_setting_is_validated_once(tmp_path):
    settings = build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS})
    assert settings.trusted_proxies == ()
    settings = build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS,
                               "PAZPAZ_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"})
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(SettingsError, match="PAZPAZ_TRUSTED_PROXIES"):
        build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS, "PAZPAZ_TRUSTED_PROXIES": "proxy.local"})


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "POST", "path": "/auth/redeem", "headers": headers,
                    "client": (peer, 40000)})


def test_http_routes_use_the_trusted_proxy_setting(monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("PAZPAZ_TRUSTED_PROXIES", "127.0.0.1")
    reset_caches()
    try:
        assert request_context(_request("127.0.0.1", "9.9.9.9, 198.51.100.7")).ip == "198.51.100.7"
        assert request_context(_request("127.0.0.1", "9.9.9.9", "198.51.100.8")).ip == "198.51.100.8"
        assert request_context(_request("203.0.113.5", "198.51.100.7")).ip == "203.0.113.5"
    finally:
        monkeypatch.delenv("PAZPAZ_TRUSTED_PROXIES")
        reset_caches()
    assert request_context(_request("127.0.0.1", "198.51.100.7")).ip == "127.0.0.1"


# ---- the per-email limit ----------------------------------------------------------------

def _rate_limited_rows() -> list[AuditEvent]:
    with system_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "auth.link_rate_limited")))


def test_a_strangers_flood_never_refuses_the_owner_nor_kills_her_link(app_env, smtp_sink):
    email = "flooded@example.com"
    sign_up(smtp_sink, email)  # mail 1 of 5 in the window
    for n in range(12):  # a stranger, from many addresses, asks for her links
        auth.request_link(email, RequestContext(ip=f"198.51.100.{n}"), now=T0)
    sent = len(smtp_sink.messages_to(email))
    # The owner asks too: the same answer as always, no refusal
    auth.request_link(email, CTX, now=T0)
    latest = token_from(smtp_sink.wait_for_link(email, after=4))  # the fifth and last mail sent
    assert redeem(latest, T0 + timedelta(minutes=1)).session_token
    assert sent <= 5 and len(smtp_sink.messages_to(email)) == 5
    refused = _rate_limited_rows()
    assert len(refused) == 9 and {e.details["limit"] for e in refused} == {"email"}


def test_the_email_window_never_outlasts_a_link(tmp_path):
    """Whenever the limit holds a mail back, a mail sent inside the window carries a live link."""
    base = {"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS}
    assert build_settings(base).rate_limit_email == "5/10minutes"
    assert build_settings({**base, "PAZPAZ_LINK_TTL_MINUTES": "15"}).rate_limit_email == "5/15minutes"
    with pytest.raises(SettingsError, match="PAZPAZ_RATE_LIMIT_EMAIL"):
        build_settings({**base, "PAZPAZ_RATE_LIMIT_EMAIL": "5/15minutes"})


# ---- one normalisation, mail to the stored address ------------------------------------

def _exact_recipients(sink) -> list[str]:
    with sink.handler.lock:
        return [str(m["To"]).strip() for m in sink.handler.messages]


def test_a_kelvin_sign_lookalike_gets_the_link_at_the_stored_address(app_env, smtp_sink):
    sign_up(smtp_sink, "kim@example.com")
    before = len(smtp_sink.messages_to("kim@example.com"))
    auth.request_link(f"{KELVIN}im@example.com", CTX, now=T0)
    smtp_sink.wait_for_link("kim@example.com", after=before)
    recipients = _exact_recipients(smtp_sink)
    assert recipients.count("kim@example.com") == before + 1
    assert not any(KELVIN in to for to in recipients)


def test_compatibility_forms_fold_to_one_account(app_env, smtp_sink):
    sign_up(smtp_sink, "kim2@example.com")
    before = len(smtp_sink.messages_to("kim2@example.com"))
    auth.request_link("\uff2b\uff49\uff4d2@example.com", CTX, now=T0)  # fullwidth "Kim"
    smtp_sink.wait_for_link("kim2@example.com", after=before)
    assert not any("\uff4d" in to for to in _exact_recipients(smtp_sink))


@pytest.mark.parametrize("email", ["Kim@Example.COM", " a.b+c_d-e@x.io ", "MiXeD.Case@Sub.Example.ORG"])
def test_ascii_addresses_normalise_as_before(email):
    # Existing rows' blind index was computed with strip().lower(): ASCII ones stay valid.
    assert crypto.normalise_email(email) == email.strip().lower()


def test_reindex_brings_old_non_ascii_rows_to_the_new_form(app_env, smtp_sink):
    old_form = "\uff4bim3@example.com"  # stored before NFKC: lower() leaves fullwidth letters alone
    with system_session() as session:
        workspace = Workspace(name="Old", time_zone="UTC")
        session.add(workspace)
        session.flush()
        user = auth.create_user(session, workspace.id, "placeholder@example.com", "Old Kim", "owner")
        user.email_index = crypto.blind_index("email:" + old_form)
        user.email_encrypted = crypto.encrypt_field(session, workspace.id, "users", "email_encrypted", user.id,
                                                    old_form)
    done = auth.reindex_emails()
    assert (done.changed, done.conflicts) == (1, 0)
    assert auth.reindex_emails().changed == 0  # idempotent
    auth.request_link("kim3@example.com", CTX, now=T0)
    smtp_sink.wait_for_link("kim3@example.com")


# ---- refusals on record ---------------------------------------------------------------

def test_an_ip_refusal_is_audited_with_ids_and_logged_without_the_address(app_env, smtp_sink, monkeypatch, caplog):
    from tests.conftest import reset_caches

    sign_up(smtp_sink, "canary-refused@example.com")
    monkeypatch.setenv("PAZPAZ_RATE_LIMIT_IP", "2/15minutes")
    reset_caches()
    noisy = RequestContext(ip="203.0.113.77", user_agent="pytest")
    auth.request_link("canary-refused@example.com", noisy, now=T0)
    auth.request_link("someone-else@example.com", noisy, now=T0)
    with caplog.at_level(logging.INFO), pytest.raises(RateLimited):
        auth.request_link("canary-refused@example.com", noisy, now=T0)
    [row] = _rate_limited_rows()
    with system_session() as session:
        user = session.exec(select(User)).one()
    assert (row.user_id, row.workspace_id, row.ip) == (user.id, user.workspace_id, "203.0.113.77")
    assert row.details == {"limit": "ip", "purpose": "signin"}
    assert "canary" not in str(row.model_dump()).lower()
    lines = [r.getMessage() for r in caplog.records if "rate limit" in r.getMessage()]
    assert lines and all("canary" not in line for line in lines)


# ---- create-practice --------------------------------------------------------------------

def test_create_practice_makes_a_workspace_and_owner_without_mail(app_env, smtp_sink, capsys):
    code = cli.main(["create-practice", "--name", "Quiet Room", "--owner-name", "Noa Canary",
                     "--email", "Noa@Example.com", "--time-zone", "Asia/Jerusalem"])
    out = capsys.readouterr().out
    assert code == 0
    with system_session() as session:
        [workspace] = session.exec(select(Workspace)).all()
        [owner] = session.exec(select(User)).all()
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert str(workspace.id) in out and str(owner.id) in out and "canary" not in out.lower()
    assert (workspace.name, workspace.time_zone, owner.role) == ("Quiet Room", "Asia/Jerusalem", "owner")
    assert actions == ["workspace.created"]
    assert smtp_sink.messages_to("noa@example.com") == []
    # The owner can then ask for a link as usual.
    auth.request_link("noa@example.com", CTX, now=T0)
    assert redeem(token_from(smtp_sink.wait_for_link("noa@example.com")), T0).identity.user_id == owner.id


def test_create_practice_refuses_a_duplicate_email_and_a_bad_zone(app_env, capsys):
    args = ["create-practice", "--name", "One", "--owner-name", "Ari", "--time-zone", "Europe/Berlin"]
    assert cli.main([*args, "--email", "ari@example.com"]) == 0
    capsys.readouterr()
    assert cli.main([*args, "--email", "ARI@example.com"]) == 1
    assert "already has a PazPaz account" in capsys.readouterr().err
    bad_zone = ["create-practice", "--name", "Two", "--owner-name", "Bo", "--email", "bo@example.com",
                "--time-zone", "Mars/Olympus"]
    assert cli.main(bad_zone) == 1
    assert "time zone" in capsys.readouterr().err
    with system_session() as session:
        assert len(session.exec(select(Workspace)).all()) == 1


def test_signup_and_create_practice_share_one_creation_path():
    import inspect

    assert "create_practice_in(" in inspect.getsource(auth._signup)
    assert "create_practice_in(" in inspect.getsource(auth.create_practice)


