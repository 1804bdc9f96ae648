"""/api/v1/audit-events (owner): the audit log with the UI's filters; CSV with Accept: text/csv."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from starlette.responses import Response

from pazpaz.api.rest.deps import ActorDep, Page, PageDep
from pazpaz.api.rest.schemas import AuditEventOut, IsoDate
from pazpaz.services import audit_log

router = APIRouter(tags=["audit"])
Filter = Annotated[str, Query(max_length=64)]


@router.get("/audit-events", response_model=Page[AuditEventOut], summary="The audit log (newest first)",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "JSON page, or the whole filtered log as CSV (Accept: text/csv)"}})
def list_events(actor: ActorDep, paging: PageDep, start: IsoDate | None = None, end: IsoDate | None = None,
                user_id: Filter = "", entity_type: Filter = "", action: Filter = "",
                accept: Annotated[str, Header(include_in_schema=False)] = ""):
    flt = audit_log.AuditFilter(start=start.isoformat() if start else "", end=end.isoformat() if end else "",
                                user_id=user_id, entity_type=entity_type, action=action)
    if "text/csv" in accept.lower():
        return Response(audit_log.export_csv(actor, flt), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"',
                                 "Cache-Control": "no-store"})
    found = audit_log.list_events(actor, flt, paging.page, paging.page_size)
    return Page[AuditEventOut](total=found.total, page=found.page, page_size=paging.page_size, items=[
        AuditEventOut(when=r.when, user=r.user, action=r.action, entity_type=r.entity_type, entity_id=r.entity_id,
                      ip=r.ip) for r in found.rows])
