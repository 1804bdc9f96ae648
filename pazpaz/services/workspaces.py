"""Workspace facts services need often."""

from __future__ import annotations

import time
import uuid
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import Session, select

from pazpaz.models import Workspace

# Time zones are read on every schedule request, so each process keeps them for a while.
# Nothing changes a workspace's zone yet; the feature that does calls forget_zone() in its
# own process, and other processes (PAZPAZ_WORKERS, a second machine) see the change once
# their entry is older than ZONE_TTL_SECONDS.
ZONE_TTL_SECONDS = 60.0
_ZONES: dict[uuid.UUID, tuple[ZoneInfo, float]] = {}
_monotonic = time.monotonic  # tests replace it to age the cache without waiting


@lru_cache(maxsize=1)
def _zone_query():
    from pazpaz.services.scope import scoped  # scope imports the models this module serves

    return scoped(select(Workspace.time_zone).where(Workspace.id == bindparam("zone_workspace_id")))


def time_zone(session: Session, workspace_id: uuid.UUID) -> ZoneInfo:
    cached = _ZONES.get(workspace_id)
    now = _monotonic()
    if cached is not None and now - cached[1] < ZONE_TTL_SECONDS:
        return cached[0]
    zone = ZoneInfo(session.exec(_zone_query(), params={"zone_workspace_id": workspace_id}).one())
    if len(_ZONES) > 10_000:
        _ZONES.clear()
    _ZONES[workspace_id] = (zone, now)
    return zone


def forget_zone(workspace_id: uuid.UUID) -> None:
    """Drop this process's cached zone of a workspace (call it after changing the zone)."""
    _ZONES.pop(workspace_id, None)


def zone_of(actor) -> ZoneInfo:
    """The actor's practice zone (for times shown outside a service's own session)."""
    cached = _ZONES.get(actor.workspace_id)
    if cached is not None and _monotonic() - cached[1] < ZONE_TTL_SECONDS:
        return cached[0]
    from pazpaz.services.scope import workspace_session  # scope imports the models this module serves

    with workspace_session(actor) as session:
        return time_zone(session, actor.workspace_id)
