"""Photos and files on a note or a client page: streamed upload with progress, thumbnails."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import reflex as rx

from pazpaz.services import attachments
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.state.session import SessionState

log = logging.getLogger("pazpaz.state.files")


def _target(path: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(client id, note id) from /clients/<id> or /notes/<id>."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2:
        return None, None
    try:
        found = uuid.UUID(parts[1])
    except ValueError:
        return None, None
    if parts[0] == "clients":
        return found, None
    if parts[0] == "notes":
        return None, found
    return None, None


class FilesState(SessionState):
    files: list[dict[str, str]] = []
    progress: int = 0
    uploading: bool = False
    upload_error: str = ""
    visible: bool = False
    max_mb: int = 10

    async def _refresh(self) -> None:
        actor = await self.actor()
        client_id, note_id = _target(self.router.url.path)
        if actor is None or not actor.is_owner or (client_id is None and note_id is None):
            self.files, self.visible = [], False
            return
        try:
            views = await asyncio.to_thread(attachments.list_for, actor, client_id, note_id)
        except NotFound:
            self.files, self.visible = [], False
            return
        self.visible = True
        # Thumbnail links come with the list (one transaction, one audit event); a full
        # file gets its own link and audit row when it is opened.
        rows = [{"id": str(v.id), "name": v.file_name, "thumb": v.thumbnail_url,
                 "kind": "image" if v.is_image else "pdf", "size": f"{v.size_bytes / 1024:.0f} KB"}
                for v in views]
        self.files = rows

    @rx.event
    async def load(self):
        self.progress, self.uploading, self.upload_error = 0, False, ""
        self.max_mb = attachments.max_bytes() // (1024 * 1024)
        await self._refresh()

    @rx.event
    def upload_progress(self, progress: dict):
        self.progress = int(float(progress.get("progress", 0)) * 100)

    @rx.event(background=True)
    async def upload(self, chunks: rx.UploadChunkIterator):
        """Receive chunks, refusing a file as soon as it passes the size limit."""
        async with self:
            actor = await self.actor()
            client_id, note_id = _target(self.router.url.path)
            self.uploading, self.upload_error = True, ""
        limit = attachments.max_bytes()
        # One buffer per file (a new one starts at offset 0: phones name every photo
        # image.jpg), with a cap per file and on the number of files.
        received: list[tuple[str, bytearray]] = []
        error = ""
        if actor is None or not actor.is_owner:
            error = "Files are for the practice owner."
        try:
            async for chunk in chunks:
                if error:
                    break
                if chunk.offset == 0 or not received:
                    received.append((chunk.filename, bytearray()))
                    error = attachments.upload_batch_error(len(received))
                    if error:
                        break
                name, buffer = received[-1]
                buffer.extend(chunk.data)
                if len(buffer) > limit:
                    error = f"{name} is larger than {limit // (1024 * 1024)} MB and was not saved."
        except Exception as failure:
            log.error("upload stream failed (%s)", type(failure).__name__)
            error = "The upload was interrupted. Nothing was saved; please try again."
        saved = 0
        if not error:
            for name, data in received:
                try:
                    await asyncio.to_thread(attachments.store, actor, client_id, name, bytes(data), note_id)
                    saved += 1
                except ValidationFailed as invalid:
                    error = f"{name}: " + "; ".join(invalid.errors.values())
                except (ServiceError, NotFound) as refused:
                    error = f"{name}: {refused}"
        async with self:
            self.uploading, self.progress = False, 0
            self.upload_error = error
            await self._refresh()
        if saved:
            yield rx.toast.success(f"{saved} file(s) attached.")

    @rx.event
    async def open_file(self, attachment_id: str):
        actor = await self.actor()
        if actor is None:
            return None
        try:
            url = await asyncio.to_thread(attachments.download_url, actor, uuid.UUID(attachment_id))
        except (NotFound, ValueError):
            self.upload_error = "That file was not found."
            return None
        return rx.call_script(f"window.location.assign({json.dumps(url)})")

    @rx.event
    async def remove(self, attachment_id: str):
        actor = await self.actor()
        if actor is None:
            return None
        try:
            await asyncio.to_thread(attachments.delete, actor, uuid.UUID(attachment_id))
        except (NotFound, ValueError):
            self.upload_error = "That file was not found."
        await self._refresh()
        return None
