"""The practice's users: the owner invites assistants and can deactivate anyone else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from pazpaz.models import AuthSession, User
from pazpaz.models.base import utcnow
from pazpaz.services import api_tokens, audit, auth, crypto
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import Actor, system_session, workspace_session


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    name: str
    email: str
    role: str
    active: bool



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
            )
            for u in users
        ]
        audit.record(session, "user.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", context=actor.context, details={"count": len(members)})
    return sorted(members, key=lambda m: (m.role != "owner", m.name.lower()))


def invite_assistant(actor: Actor, email: str, name: str) -> uuid.UUID:
    actor.require_owner()
    errors: dict[str, str] = {}
    if not auth.valid_email(email):
        errors["email"] = "Enter an email address like name@example.com."
    if not name.strip():
        errors["name"] = "Enter the assistant's name."
    if errors:
        raise ValidationFailed(errors)
    # Addresses are unique across the instance, so the check must see every workspace.
    with system_session() as session:
        if session.exec(select(User.id).where(User.email_index == crypto.email_index(email))).first():
            raise ValidationFailed({"email": "This address already has a PazPaz account."})
    try:
        with workspace_session(actor) as session:
            user = auth.create_user(session, actor.workspace_id, email, name, "assistant")
            audit.record(session, "user.invited", workspace_id=actor.workspace_id, user_id=actor.user_id,
                         entity_type="user", entity_id=user.id, context=actor.context)
            auth.issue_link(session, user, "invite", "/", actor.context, utcnow())
            return user.id
    except IntegrityError:  # the same address invited twice at once: the unique index decides
        raise ValidationFailed({"email": "This address already has a PazPaz account."}) from None


def deactivate(actor: Actor, user_id: uuid.UUID) -> None:
    """Turn a user off; their open sessions and API tokens end at once."""
    actor.require_owner()
    if user_id == actor.user_id:
        raise ValidationFailed({"user": "You can't deactivate your own account."})
    with workspace_session(actor) as session:
        user = session.exec(select(User).where(User.id == user_id)).first()
        if user is None:
            raise NotFound("User not found.")
        user.active = False
        now = utcnow()
        session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoke_reason="deactivated")
        )
        api_tokens.revoke_all_of_user(session, user_id, now)
        audit.record(session, "user.deactivated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", entity_id=user_id, context=actor.context, now=now)


def reactivate(actor: Actor, user_id: uuid.UUID) -> None:
    actor.require_owner()
    with workspace_session(actor) as session:
        user = session.exec(select(User).where(User.id == user_id)).first()
        if user is None:
            raise NotFound("User not found.")
        user.active = True
        audit.record(session, "user.reactivated", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", entity_id=user_id, context=actor.context)
