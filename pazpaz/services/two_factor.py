"""Two-step sign-in flows: the sign-in second step, enrolment, backup codes, turning it off,
the practice-wide requirement and recovery (docs/ARCHITECTURE.md "Two-step sign-in").

Every change to a user's second factor (on, off, new backup codes, reset) ends that user's
other sessions and is audited; the primitives (code checks, lockout) are in second_factor.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from pazpaz.i18n import N_
from pazpaz.models.auth import AuthSession
from pazpaz.models.two_factor import BackupCode, PendingSignIn
from pazpaz.models.user import User
from pazpaz.models.workspace import Workspace
from pazpaz.services import audit, auth, clock, crypto, second_factor
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor, system_session, workspace_session
from pazpaz.services.second_factor import SecondStepRefused
from pazpaz.services.tokens import hash_token

NEEDS_CODE = N_("Enter the 6-digit code from your authenticator app.")


# ---- the second step of a sign-in -------------------------------------------------------

@dataclass(frozen=True)
class PendingView:
    stage: str  # "code" | "enrol"
    practice_name: str
    key: str = ""  # enrol only: the secret in groups of four
    qr: str = ""  # enrol only: SVG data URI
    language: str | None = None  # the user's language (None: the browser's)


@dataclass(frozen=True)
class Completed:
    session_token: str
    next_path: str
    identity: auth.SignedIn
    backup_codes: list[str]  # enrolment only: shown once
    backup_codes_left: int | None  # a backup code was used: how many remain
    language: str | None = None  # the user's language (None: the browser's)


def _live_pending(session: Session, token: str, now: datetime, lock: bool = False) -> PendingSignIn | None:
    statement = select(PendingSignIn).where(PendingSignIn.token_hash == hash_token(token or ""),
                                            PendingSignIn.used_at.is_(None), PendingSignIn.expires_at > now)
    return session.exec(statement.with_for_update() if lock else statement).first()


def pending_view(token: str, now: datetime | None = None) -> PendingView | None:
    """What the second-step page shows, or None when the half sign-in is gone or expired."""
    now = now or clock.now()
    with system_session() as session:
        pending = _live_pending(session, token, now)
        if pending is None:
            return None
        user = session.get(User, pending.user_id)
        workspace = session.get(Workspace, pending.workspace_id)
        if user is None or workspace is None or not user.active:
            return None
        if pending.stage != "enrol":
            return PendingView(stage=pending.stage, practice_name=workspace.name, language=user.language)
        secret = second_factor.secret_of(session, user, "totp_pending_encrypted") or ""
        email = crypto.unseal(session, user, "email_encrypted") or ""
        uri = second_factor.provisioning_uri(secret, email, workspace.name)
        return PendingView(stage="enrol", practice_name=workspace.name, key=second_factor.grouped(secret),
                           qr=second_factor.qr_data_uri(uri), language=user.language)


def complete_sign_in(token: str, code: str, context: RequestContext, now: datetime | None = None) -> Completed:
    """Check the second factor of a pending sign-in (or finish enrolment) and open the session."""
    now = now or clock.now()
    with system_session() as session:
        pending = _live_pending(session, token, now, lock=True)
        if pending is None:
            raise SecondStepRefused("expired")
        user = second_factor.lock_user(session, pending.user_id)
        if user is None or not user.active:
            raise auth.LinkRefused("inactive")
        if not code.strip():
            raise ValidationFailed({"code": NEEDS_CODE})
        codes: list[str] = []
        if pending.stage == "enrol":
            second_factor.check_code(session, user, code, now, context, "enrol",
                                     secret_column="totp_pending_encrypted", allow_backup=False)
            codes = _turn_on(session, user, context, now)
            accepted = second_factor.Accepted(kind="totp")
        else:
            accepted = second_factor.check_code(session, user, code, now, context, "signin")
        pending.used_at = now
        session_token, identity = auth.open_session(session, user, context, now,
                                                    details={"second_step": accepted.kind})
        return Completed(session_token=session_token, next_path=pending.next_path, identity=identity,
                         backup_codes=codes, backup_codes_left=accepted.backup_codes_left, language=user.language)


# ---- the user's own settings ------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    enabled: bool
    enabled_at: datetime | None
    backup_codes_left: int
    required: bool  # the practice requires two-step sign-in


@dataclass(frozen=True)
class Enrolment:
    key: str
    qr: str


def _own_row(session: Session, actor: Actor) -> User:
    user = second_factor.lock_user(session, actor.user_id)
    if user is None:
        raise NotFound(N_("Your account could not be loaded."))
    return user


def status(actor: Actor) -> Status:
    with workspace_session(actor) as session:
        user = session.exec(select(User).where(User.id == actor.user_id)).first()
        if user is None:
            raise NotFound(N_("Your account could not be loaded."))
        return Status(enabled=user.totp_enabled_at is not None, enabled_at=user.totp_enabled_at,
                      backup_codes_left=second_factor.backup_codes_left(session, user.id),
                      required=second_factor.workspace_requires(session, actor.workspace_id))


def begin_enrolment(actor: Actor) -> Enrolment:
    """A new secret to scan; two-step sign-in is on only once a code from it is confirmed."""
    with workspace_session(actor) as session:
        user = _own_row(session, actor)
        if user.totp_enabled_at is not None:
            raise ServiceError(N_("Two-step sign-in is already on."))
        secret = second_factor.new_secret()
        crypto.seal(session, user, "totp_pending_encrypted", secret)
        email = crypto.unseal(session, user, "email_encrypted") or ""
        workspace = session.get(Workspace, actor.workspace_id)
        uri = second_factor.provisioning_uri(secret, email, workspace.name if workspace else "")
        return Enrolment(key=second_factor.grouped(secret), qr=second_factor.qr_data_uri(uri))


def confirm_enrolment(actor: Actor, code: str) -> list[str]:
    """Turn two-step sign-in on with a code from the new secret; returns the backup codes (once)."""
    now = clock.now()
    with workspace_session(actor) as session:
        user = _own_row(session, actor)
        if user.totp_enabled_at is not None:
            raise ServiceError(N_("Two-step sign-in is already on."))
        if user.totp_pending_encrypted is None:
            raise ServiceError(N_("Start again: press \u201cTurn on two-step sign-in\u201d."))
        if not second_factor.is_totp_format(code):
            raise ValidationFailed({"code": NEEDS_CODE})
        second_factor.check_code(session, user, code, now, actor.context, "enrol",
                                 secret_column="totp_pending_encrypted", allow_backup=False)
        return _turn_on(session, user, actor.context, now, actor.session_id)


def _turn_on(session: Session, user: User, context: RequestContext, now: datetime,
             keep_session_id: uuid.UUID | None = None) -> list[str]:
    secret = second_factor.secret_of(session, user, "totp_pending_encrypted")
    crypto.seal(session, user, "totp_secret_encrypted", secret)
    user.totp_pending_encrypted = None
    user.totp_enabled_at = now
    codes = second_factor.replace_backup_codes(session, user, now)
    ended = auth.revoke_user_sessions(session, user.id, "two_step_enabled", now, keep_session_id)
    audit.record(session, "auth.two_step_enabled", workspace_id=user.workspace_id, user_id=user.id,
                 entity_type="user", entity_id=user.id, context=context, details={"sessions_ended": ended}, now=now)
    return codes


def _require_current_code(session: Session, user: User, code: str, context: RequestContext, now: datetime,
                          purpose: str) -> None:
    if user.totp_enabled_at is None:
        raise ServiceError(N_("Two-step sign-in is off."))
    if not second_factor.is_totp_format(code):
        raise ValidationFailed({"code": NEEDS_CODE})
    second_factor.check_code(session, user, code, now, context, purpose, allow_backup=False)


def regenerate_backup_codes(actor: Actor, code: str) -> list[str]:
    """Ten new backup codes (every old one stops working); needs a current code."""
    now = clock.now()
    with workspace_session(actor) as session:
        user = _own_row(session, actor)
        _require_current_code(session, user, code, actor.context, now, "backup_codes")
        codes = second_factor.replace_backup_codes(session, user, now)
        ended = auth.revoke_user_sessions(session, user.id, "backup_codes_new", now, actor.session_id)
        audit.record(session, "auth.backup_codes_regenerated", workspace_id=user.workspace_id, user_id=user.id,
                     entity_type="user", entity_id=user.id, context=actor.context,
                     details={"sessions_ended": ended}, now=now)
        return codes


def turn_off(actor: Actor, code: str) -> None:
    now = clock.now()
    with workspace_session(actor) as session:
        user = _own_row(session, actor)
        if second_factor.workspace_requires(session, actor.workspace_id):
            raise ServiceError(N_("Your practice requires two-step sign-in, so it can't be turned off."))
        _require_current_code(session, user, code, actor.context, now, "turn_off")
        _clear(session, user, now)
        ended = auth.revoke_user_sessions(session, user.id, "two_step_disabled", now, actor.session_id)
        audit.record(session, "auth.two_step_disabled", workspace_id=user.workspace_id, user_id=user.id,
                     entity_type="user", entity_id=user.id, context=actor.context,
                     details={"sessions_ended": ended}, now=now)


def _clear(session: Session, user: User, now: datetime) -> None:
    user.totp_secret_encrypted = None
    user.totp_pending_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.second_step_failures = 0
    user.second_step_window_start = None
    user.second_step_locked_until = None
    session.execute(update(BackupCode).where(BackupCode.user_id == user.id, BackupCode.used_at.is_(None))
                    .values(used_at=now))
    session.execute(update(PendingSignIn).where(PendingSignIn.user_id == user.id, PendingSignIn.used_at.is_(None))
                    .values(used_at=now))


# ---- the practice -----------------------------------------------------------------------

def set_required(actor: Actor, required: bool) -> int:
    """The owner's "Require two-step sign-in for everyone". Turning it on ends the sessions of
    users without it, who are then sent to enrolment right after their next link. Returns
    how many sessions ended."""
    actor.require_owner()
    now = clock.now()
    with workspace_session(actor) as session:
        workspace = session.exec(select(Workspace).where(Workspace.id == actor.workspace_id).with_for_update()).one()
        owner = _own_row(session, actor)
        if required and owner.totp_enabled_at is None:
            raise ServiceError(N_("Turn on your own two-step sign-in first."))
        workspace.settings = {**(workspace.settings or {}), second_factor.REQUIRE_SETTING: required}
        ended = 0
        if required:
            without = select(User.id).where(User.workspace_id == actor.workspace_id, User.totp_enabled_at.is_(None))
            ended = session.execute(
                update(AuthSession).where(AuthSession.workspace_id == actor.workspace_id,
                                          AuthSession.revoked_at.is_(None), AuthSession.user_id.in_(without))
                .values(revoked_at=now, revoke_reason="two_step_required")
            ).rowcount or 0
        audit.record(session, "workspace.two_step_required" if required else "workspace.two_step_optional",
                     workspace_id=actor.workspace_id, user_id=actor.user_id, entity_type="workspace",
                     entity_id=actor.workspace_id, context=actor.context, details={"sessions_ended": ended}, now=now)
        return ended


def reset_for(actor: Actor, user_id: uuid.UUID) -> None:
    """The owner turns off another user's two-step sign-in (a lost phone); that user's
    sessions end, and they enrol again at their next sign-in if the practice requires it."""
    actor.require_owner()
    if user_id == actor.user_id:
        raise ServiceError(N_("Use your own security settings, or the command line, for your own account."))
    now = clock.now()
    with workspace_session(actor) as session:
        user = session.exec(select(User).where(User.id == user_id).with_for_update()).first()
        if user is None:
            raise NotFound(N_("User not found."))
        _reset(session, user, actor.context, now, by=actor.user_id)


def reset_by_email(email: str, context: RequestContext) -> bool:
    """`python -m pazpaz.cli reset-2fa EMAIL`: a self-hoster who lost their own device.
    Returns False when no account has that address."""
    now = clock.now()
    with system_session() as session:
        user = session.exec(select(User).where(User.email_index == crypto.email_index(email)).with_for_update()).first()
        if user is None:
            return False
        _reset(session, user, context, now, by=None)
        return True


def _reset(session: Session, user: User, context: RequestContext, now: datetime, by: uuid.UUID | None) -> None:
    _clear(session, user, now)
    ended = auth.revoke_user_sessions(session, user.id, "two_step_reset", now)
    audit.record(session, "auth.two_step_reset", workspace_id=user.workspace_id, user_id=by, entity_type="user",
                 entity_id=user.id, context=context,
                 details={"sessions_ended": ended, "by": "owner" if by else "command_line"}, now=now)
