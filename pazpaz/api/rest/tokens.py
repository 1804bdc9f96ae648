"""/api/v1/tokens: the calling user's own personal access tokens (list, revoke). New tokens
are made in Settings or on the command line, never by a token."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from pazpaz.api.rest.deps import ActorDep, Page, PageDep, slice_page
from pazpaz.api.rest.schemas import TokenOut
from pazpaz.services import api_tokens

router = APIRouter(tags=["tokens"])


@router.get("/tokens", response_model=Page[TokenOut], summary="Your tokens (no values: they are shown once)")
def list_tokens(actor: ActorDep, paging: PageDep):
    views = [TokenOut(id=t.id, name=t.name, scope=t.scope, created_at=t.created_at, expires_at=t.expires_at,
                      last_used_at=t.last_used_at, revoked_at=t.revoked_at) for t in api_tokens.list_tokens(actor)]
    return slice_page(TokenOut, views, paging)


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token (yours; the owner: any of the practice)")
def revoke(actor: ActorDep, token_id: uuid.UUID) -> None:
    api_tokens.revoke(actor, token_id)
