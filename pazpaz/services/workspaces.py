"""Workspace facts services need often."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlmodel import Session

from pazpaz.models import Workspace

# Time zones are read on every schedule request; a workspace's zone changes only through
# set_time_zone below, which updates this cache too.
_ZONES: dict[uuid.UUID, ZoneInfo] = {}


def time_zone(session: Session, workspace_id: uuid.UUID) -> ZoneInfo:
    zone = _ZONES.get(workspace_id)
    if zone is None:
        zone = ZoneInfo(session.get(Workspace, workspace_id).time_zone)
        if len(_ZONES) > 10_000:
            _ZONES.clear()
        _ZONES[workspace_id] = zone
    return zone


def set_time_zone(session: Session, workspace_id: uuid.UUID, name: str) -> None:
    session.get(Workspace, workspace_id).time_zone = name
    _ZONES[workspace_id] = ZoneInfo(name)
