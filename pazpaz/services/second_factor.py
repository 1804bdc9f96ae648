"""The second sign-in factor: TOTP codes (pyotp) and single-use backup codes (argon2).

Rules (docs/ARCHITECTURE.md "Two-step sign-in"): a 160-bit secret stored encrypted; a code
of the current time step or one step either side is accepted; a step at or before the last
accepted one is refused (replay); 5 wrong codes within 15 minutes lock the second step for
15 minutes, counted on the user's row under a row lock, so every process sees the same count
and a locked user is refused even the right code (fail closed). Backup codes are stored only
as argon2 hashes and each works once.

This module holds no sign-in flow of its own: services/two_factor.py (enrolment, the sign-in
second step) and services/auth.py (which starts a pending sign-in) call it.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlmodel import Session, select

from pazpaz.i18n import N_
from pazpaz.models.two_factor import BackupCode, PendingSignIn
from pazpaz.models.user import User
from pazpaz.models.workspace import Workspace
from pazpaz.services import audit, crypto
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import ServiceError
from pazpaz.services.tokens import hash_token, new_token

log = logging.getLogger("pazpaz.auth")

STEP_SECONDS = 30
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
PENDING_TTL = timedelta(minutes=5)
BACKUP_CODE_COUNT = 10
ISSUER = "PazPaz"
REQUIRE_SETTING = "require_two_step"
# Backup codes: 10 characters from an alphabet without look-alikes (0/o, 1/l/i), about 50 bits.
_BACKUP_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
# The OWASP minimum argon2id profile: ~20 ms a hash here, so checking 10 codes stays well under a second.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class SecondStepRefused(ServiceError):
    """A code was not accepted; `reason` is wrong | replayed | locked | expired."""

    MESSAGES = {
        "wrong": N_("That code is not right. Type the newest 6-digit code from your authenticator app, "
                    "or one of your backup codes."),
        "replayed": N_("That code was already used. Wait for the next code in your authenticator app."),
        "locked": N_("Too many wrong codes. For your safety, two-step sign-in is locked for 15 minutes."),
        "expired": N_("This sign-in took too long. Ask for a new sign-in link."),
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES.get(reason, self.MESSAGES["wrong"]))
        self.reason = reason


@dataclass(frozen=True)
class Accepted:
    kind: str  # "totp" | "backup"
    backup_codes_left: int | None = None


# ---- secrets and codes ----------------------------------------------------------------

def new_secret() -> str:
    return pyotp.random_base32(32)  # 32 base32 characters = 160 bits (RFC 4226's recommendation)


def provisioning_uri(secret: str, account: str, practice: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=f"{ISSUER} ({practice})"[:60])


def qr_data_uri(uri: str) -> str:
    """A QR code as an SVG data URI, drawn on the server (no external service sees the secret)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#111111")


def grouped(secret: str) -> str:
    """The key in groups of four, for typing it in by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (current, one before or one after) whose code this is, or None."""
    totp = pyotp.TOTP(secret)
    current = time_step(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _clean(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()[:64]


def is_totp_format(code: str) -> bool:
    return bool(re.fullmatch(r"\d{6}", _clean(code)))


def _new_backup_code() -> str:
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def replace_backup_codes(session: Session, user: User, now: datetime) -> list[str]:
    """Ten new codes; every earlier code of the user stops working. Returned once, never stored."""
    session.execute(update(BackupCode).where(BackupCode.user_id == user.id, BackupCode.used_at.is_(None))
                    .values(used_at=now))
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    for code in codes:
        session.add(BackupCode(workspace_id=user.workspace_id, user_id=user.id, code_hash=_HASHER.hash(_clean(code)),
                               created_at=now))
    session.flush()
    return codes


def backup_codes_left(session: Session, user_id: uuid.UUID) -> int:
    return len(session.exec(select(BackupCode.id).where(BackupCode.user_id == user_id,
                                                        BackupCode.used_at.is_(None))).all())


def _use_backup_code(session: Session, user: User, code: str, now: datetime) -> bool:
    cleaned = _clean(code)
    if len(cleaned) != 10:
        return False
    rows = session.exec(select(BackupCode).where(BackupCode.user_id == user.id, BackupCode.used_at.is_(None))).all()
    for row in rows:
        if _verify_hash(row.code_hash, cleaned):
            # The user row is locked by the caller, so two sign-ins can't spend one code twice.
            row.used_at = now
            session.flush()
            return True
    return False


def _verify_hash(code_hash: str, cleaned: str) -> bool:
    try:
        return _HASHER.verify(code_hash, cleaned)
    except (VerificationError, InvalidHashError):
        return False


# ---- checking a code ------------------------------------------------------------------

def lock_user(session: Session, user_id: uuid.UUID) -> User | None:
    """The user's row, locked until the transaction ends: counting failures and spending
    steps or backup codes are check-then-write and must not interleave."""
    return session.exec(select(User).where(User.id == user_id).with_for_update()).first()


def secret_of(session: Session, user: User, column: str = "totp_secret_encrypted") -> str | None:
    blob = getattr(user, column)
    if blob is None:
        return None
    return crypto.decrypt_field(session, user.workspace_id, "users", column, user.id, blob)


def check_code(session: Session, user: User, code: str, now: datetime, context: RequestContext,
               purpose: str, secret_column: str = "totp_secret_encrypted", allow_backup: bool = True) -> Accepted:
    """Accept a TOTP or backup code of `user` (row locked by the caller) or raise
    SecondStepRefused after committing the failure count and its audit row."""
    if user.second_step_locked_until is not None and now < user.second_step_locked_until:
        _refuse(session, user, "locked", purpose, context, now, count=False)
    secret = secret_of(session, user, secret_column)
    if is_totp_format(code) and secret is not None:
        step = matching_step(secret, _clean(code), now)
        if step is None:
            _refuse(session, user, "wrong", purpose, context, now)
        if user.totp_last_step is not None and step <= user.totp_last_step:
            _refuse(session, user, "replayed", purpose, context, now)
        user.totp_last_step = step
        accepted = Accepted(kind="totp")
    elif allow_backup and _use_backup_code(session, user, code, now):
        accepted = Accepted(kind="backup", backup_codes_left=backup_codes_left(session, user.id))
    else:
        _refuse(session, user, "wrong", purpose, context, now)
    user.second_step_failures = 0
    user.second_step_window_start = None
    user.second_step_locked_until = None
    session.flush()
    return accepted


def _refuse(session: Session, user: User, reason: str, purpose: str, context: RequestContext, now: datetime,
            count: bool = True) -> NoReturn:
    details: dict[str, object] = {"reason": reason, "purpose": purpose}
    if count:
        window_open = user.second_step_window_start is not None and now - user.second_step_window_start < FAILURE_WINDOW
        user.second_step_failures = (user.second_step_failures if window_open else 0) + 1
        if not window_open:
            user.second_step_window_start = now
        if user.second_step_failures >= MAX_FAILURES:
            user.second_step_locked_until = now + LOCK_DURATION
            user.second_step_failures = 0
            user.second_step_window_start = None
            details["locked"] = True
            audit.record(session, "auth.second_step_locked", workspace_id=user.workspace_id, user_id=user.id,
                         entity_type="user", entity_id=user.id, context=context, now=now)
            log.warning("second sign-in step locked after %d wrong codes", MAX_FAILURES)
    audit.record(session, "auth.second_step_refused", workspace_id=user.workspace_id, user_id=user.id,
                 entity_type="user", entity_id=user.id, context=context, details=details, now=now)
    # The count and the audit row stay although the caller sees an exception.
    session.commit()
    raise SecondStepRefused("locked" if details.get("locked") else reason)


# ---- the half-signed-in state -----------------------------------------------------------

def workspace_requires(session: Session, workspace_id: uuid.UUID) -> bool:
    workspace = session.get(Workspace, workspace_id)
    return bool(workspace is not None and (workspace.settings or {}).get(REQUIRE_SETTING))


def pending_stage(session: Session, user: User) -> str | None:
    """What must follow the link: "code" (2FA on), "enrol" (the practice requires it), or nothing."""
    if user.totp_enabled_at is not None:
        return "code"
    if workspace_requires(session, user.workspace_id):
        return "enrol"
    return None


def start_pending(session: Session, user: User, stage: str, next_path: str, context: RequestContext,
                  now: datetime) -> str:
    """Record a sign-in whose link was used; returns the token for the short-lived cookie."""
    token = new_token()
    session.add(PendingSignIn(token_hash=hash_token(token), workspace_id=user.workspace_id, user_id=user.id,
                              stage=stage, next_path=next_path, created_at=now, expires_at=now + PENDING_TTL))
    if stage == "enrol":
        crypto.seal(session, user, "totp_pending_encrypted", new_secret())
    audit.record(session, "auth.second_step_started", workspace_id=user.workspace_id, user_id=user.id,
                 entity_type="user", entity_id=user.id, context=context, details={"stage": stage}, now=now)
    return token
