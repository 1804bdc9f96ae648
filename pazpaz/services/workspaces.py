"""Workspace facts services need often."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlmodel import Session

from pazpaz.models import Workspace

# Time zones are read on every schedule request. Nothing can change a workspace's zone yet;
# the feature that does must update this cache too.
_ZONES: dict[uuid.UUID, ZoneInfo] = {}


def time_zone(session: Session, workspace_id: uuid.UUID) -> ZoneInfo:
    zone = _ZONES.get(workspace_id)
    if zone is None:
        zone = ZoneInfo(session.get(Workspace, workspace_id).time_zone)
        if len(_ZONES) > 10_000:
            _ZONES.clear()
        _ZONES[workspace_id] = zone
    return zone


def zone_of(actor) -> ZoneInfo:
    """The actor's practice zone (for times shown outside a service's own session)."""
    zone = _ZONES.get(actor.workspace_id)
    if zone is not None:
        return zone
    from pazpaz.services.scope import workspace_session  # scope imports the models this module serves

    with workspace_session(actor) as session:
        return time_zone(session, actor.workspace_id)
