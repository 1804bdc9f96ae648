"""Build workspaces, users and actors directly through the services (no UI)."""

from __future__ import annotations

import uuid

from pazpaz.models import Workspace
from pazpaz.services import auth
from pazpaz.services.audit import RequestContext
from pazpaz.services.scope import Actor, system_session

CTX = RequestContext(ip="192.0.2.10", user_agent="pytest")


def make_workspace(name: str = "Practice", owner_name: str = "Owner", time_zone: str = "Europe/Berlin") -> Actor:
    with system_session() as session:
        workspace = Workspace(name=name, time_zone=time_zone)
        session.add(workspace)
        session.flush()
        email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
        owner = auth.create_user(session, workspace.id, email, owner_name, "owner")
        return Actor(workspace_id=workspace.id, user_id=owner.id, role="owner", context=CTX)


def make_assistant(owner: Actor, name: str = "Assistant") -> Actor:
    with system_session() as session:
        user = auth.create_user(session, owner.workspace_id, f"asst-{uuid.uuid4().hex[:8]}@example.com", name,
                                "assistant")
        return Actor(workspace_id=owner.workspace_id, user_id=user.id, role="assistant", context=CTX)


def session_cookie(actor: Actor) -> dict[str, str]:
    """A signed-in browser's cookie for this user (a real session row, as after a sign-in)."""
    from pazpaz.models import User
    from pazpaz.models.base import utcnow
    from pazpaz.settings import get_settings

    with system_session() as session:
        token, _ = auth.open_session(session, session.get(User, actor.user_id), CTX, utcnow())
    return {get_settings().session_cookie_name: token}


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"
