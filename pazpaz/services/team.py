"""The practice's users: the owner invites assistants (invitations) and can deactivate anyone else."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from pazpaz import i18n
from pazpaz.i18n import N_, _
from pazpaz.models import Invitation, User, Workspace
from pazpaz.models.base import utcnow
from pazpaz.services import api_tokens, audit, auth, calendar_feed, crypto, workspaces
from pazpaz.services.errors import NotFound, RateLimited, ValidationFailed
from pazpaz.services.mail import send_after_commit
from pazpaz.services.ratelimit import get_limiter
from pazpaz.services.scope import Actor, workspace_session
from pazpaz.services.tokens import hash_token, new_token
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.team")


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    name: str
    email: str
    role: str
    active: bool
    two_step: bool = False


def list_members(actor: Actor) -> list[Member]:
    actor.require_owner()
    with workspace_session(actor) as session:
        users = session.exec(select(User)).all()
        members = [
            Member(
                id=u.id,
                name=crypto.unseal(session, u, "name_encrypted") or "",
                email=crypto.unseal(session, u, "email_encrypted") or "",
                role=u.role,
                active=u.active,
                two_step=u.totp_enabled_at is not None,
            )
            for u in users
        ]
        audit.record(session, "user.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", context=actor.context, details={"count": len(members)})
    return sorted(members, key=lambda m: (m.role != "owner", m.name.lower()))


# ---- invitations (docs/ARCHITECTURE.md "Invitations") ------------------------------------

INVITATION_MISSING = N_("That invitation was not found. It may have been accepted or revoked.")


class InvitesRateLimited(RateLimited):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(retry_after_seconds)
        minutes = max(1, -(-retry_after_seconds // 60))
        unit = "minute" if minutes == 1 else "minutes"
        self.args = (f"You have sent many invitations in a short time. Please try again in {minutes} {unit}.",)


@dataclass(frozen=True)
class PendingInvitation:
    id: uuid.UUID
    name: str
    email: str
    invited_at: datetime  # in the practice's time zone
    expires_at: datetime
    expired: bool


def invite_assistant(actor: Actor, email: str, name: str, now: datetime | None = None) -> uuid.UUID:
    """Invite someone to join as an assistant; no user exists until they accept.

    The answer is the same for every valid address: other practices are never consulted
    (an address that already has an account learns it only when its owner tries to accept).
    Inviting an address that has a pending invitation renews that one (new link, new expiry).
    """
    actor.require_owner()
    errors: dict[str, str] = {}
    if not auth.valid_email(email):
        errors["email"] = N_("Enter an email address like name@example.com.")
    if not name.strip():
        errors["name"] = N_("Enter the assistant's name.")
    elif len(name.strip()) > 200:
        errors["name"] = N_("Keep the name under 200 characters.")
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    _limit_invitations(actor, now)
    try:
        with workspace_session(actor) as session:
            return _invite(session, actor, email, name.strip(), now)
    except IntegrityError:  # the same address invited twice at once: the later one renews the first
        with workspace_session(actor) as session:
            return _invite(session, actor, email, name.strip(), now)


def _invite(session: Session, actor: Actor, email: str, name: str, now: datetime) -> uuid.UUID:
    index = crypto.email_index(email)
    # Scoped to this practice: the owner already sees their own team, nothing else is consulted.
    if session.exec(select(User.id).where(User.email_index == index)).first() is not None:
        raise ValidationFailed({"email": N_("This person is already on your team.")})
    row = session.exec(select(Invitation).where(Invitation.email_index == index, Invitation.accepted_at.is_(None),
                                                Invitation.revoked_at.is_(None)).with_for_update()).first()
    renewed = row is not None
    if row is None:
        row = Invitation(id=uuid.uuid4(), workspace_id=actor.workspace_id, invited_by=actor.user_id,
                         email_index=index, email_encrypted=b"", name_encrypted=b"", token_hash="", created_at=now,
                         expires_at=now)
        crypto.seal(session, row, "email_encrypted", crypto.normalise_email(email))
    row.invited_by = actor.user_id
    crypto.seal(session, row, "name_encrypted", name)
    token = _renew_token(row, now)
    session.add(row)
    session.flush()
    audit.record(session, "user.invited", workspace_id=actor.workspace_id, user_id=actor.user_id,
                 entity_type="invitation", entity_id=row.id, context=actor.context,
                 details={"renewed": renewed}, now=now)
    _mail_invitation(session, actor, row, token)
    return row.id


def _renew_token(row: Invitation, now: datetime) -> str:
    """A fresh token (the previous one stops working: only this hash is kept) and expiry."""
    token = new_token()
    row.token_hash = hash_token(token)
    row.expires_at = now + timedelta(days=get_settings().invite_ttl_days)
    return token


def _limit_invitations(actor: Actor, now: datetime) -> None:
    """Each invitation mails an address of the owner's choosing: count them per owner. A
    refusal is audited (ids only) in its own transaction, then raised."""
    try:
        get_limiter().hit_invite(str(actor.user_id))
    except RateLimited as refused:
        with workspace_session(actor) as session:
            audit.record(session, "invitation.rate_limited", workspace_id=actor.workspace_id,
                         user_id=actor.user_id, entity_type="user", entity_id=actor.user_id,
                         context=actor.context, now=now)
        log.warning("invitation refused by the per-owner rate limit")
        raise InvitesRateLimited(refused.retry_after_seconds) from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _mail_invitation(session: Session, actor: Actor, row: Invitation, token: str) -> None:
    settings = get_settings()
    practice = _one_line(session.get(Workspace, actor.workspace_id).name)
    inviter_row = session.exec(select(User).where(User.id == actor.user_id)).one()
    # The invitee has no account (nor language) yet: the inviting owner's language.
    language = i18n.supported(inviter_row.language)
    inviter = _one_line(crypto.unseal(session, inviter_row, "name_encrypted") or _(language, "The practice owner"))
    invitee = _one_line(crypto.unseal(session, row, "name_encrypted") or "")
    address = crypto.unseal(session, row, "email_encrypted") or ""
    days = settings.invite_ttl_days
    link = f"{settings.public_url}/auth/invitation?token={token}"
    body = _(language,
             "Hello {invitee},\n\n{inviter} invites you to join {practice} on PazPaz as an assistant.\n\n"
             "As an assistant you will see the practice's schedule and its clients' contact details. "
             "You will never see clinical notes, plans of care or clinical files.\n\n"
             "To accept, open this link and press Join. It works once and expires in {days} days:\n\n"
             "{link}\n\n"
             "If you did not expect this invitation, ignore this email: nothing happens unless you accept it.\n",
             invitee=invitee, inviter=inviter, practice=practice, days=days, link=link)
    # The subject is logged by services/mail.py: no names in it.
    send_after_commit(session, address, _(language, "Your invitation to PazPaz"), body)


def _pending(session: Session, invitation_id: uuid.UUID) -> Invitation:
    row = session.exec(select(Invitation).where(Invitation.id == invitation_id, Invitation.accepted_at.is_(None),
                                                Invitation.revoked_at.is_(None)).with_for_update()).first()
    if row is None:
        raise NotFound(INVITATION_MISSING)
    return row


def list_invitations(actor: Actor, now: datetime | None = None) -> list[PendingInvitation]:
    """Invitations nobody has accepted or revoked yet (expired ones too: they can be resent)."""
    actor.require_owner()
    now = now or utcnow()
    with workspace_session(actor) as session:
        zone = workspaces.time_zone(session, actor.workspace_id)
        rows = session.exec(select(Invitation).where(Invitation.accepted_at.is_(None),
                                                     Invitation.revoked_at.is_(None))
                            .order_by(Invitation.created_at)).all()
        found = [
            PendingInvitation(id=row.id, name=crypto.unseal(session, row, "name_encrypted") or "",
                              email=crypto.unseal(session, row, "email_encrypted") or "",
                              invited_at=row.created_at.astimezone(zone), expires_at=row.expires_at.astimezone(zone),
                              expired=row.expires_at <= now)
            for row in rows
        ]
        audit.record(session, "invitation.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="invitation", context=actor.context, details={"count": len(found)}, now=now)
    return found


def resend_invitation(actor: Actor, invitation_id: uuid.UUID, now: datetime | None = None) -> None:
    """Mail a new link with a new expiry; the previous link stops working."""
    actor.require_owner()
    now = now or utcnow()
    with workspace_session(actor) as session:
        _pending(session, invitation_id)  # another practice's id is "not found" before anything is counted
    _limit_invitations(actor, now)
    with workspace_session(actor) as session:
        row = _pending(session, invitation_id)
        token = _renew_token(row, now)
        audit.record(session, "invitation.resent", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="invitation", entity_id=row.id, context=actor.context, now=now)
        _mail_invitation(session, actor, row, token)


def revoke_invitation(actor: Actor, invitation_id: uuid.UUID, now: datetime | None = None) -> None:
    actor.require_owner()
    now = now or utcnow()
    with workspace_session(actor) as session:
        row = _pending(session, invitation_id)
        row.revoked_at = now
        audit.record(session, "invitation.revoked", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="invitation", entity_id=row.id, context=actor.context, now=now)


def deactivate(actor: Actor, user_id: uuid.UUID) -> None:
    """Turn a user off; their open sessions and API tokens end at once."""
    actor.require_owner()
    if user_id == actor.user_id:
        raise ValidationFailed({"user": N_("You can't deactivate your own account.")})
    with workspace_session(actor) as session:
        user = session.exec(select(User).where(User.id == user_id)).first()
        if user is None:
            raise NotFound(N_("User not found."))
        user.active = False
        now = utcnow()
        auth.revoke_user_sessions(session, user_id, "deactivated", now)
        calendar_feed.revoke_for_user(session, user_id, now)
        api_tokens.revoke_all_of_user(session, user_id, now)
        audit.record(session, "user.deactivated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", entity_id=user_id, context=actor.context, now=now)


def reactivate(actor: Actor, user_id: uuid.UUID) -> None:
    actor.require_owner()
    with workspace_session(actor) as session:
        user = session.exec(select(User).where(User.id == user_id)).first()
        if user is None:
            raise NotFound(N_("User not found."))
        user.active = True
        audit.record(session, "user.reactivated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", entity_id=user_id, context=actor.context)
