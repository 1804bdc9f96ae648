"""Attachments (owner only): list a client's files, upload (multipart, the UI's checks: size
413, type by magic bytes 415, images cleaned), a short-lived download URL, the download
itself (bearer token + the signed URL), delete."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import StreamingResponse

from pazpaz.api.rest.deps import ActorDep, Page, PageDep, slice_page
from pazpaz.api.rest.schemas import AttachmentOut, Created, DownloadOut
from pazpaz.services import attachments, clients
from pazpaz.services.errors import NotFound
from pazpaz.settings import get_settings

router = APIRouter(tags=["attachments"])
UPLOAD_ERRORS = {413: {"description": "Larger than the upload limit"},
                 415: {"description": "Not a JPEG, PNG, WebP, HEIC or PDF file"}}


def _out(view: attachments.AttachmentView) -> AttachmentOut:
    return AttachmentOut(id=view.id, file_name=view.file_name, content_type=view.content_type,
                         size_bytes=view.size_bytes, note_id=view.note_id, created_at=view.created_at)


@router.get("/clients/{client_id}/attachments", response_model=Page[AttachmentOut], summary="A client's files")
def list_attachments(actor: ActorDep, client_id: uuid.UUID, paging: PageDep, note_id: uuid.UUID | None = None):
    actor.require_owner()
    clients.require_client(actor, client_id)
    return slice_page(AttachmentOut, [_out(v) for v in attachments.list_for(actor, client_id, note_id)], paging)


@router.post("/clients/{client_id}/attachments", response_model=Created, status_code=201, responses=UPLOAD_ERRORS,
             summary="Upload a file (multipart/form-data, field `file`)")
async def upload_attachment(actor: ActorDep, client_id: uuid.UUID, file: Annotated[UploadFile, File()],
                            note_id: Annotated[uuid.UUID | None, Form()] = None):
    actor.require_owner()  # anyone else hears 404 before anything about the file
    # The body was counted while it streamed in (ProblemGuard); this is the file itself.
    data = await file.read(attachments.max_bytes() + 1)
    if len(data) > attachments.max_bytes():
        raise HTTPException(413, f"Files can be at most {get_settings().max_upload_mb} MB.")
    if attachments.detect_type(data[:16]) is None:
        raise HTTPException(415, "Only photos (JPEG, PNG, WebP, HEIC) and PDF files can be attached.")
    attachment_id = await run_in_threadpool(attachments.store, actor, client_id, file.filename or "file", data,
                                            note_id)
    return Created(id=attachment_id)


@router.get("/attachments/{attachment_id}/download", response_model=DownloadOut,
            summary="A download URL valid for a few minutes (audited)")
def download_url(actor: ActorDep, attachment_id: uuid.UUID, thumbnail: bool = False):
    signed = urlsplit(attachments.download_url(actor, attachment_id, thumbnail))
    return DownloadOut(url=f"/api/v1/attachments/{attachment_id}/content?{signed.query}",
                       expires_in_seconds=attachments.URL_TTL_SECONDS)


@router.get("/attachments/{attachment_id}/content", summary="The file (URL from /download; same token)",
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}})
async def download(actor: ActorDep, attachment_id: uuid.UUID, w: Annotated[str, Query(max_length=64)] = "",
                   v: Annotated[str, Query(max_length=8)] = "", e: Annotated[str, Query(max_length=20)] = "",
                   s: Annotated[str, Query(max_length=128)] = ""):
    # Clinical files are the owner's, and the signed URL must belong to this token's practice.
    if not actor.is_owner or str(actor.workspace_id) != w:
        raise NotFound("File not found.")
    stream = await run_in_threadpool(attachments.open_signed, str(attachment_id), w, v, e, s)
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(stream.file_name)}",
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    if stream.length:
        headers["Content-Length"] = str(stream.length)
    return StreamingResponse(iterate_in_threadpool(stream.chunks), media_type=stream.content_type, headers=headers)


@router.delete("/attachments/{attachment_id}", status_code=204, summary="Delete a file")
def delete_attachment(actor: ActorDep, attachment_id: uuid.UUID) -> None:
    attachments.delete(actor, attachment_id)
