"""Photos and files on a note or a client page: streamed upload with progress, thumbnails."""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any, ClassVar

import reflex as rx

from pazpaz.i18n import N_, msg, nmsg, translate
from pazpaz.services import attachments
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor
from pazpaz.state.handler import Failures, handler, page_id
from pazpaz.state.notes import NoteState
from pazpaz.state.session import SessionState

REFUSED_DROP = N_("That file can't be added: choose a JPEG, PNG, WebP, HEIC or PDF.")

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
    FAILURES: ClassVar[Failures] = Failures(message="upload_error", fields=None, invalid=None)

    files: list[dict[str, str]] = []
    progress: int = 0
    uploading: bool = False
    upload_error: str = ""
    visible: bool = False
    max_mb: int = 10
    # A file of a finalized note waits here for the reason its removal needs.
    removing: str = ""
    removing_name: str = ""
    removal_reason: str = ""
    removal_error: str = ""

    async def _refresh(self, actor: Actor) -> None:
        client_id, note_id = _target(self.router.url.path)
        if not actor.is_owner or (client_id is None and note_id is None):
            self.files, self.visible = [], False
            return
        try:
            views = await self._call(attachments.list_for, actor, client_id, note_id)
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
    @handler
    async def load(self):
        self.progress, self.uploading, self.upload_error = 0, False, ""
        self.max_mb = attachments.max_bytes() // (1024 * 1024)
        await self._refresh(await self._actor())

    @rx.event
    @handler
    def upload_progress(self, progress: dict):
        self.progress = int(float(progress.get("progress", 0)) * 100)

    @rx.event
    @handler
    def drop_rejected(self, rejected: list[dict[str, Any]]):
        """The browser refused a dropped file (not a kind `accept` allows) before any upload.
        The list (file names) is not shown or kept: names can carry PII."""
        self.upload_error = self._t(REFUSED_DROP)

    @rx.event(background=True)
    @handler
    async def upload(self, chunks: rx.UploadChunkIterator):
        """Receive chunks, refusing a file as soon as it passes the size limit."""
        async with self:
            actor = await self._actor()
            client_id, note_id = _target(self.router.url.path)
            language = self.language
            self.uploading, self.upload_error = True, ""
        try:
            if actor.is_owner:
                received, error = await _receive(chunks, attachments.max_bytes())
                error = translate(language, error)
            else:
                received, error = [], translate(language, N_("Files are for the practice owner."))
            saved = 0
            for name, data in ([] if error else received):
                # A background upload outlives its event's session check: a sign-out in
                # another tab meanwhile must stop it before the next file is stored.
                async with self:
                    actor = await self._actor()
                try:
                    await self._call(attachments.store, actor, client_id, name, bytes(data), note_id)
                    saved += 1
                except ServiceError as refused:
                    # Each file says why it was refused; the ones before it stay saved.
                    error = f"{name}: {_reason(refused, language)}"
        finally:
            async with self:
                self.uploading, self.progress = False, 0
        async with self:
            # Checked again before anything of the files (names, links) is written back
            # into a tab that sign-out may have emptied meanwhile.
            actor = await self._actor()
            self.upload_error = error
            await self._refresh(actor)
            if saved:
                self._notify(nmsg("{count} file attached.", "{count} files attached.", saved))

    @rx.event
    @handler
    async def open_file(self, attachment_id: str):
        actor = await self._actor()
        url = await self._call(attachments.download_url, actor, _file_id(attachment_id))
        # A new tab (the app stays open behind it), through Reflex's own redirect event:
        # no script string, so the CSP needs no 'unsafe-eval'.
        return rx.redirect(url, is_external=True)

    @rx.event
    @handler
    async def remove(self, attachment_id: str):
        """Remove a file; one on a finalized note first asks for a reason (confirm_remove)."""
        actor = await self._actor()
        try:
            await self._call(attachments.delete, actor, _file_id(attachment_id))
        except ValidationFailed as needs_reason:
            self.removing, self.removal_reason = attachment_id, ""
            self.removing_name = next((f["name"] for f in self.files if f["id"] == attachment_id), "")
            self.removal_error = self._t(needs_reason.errors.get("reason", ""))
            return
        finally:
            await self._refresh(actor)

    @rx.event
    @handler
    def set_removal_reason(self, value: str):
        self.removal_reason = value[:1000]

    @rx.event
    @handler
    def cancel_remove(self):
        self.removing, self.removing_name, self.removal_reason, self.removal_error = "", "", "", ""

    @rx.event
    @handler
    async def confirm_remove(self):
        actor = await self._actor()
        try:
            await self._call(attachments.delete, actor, _file_id(self.removing), self.removal_reason)
        except ValidationFailed as refused:
            self.removal_error = _reason(refused, self.language)
            return None
        finally:
            await self._refresh(actor)
        self.removing, self.removing_name, self.removal_reason, self.removal_error = "", "", "", ""
        self._notify(N_("File removed. The note's history records why."))
        _, note_id = _target(self.router.url.path)
        # The note's history gained an entry: the note page reloads it.
        return NoteState.reload if note_id is not None else None


_file_id = functools.partial(page_id, missing=N_("That file was not found."))


def _reason(refused: ServiceError, language: str) -> str:
    """The service's words in the reader's language (translated here, once)."""
    if isinstance(refused, ValidationFailed):
        return "; ".join(translate(language, text) for text in refused.errors.values())
    return translate(language, refused.message())


async def _receive(chunks: rx.UploadChunkIterator, limit: int) -> tuple[list[tuple[str, bytearray]], str]:
    """The files of one upload, or why it was refused (too large, too many, interrupted)."""
    # One buffer per file (a new one starts at offset 0: phones name every photo
    # image.jpg), with a cap per file and on the whole upload.
    received: list[tuple[str, bytearray]] = []
    try:
        async for chunk in chunks:
            if chunk.offset == 0 or not received:
                received.append((chunk.filename, bytearray()))
                too_many = attachments.upload_batch_error(len(received))
                if too_many:
                    return received, too_many
            name, buffer = received[-1]
            buffer.extend(chunk.data)
            if len(buffer) > limit:
                return received, msg("{name} is larger than {mb} MB and was not saved.", name=name,
                                     mb=limit // (1024 * 1024))
    except Exception as failure:
        log.error("upload stream failed (%s)", type(failure).__name__)
        return received, N_("The upload was interrupted. Nothing was saved; please try again.")
    return received, ""
