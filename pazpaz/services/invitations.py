"""Accepting an invitation: the invitee's side (docs/ARCHITECTURE.md "Invitations").

The mailed link opens a page naming the practice and the inviter (`preview`, read only:
mail scanners open links); only the form's POST acts (`accept`): it consumes the
invitation atomically, creates the assistant and opens their first session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from pazpaz.i18n import N_
from pazpaz.models import Invitation, User, Workspace
from pazpaz.models.base import utcnow
from pazpaz.services import audit, auth, crypto
from pazpaz.services.audit import RequestContext
from pazpaz.services.errors import ServiceError, ValidationFailed
from pazpaz.services.scope import system_session
from pazpaz.services.tokens import hash_token


class InvitationRefused(ServiceError):
    """The invitation can't be used; `reason` is invalid | expired | used | revoked | account_exists."""

    MESSAGES = {
        "invalid": N_("This invitation link is not valid. Ask the practice for a new invitation."),
        "expired": N_("This invitation has expired. Ask the practice to send it again."),
        "used": N_("This invitation has already been accepted. Sign in instead."),
        "revoked": N_("This invitation was withdrawn by the practice."),
        # Said to the invitee only (the owner's answer never depends on it): one address is
        # one PazPaz account, and accepting would move it.
        "account_exists": (N_("This email address already has a PazPaz account, so it can't join another "
                           "practice. Ask the practice to invite a different address. "
                           "The invitation stays open.")),
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES.get(reason, self.MESSAGES["invalid"]))
        self.reason = reason


@dataclass(frozen=True)
class Preview:
    practice_name: str
    inviter_name: str
    invitee_name: str


def _by_token(session: Session, token: str, lock: bool = False) -> Invitation | None:
    statement = select(Invitation).where(Invitation.token_hash == hash_token(token or ""))
    return session.exec(statement.with_for_update() if lock else statement).first()


def _reason(row: Invitation | None, now: datetime) -> str | None:
    """Why this invitation can't be accepted now, or None when it can."""
    if row is None:
        return "invalid"
    if row.revoked_at is not None:
        return "revoked"
    if row.accepted_at is not None:
        return "used"
    if row.expires_at <= now:
        return "expired"
    return None


def preview(token: str, now: datetime | None = None) -> Preview:
    """What the link page shows. Reads only: the link stays usable however often it is opened."""
    now = now or utcnow()
    with system_session() as session:
        row = _by_token(session, token)
        reason = _reason(row, now)
        if reason is not None:
            raise InvitationRefused(reason)
        workspace = session.get(Workspace, row.workspace_id)
        inviter = session.get(User, row.invited_by)
        return Preview(
            practice_name=workspace.name,
            inviter_name=(crypto.unseal(session, inviter, "name_encrypted") or "") if inviter else "",
            invitee_name=crypto.unseal(session, row, "name_encrypted") or "",
        )


def validate_name(name: str) -> dict[str, str]:
    if not name.strip():
        return {"name": "Enter your name."}
    if len(name.strip()) > 200:
        return {"name": "Keep your name under 200 characters."}
    return {}


def accept(token: str, name: str, context: RequestContext, now: datetime | None = None) -> auth.Redeemed:
    """Consume the invitation exactly once, create the assistant, open their first session.

    An address that already has an account (anywhere: addresses are unique) is refused and
    the invitation stays pending, so the owner can revoke it or the person can use another
    address. Every refusal is audited (ids only).
    """
    errors = validate_name(name)
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    try:
        with system_session() as session:
            return _accept(session, token, name.strip(), context, now)
    except IntegrityError:  # the address got an account (sign-up) at this very moment: nothing was kept
        with system_session() as session:
            row = _by_token(session, token)
            _refused(session, row, "account_exists", context, now)
        raise InvitationRefused("account_exists") from None


def _accept(session: Session, token: str, name: str, context: RequestContext, now: datetime) -> auth.Redeemed:
    # Locked: a second accept of the same link waits here for the first to finish, then sees
    # it accepted ("used") instead of the account the first one just created.
    found = _by_token(session, token, lock=True)
    if found is not None and _reason(found, now) is None:
        email = crypto.unseal(session, found, "email_encrypted") or ""
        if session.exec(select(User.id).where(User.email_index == crypto.email_index(email))).first():
            _refused(session, found, "account_exists", context, now)
            session.commit()  # the refusal stays on record; the invitation stays pending
            raise InvitationRefused("account_exists")
    # The one atomic step: of two simultaneous accepts, one gets the row, the other nothing.
    consumed = session.execute(
        update(Invitation)
        .where(Invitation.token_hash == hash_token(token or ""), Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .values(accepted_at=now)
        .returning(Invitation.id)
    ).first()
    if consumed is None:
        session.expire_all()
        row = _by_token(session, token)
        reason = _reason(row, now) or "used"
        _refused(session, row, reason, context, now)
        session.commit()
        raise InvitationRefused(reason)
    row = session.get(Invitation, consumed.id)
    session.refresh(row)
    email = crypto.unseal(session, row, "email_encrypted") or ""
    user = auth.create_user(session, row.workspace_id, email, name, "assistant")
    row.accepted_user_id = user.id
    audit.record(session, "invitation.accepted", workspace_id=row.workspace_id, user_id=user.id,
                 entity_type="invitation", entity_id=row.id, context=context,
                 details={"invited_by": str(row.invited_by)}, now=now)
    return first_session(session, user, context, now)


def _refused(session: Session, row: Invitation | None, reason: str, context: RequestContext,
             now: datetime) -> None:
    audit.record(session, "invitation.accept_refused", workspace_id=row.workspace_id if row else None,
                 entity_type="invitation" if row else None, entity_id=row.id if row else None,
                 context=context, details={"reason": reason}, now=now)


def first_session(session: Session, user: User, context: RequestContext, now: datetime) -> auth.Redeemed:
    """The invitation link is the new member's first factor; a practice that requires two-step
    sign-in sends them to enrolment before any session exists (auth.finish_first_factor)."""
    return auth.finish_first_factor(session, user, "/", context, now, details={"via": "invitation"})

