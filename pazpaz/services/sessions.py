"""Settings > Security: a user's own sign-in sessions, and ending them.

A revoked session is refused at its tab's next websocket event (the binding check in
pazpaz/state/binding.py asks the database before every event) and its open tabs are
emptied by the binding sweep within a minute (docs/ARCHITECTURE.md "Sessions list").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from pazpaz.i18n import N_
from pazpaz.models.auth import AuthSession
from pazpaz.models.base import utcnow
from pazpaz.services import audit, auth, crypto
from pazpaz.services.errors import NotFound, ServiceError
from pazpaz.services.scope import Actor, workspace_session
from pazpaz.settings import get_settings


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    device: str
    approximate_ip: str
    signed_in_at: datetime
    last_active_at: datetime
    is_current: bool


def _live(now: datetime):
    """SQL conditions of a session that still works (not revoked, within both timeouts)."""
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return (AuthSession.revoked_at.is_(None), AuthSession.expires_at > now, AuthSession.last_seen_at > now - idle)


def list_sessions(actor: Actor, now: datetime | None = None) -> list[SessionInfo]:
    """The actor's own working sessions, this one first, then the most recently active."""
    now = now or utcnow()
    with workspace_session(actor) as session:
        rows = session.exec(
            select(AuthSession).where(AuthSession.user_id == actor.user_id, *_live(now))
        ).all()
        found = [
            SessionInfo(
                id=row.id,
                device=row.device_label or "Unknown device",
                approximate_ip=crypto.unseal(session, row, "ip_encrypted") or "",
                signed_in_at=row.created_at,
                last_active_at=row.last_seen_at,
                is_current=row.id == actor.session_id,
            )
            for row in rows
        ]
        audit.record(session, "session.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="session", context=actor.context, details={"count": len(found)}, now=now)
    return sorted(found, key=lambda s: (not s.is_current, -s.last_active_at.timestamp()))


def revoke_session(actor: Actor, session_id: uuid.UUID, now: datetime | None = None) -> None:
    """End one of the actor's other sessions. Another user's session (of this practice or
    any other) is "not found", like a session that does not exist."""
    if session_id == actor.session_id:
        raise ServiceError(N_("This is the device you are using: sign out from the menu instead."))
    now = now or utcnow()
    with workspace_session(actor) as session:
        ended = session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.user_id == actor.user_id,
                   AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoke_reason="revoked")
            .returning(AuthSession.id)
        ).first()
        if ended is None:
            raise NotFound(N_("That session was not found. It may have ended already."))
        audit.record(session, "session.revoked", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="session", entity_id=session_id, context=actor.context, now=now)


def revoke_other_sessions(actor: Actor, now: datetime | None = None) -> int:
    """"Sign out everywhere else": every session of the actor but this one; how many were working."""
    now = now or utcnow()
    with workspace_session(actor) as session:
        working = auth.revoke_user_sessions(session, actor.user_id, "revoked_others", now, actor.session_id)
        audit.record(session, "session.revoked_others", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="user", entity_id=actor.user_id, context=actor.context,
                     details={"count": working}, now=now)
        return working
