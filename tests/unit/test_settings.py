"""Settings: a bad value fails at start-up with a message naming the variable."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from pazpaz.settings import SettingsError, build_settings

KEYS = {name: base64.urlsafe_b64encode(bytes([i]) * 32).decode()
        for i, name in enumerate(("PAZPAZ_SECRET_KEY", "PAZPAZ_KEK", "PAZPAZ_BLIND_INDEX_KEY"), start=1)}


def settings_from(tmp_path, **overrides):
    return build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS, **overrides})


def test_defaults(tmp_path):
    settings = settings_from(tmp_path)
    assert settings.port == 3000
    assert settings.public_url == "http://localhost:3000"
    assert settings.session_idle_minutes == 30 and settings.session_absolute_hours == 12
    assert settings.link_ttl_minutes == 10
    assert settings.smtp is None and settings.database_url is None
    assert settings.session_cookie_name == "pazpaz_session"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PAZPAZ_PORT", "abc"),
        ("PAZPAZ_PORT", "70000"),
        ("PAZPAZ_PUBLIC_URL", "localhost:3000"),
        ("PAZPAZ_SIGNUP", "sometimes"),
        ("PAZPAZ_SESSION_IDLE_MINUTES", "0"),
        ("PAZPAZ_RATE_LIMIT_EMAIL", "lots"),
        ("DATABASE_URL", "mysql://x"),
        ("PAZPAZ_KEK", "c2hvcnQ"),
    ],
)
def test_bad_value_names_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError) as error:
        settings_from(tmp_path, **{name: value})
    assert name in str(error.value)


def test_smtp_requires_a_sender(tmp_path):
    with pytest.raises(SettingsError, match="SMTP_FROM"):
        settings_from(tmp_path, SMTP_HOST="mail.example.com")


def test_https_public_url_uses_host_prefixed_secure_cookie(tmp_path):
    settings = settings_from(tmp_path, PAZPAZ_PUBLIC_URL="https://practice.example.com")
    assert settings.secure_cookies
    assert settings.session_cookie_name == "__Host-pazpaz_session"


def test_secrets_are_generated_once_into_a_private_file(tmp_path):
    first = build_settings({"PAZPAZ_DATA_DIR": str(tmp_path)})
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = build_settings({"PAZPAZ_DATA_DIR": str(tmp_path)})
    assert first.kek == second.kek and first.secret_key == second.secret_key
    assert len({first.kek, first.secret_key, first.blind_index_key}) == 3
    assert set(json.loads(path.read_text())) == set(KEYS)


def test_secret_from_env_wins_over_the_file(tmp_path):
    build_settings({"PAZPAZ_DATA_DIR": str(tmp_path)})
    settings = build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), "PAZPAZ_KEK": KEYS["PAZPAZ_KEK"]})
    assert settings.kek == bytes([2]) * 32


def test_mail_keeps_the_link_on_one_plain_line():
    from pazpaz.services.mail import build_message

    link = "http://localhost:3000/auth/continue?token=" + "A" * 43
    raw = bytes(build_message("a@example.com", "Sign in", f"Open this:\n\n{link}\n", "PazPaz <x@example.com>"))
    assert link.encode() in raw
    assert b"quoted-printable" not in raw


def test_invitation_settings(tmp_path):
    settings = settings_from(tmp_path)
    assert settings.invite_ttl_days == 7 and settings.rate_limit_invite == "20/hour"
    custom = settings_from(tmp_path, PAZPAZ_INVITE_TTL_DAYS="14", PAZPAZ_RATE_LIMIT_INVITE="5/hour")
    assert custom.invite_ttl_days == 14 and custom.rate_limit_invite == "5/hour"
    for name, value in (("PAZPAZ_INVITE_TTL_DAYS", "0"), ("PAZPAZ_INVITE_TTL_DAYS", "31"),
                        ("PAZPAZ_RATE_LIMIT_INVITE", "many")):
        with pytest.raises(SettingsError, match=name):
            settings_from(tmp_path, **{name: value})
