"""The second factor's rules against a real PostgreSQL, with the clock passed in: the ±1 step
window, replay refusal, the lockout after 5 wrong codes, single-use backup codes."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlmodel import select

from pazpaz.models import AuditEvent, User
from pazpaz.services import clock, crypto, second_factor, two_factor
from pazpaz.services.scope import system_session
from pazpaz.services.second_factor import SecondStepRefused
from tests.support.factories import CTX, make_workspace

T0 = datetime(2026, 11, 25, 9, 0, 10, tzinfo=UTC)


def enrolled(actor) -> tuple[str, list[str]]:
    """Turn two-step sign-in on for actor at T0; returns (secret, backup codes)."""
    with clock.frozen(T0 - timedelta(minutes=5)):
        two_factor.begin_enrolment(actor)
        secret = secret_of(actor, "totp_pending_encrypted")
        codes = two_factor.confirm_enrolment(actor, pyotp.TOTP(secret).at(T0 - timedelta(minutes=5)))
    return secret, codes


def secret_of(actor, column: str = "totp_secret_encrypted") -> str:
    with system_session() as session:
        user = session.get(User, actor.user_id)
        return second_factor.secret_of(session, user, column)


def wrong_code(secret: str, now: datetime) -> str:
    """Six digits that are not a code of any step the window accepts at `now`."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(now + timedelta(seconds=delta)) for delta in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def check(actor, code: str, now: datetime) -> second_factor.Accepted:
    with system_session() as session:
        user = second_factor.lock_user(session, actor.user_id)
        return second_factor.check_code(session, user, code, now, CTX, "signin")


def refusal(actor, code: str, now: datetime) -> str:
    with pytest.raises(SecondStepRefused) as refused:
        check(actor, code, now)
    return refused.value.reason


def test_secret_is_160_bits_and_stored_encrypted(app_env):
    actor = make_workspace()
    secret, codes = enrolled(actor)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # 32 base32 characters = 160 bits
    with system_session() as session:
        user = session.get(User, actor.user_id)
        assert secret.encode() not in user.totp_secret_encrypted
        assert user.totp_pending_encrypted is None and user.totp_enabled_at is not None
        # bound to its column: the ciphertext does not decrypt as another column
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt_field(session, user.workspace_id, "users", "name_encrypted", user.id,
                                 user.totp_secret_encrypted)
    assert len(codes) == 10 and len(set(codes)) == 10


def test_window_accepts_one_step_either_side_and_no_further(app_env):
    actor = make_workspace()
    secret, _ = enrolled(actor)
    totp = pyotp.TOTP(secret)
    now = T0 + timedelta(hours=1)
    assert refusal(actor, totp.at(now - timedelta(seconds=60)), now) == "wrong"
    assert refusal(actor, totp.at(now + timedelta(seconds=60)), now) == "wrong"
    assert check(actor, totp.at(now - timedelta(seconds=30)), now).kind == "totp"
    assert check(actor, totp.at(now), now).kind == "totp"
    assert check(actor, totp.at(now + timedelta(seconds=30)), now).kind == "totp"


def test_a_used_step_is_refused_and_so_is_an_older_one(app_env):
    actor = make_workspace()
    secret, _ = enrolled(actor)
    totp = pyotp.TOTP(secret)
    now = T0 + timedelta(hours=1)
    code = totp.at(now)
    check(actor, code, now)
    assert refusal(actor, code, now + timedelta(seconds=5)) == "replayed"
    assert refusal(actor, totp.at(now - timedelta(seconds=30)), now) == "replayed"
    assert check(actor, totp.at(now + timedelta(seconds=30)), now + timedelta(seconds=30)).kind == "totp"


def test_the_same_code_twice_at_once_is_accepted_once(app_env):
    actor = make_workspace()
    secret, _ = enrolled(actor)
    now = T0 + timedelta(hours=1)
    code = pyotp.TOTP(secret).at(now)
    results: list[str] = []
    barrier = threading.Barrier(5)

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(check(actor, code, now).kind)
        except SecondStepRefused as refused:
            results.append(refused.reason)

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["replayed"] * 4 + ["totp"]  # a 5th would lock: replays count as wrong codes


def test_five_wrong_codes_lock_the_second_step_even_for_the_right_code(app_env):
    actor = make_workspace()
    secret, _ = enrolled(actor)
    totp = pyotp.TOTP(secret)
    now = T0 + timedelta(hours=1)
    reasons = [refusal(actor, wrong_code(secret, now), now + timedelta(seconds=i)) for i in range(5)]
    assert reasons == ["wrong"] * 4 + ["locked"]
    assert refusal(actor, totp.at(now + timedelta(minutes=1)), now + timedelta(minutes=1)) == "locked"
    later = now + timedelta(minutes=15, seconds=10)
    assert check(actor, totp.at(later), later).kind == "totp"
    with system_session() as session:
        events = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.user_id == actor.user_id))]
    assert events.count("auth.second_step_locked") == 1
    assert events.count("auth.second_step_refused") == 6


def test_wrong_codes_spread_over_more_than_15_minutes_do_not_lock(app_env):
    actor = make_workspace()
    secret, _ = enrolled(actor)
    now = T0 + timedelta(hours=1)
    for i in range(4):
        refusal(actor, "abc", now + timedelta(minutes=i))
    refusal(actor, "abc", now + timedelta(minutes=16))  # the first window has closed: this counts as 1
    later = now + timedelta(minutes=17)
    assert check(actor, pyotp.TOTP(secret).at(later), later).kind == "totp"


def test_a_backup_code_works_once_and_says_how_many_remain(app_env):
    actor = make_workspace()
    _, codes = enrolled(actor)
    now = T0 + timedelta(hours=1)
    first = check(actor, codes[0].upper().replace("-", " "), now)  # typed loosely: case and separators
    assert (first.kind, first.backup_codes_left) == ("backup", 9)
    assert refusal(actor, codes[0], now) == "wrong"
    assert check(actor, codes[1], now).backup_codes_left == 8


def test_regenerating_invalidates_every_old_backup_code(app_env):
    actor = make_workspace()
    secret, old = enrolled(actor)
    now = T0 + timedelta(hours=1)
    with clock.frozen(now):
        new = two_factor.regenerate_backup_codes(actor, pyotp.TOTP(secret).at(now))
    assert not set(new) & set(old)
    assert refusal(actor, old[2], now) == "wrong"
    assert check(actor, new[0], now).backup_codes_left == 9


def test_enrolment_needs_a_valid_code_of_the_new_secret(app_env):
    actor = make_workspace()
    with clock.frozen(T0):
        two_factor.begin_enrolment(actor)
        pending = secret_of(actor, "totp_pending_encrypted")
        with pytest.raises(SecondStepRefused):
            two_factor.confirm_enrolment(actor, pyotp.TOTP(pyotp.random_base32(32)).at(T0))
        assert not two_factor.status(actor).enabled
        two_factor.confirm_enrolment(actor, pyotp.TOTP(pending).at(T0))
        assert two_factor.status(actor).enabled
        assert two_factor.status(actor).backup_codes_left == 10
