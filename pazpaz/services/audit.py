"""Audit trail: one row per auth event or data access, in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from pazpaz.models.audit import AuditEvent
from pazpaz.models.base import utcnow


@dataclass(frozen=True)
class RequestContext:
    """Where a request came from; stored on audit rows (no PII beyond IP and agent)."""

    ip: str | None = None
    user_agent: str | None = None
    # Set for calls through /api/v1: every audit row then names the channel and the token
    # (its id, never its value), like the UI's rows name the session's user.
    source: str | None = None
    token_id: uuid.UUID | None = None

    def audit_details(self) -> dict[str, str]:
        if self.source is None:
            return {}
        details = {"source": self.source}
        if self.token_id is not None:
            details["token_id"] = str(self.token_id)
        return details


def record(
    session: Session,
    action: str,
    *,
    workspace_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    context: RequestContext | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    context = context or RequestContext()
    event = AuditEvent(
        workspace_id=workspace_id,
        user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        occurred_at=now or utcnow(),
        ip=(context.ip or None) and context.ip[:64],
        user_agent=(context.user_agent or None) and context.user_agent[:300],
        details={**(details or {}), **context.audit_details()},
    )
    session.add(event)
    return event


@lru_cache(maxsize=1)
def _insert_statement():
    return insert(AuditEvent.__table__)  # type: ignore[arg-type]


def record_read(
    session: Session,
    action: str,
    *,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID | None,
    entity_type: str | None = None,
    entity_id: uuid.UUID | None = None,
    context: RequestContext | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """record() for the hot reads (scope.read_session): the same row, written at once through
    a prebuilt INSERT. Building the ORM object and flushing it cost more Python than the
    read's own query (docs/ARCHITECTURE.md "Read path")."""
    # The choke point checks ORM writes at flush; this one is checked here.
    if session.info.get("pazpaz_workspace_id") != workspace_id:
        raise ValueError("An audit row of another workspace was written through a scoped session.")
    context = context or RequestContext()
    session.connection().execute(_insert_statement(), {
        "id": uuid.uuid4(), "workspace_id": workspace_id, "user_id": user_id, "action": action,
        "entity_type": entity_type, "entity_id": entity_id, "occurred_at": utcnow(),
        "ip": (context.ip or None) and context.ip[:64],
        "user_agent": (context.user_agent or None) and context.user_agent[:300],
        "details": {**(details or {}), **context.audit_details()},
    })
