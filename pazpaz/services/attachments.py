"""Clinical files (photos, PDFs) in S3 (DESIGN.md "Files").

Checked by content (magic bytes), never by name; images are decoded with Pillow and
re-encoded without EXIF/GPS; S3 keys come from the server. Row `pending` -> object
stored -> `complete`; a failed upload leaves no complete row. Every object body (and
thumbnail) is encrypted with the workspace's data key before it leaves the app
(crypto.encrypt_object), so S3 only holds ciphertext; downloads always go through the
app's short-lived signed URL, which decrypts while streaming (an S3 presigned URL would
hand out ciphertext, so S3_PUBLIC_ENDPOINT no longer changes the download path).
Images are decoded under a pixel limit, a few at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import update
from sqlmodel import Session, select

from pazpaz.i18n import N_, msg
from pazpaz.models import Attachment, Client, SoapNote
from pazpaz.models.base import utcnow
from pazpaz.services import audit, crypto, soap_notes
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import Actor, system_session, workspace_session
from pazpaz.services.storage import s3_client
from pazpaz.settings import get_settings

log = logging.getLogger("pazpaz.attachments")
URL_TTL_SECONDS = 300
THUMB_SIZE = (320, 320)
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# The decoder Pillow may use for each detected type: a file is never parsed by another one.
OPEN_FORMATS = {"image/jpeg": ["JPEG"], "image/png": ["PNG"], "image/webp": ["WEBP"], "image/heic": ["HEIF"]}
MAX_UPLOAD_FILES = 10
# A phone photo is 12-50 megapixels. Above this, an image is refused from its header,
# before any pixel is decoded: a few hundred KB of PNG can otherwise decode to gigabytes.
MAX_IMAGE_PIXELS = 40_000_000
# Decoding one image at the limit takes several hundred MB; at most this many at once per process.
IMAGE_DECODE_SLOTS = 2
_image_slots = threading.BoundedSemaphore(IMAGE_DECODE_SLOTS)
# A caller waits at most this long for a slot, then gets "busy": a waiting upload holds a
# worker thread that every other request shares, so the wait must be bounded.
IMAGE_SLOT_WAIT_SECONDS = 20.0
# Pillow's own check in Image.open, as a second line: past twice its limit it raises, and
# between its limit and twice it it only warns (then decodes) unless the warning is an error.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)

try:  # HEIC photos from phones: decoded through pillow-heif, stored as JPEG
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is pinned in requirements.txt
    log.warning("pillow-heif missing: HEIC photos will be refused")


class StorageUnavailable(ServiceError):
    def __init__(self) -> None:
        super().__init__(N_("The file could not be stored (storage is not reachable). Nothing was saved; "
                         "please try again."))


@dataclass(frozen=True)
class AttachmentView:
    id: uuid.UUID
    file_name: str
    content_type: str
    size_bytes: int
    note_id: uuid.UUID | None
    created_at: datetime
    is_image: bool
    thumbnail_url: str  # "" for PDFs; covered by the list's audit event


def max_bytes() -> int:
    return get_settings().max_upload_mb * 1024 * 1024


def detect_type(head: bytes) -> str | None:
    """The real type from the first bytes; None for anything not allowed."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def upload_batch_error(file_count: int) -> str:
    """The message refusing an upload of this many files at once ('' when allowed)."""
    if file_count > MAX_UPLOAD_FILES:
        return msg("Upload at most {limit} files at a time. Nothing was saved.", limit=MAX_UPLOAD_FILES)
    return ""


def _too_large(megapixels: float | None = None) -> ValidationFailed:
    limit = MAX_IMAGE_PIXELS // 1_000_000
    if megapixels is None:
        return ValidationFailed({"file": msg("This image is too large; the limit is {limit} megapixels.", limit=limit)})
    return ValidationFailed({"file": msg("This image is too large ({size} megapixels); the limit is {limit}.",
                                         size=f"{megapixels:.0f}", limit=limit)})


def _clean_image(data: bytes, content_type: str) -> tuple[bytes, str, bytes]:
    """Decode, apply orientation, drop EXIF/GPS and other metadata; returns (bytes, type, thumbnail)."""
    if not _image_slots.acquire(timeout=IMAGE_SLOT_WAIT_SECONDS):
        raise ServiceError(N_("Other photos are being processed right now. Please try again in a minute."))
    try:
        return _decode_and_clean(data, content_type)
    finally:
        _image_slots.release()


def _decode_and_clean(data: bytes, content_type: str) -> tuple[bytes, str, bytes]:
    unreadable = ValidationFailed({"file": N_("This image could not be read. Try a JPEG, PNG, WebP or HEIC photo.")})
    try:
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS[content_type]) as opened:
            # Image.open only parses the header: the size is known before anything is decoded.
            width, height = opened.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _too_large(width * height / 1_000_000)
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        # Pillow's own check (open refuses past its limit): its message carries the pixel count.
        found = re.search(r"\((\d+) pixels\)", str(bomb))
        raise _too_large(int(found.group(1)) / 1_000_000 if found else None) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise unreadable from None
    target = "image/jpeg" if content_type == "image/heic" else content_type
    fmt = IMAGE_FORMATS[target]
    if image.mode == "P":
        image = image.convert("RGBA")
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    # Pixels only, into a fresh image: no EXIF, GPS, XMP or text chunks are carried over.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    del image
    clean.save(out, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    clean.thumbnail(THUMB_SIZE)
    if clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    thumb_out = io.BytesIO()
    clean.save(thumb_out, format="JPEG", quality=80)
    return out.getvalue(), target, thumb_out.getvalue()


def _complete(session: Session, attachment_id: uuid.UUID, lock: bool = False) -> Attachment:
    statement = select(Attachment).where(Attachment.id == attachment_id, Attachment.status == "complete")
    row = session.exec(statement.with_for_update() if lock else statement).first()
    if row is None:
        raise NotFound(N_("File not found."))
    return row



def _owner_client(session: Session, client_id: uuid.UUID | None, note_id: uuid.UUID | None) -> uuid.UUID:
    """The client a file belongs to (a note's client when only the note is given)."""
    if note_id is not None:
        note = session.exec(select(SoapNote).where(SoapNote.id == note_id)).first()
        if note is None or (client_id is not None and note.client_id != client_id):
            raise NotFound(N_("Note not found."))
        return note.client_id
    if client_id is None or session.exec(select(Client.id).where(Client.id == client_id)).first() is None:
        raise NotFound(N_("Client not found."))
    return client_id


def _safe_name(name: str) -> str:
    name = (name or "file").replace("\\", "/").split("/")[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:200] or "file"


def store(actor: Actor, client_id: uuid.UUID | None, file_name: str, data: bytes,
          note_id: uuid.UUID | None = None) -> uuid.UUID:
    """Validate, clean and store one file; returns the attachment id (status complete)."""
    actor.require_owner()
    if len(data) > max_bytes():
        raise ValidationFailed({"file": msg("This file is larger than {size} MB.", size=get_settings().max_upload_mb)})
    content_type = detect_type(data[:16])
    if content_type is None:
        raise ValidationFailed({"file": N_("Only photos (JPEG, PNG, WebP, HEIC) and PDF files can be attached.")})
    thumb = None
    if content_type.startswith("image/"):
        data, content_type, thumb = _clean_image(data, content_type)
    attachment_id = uuid.uuid4()
    key = f"workspaces/{actor.workspace_id}/attachments/{attachment_id}"
    with workspace_session(actor) as session:
        client_id = _owner_client(session, client_id, note_id)
        row = Attachment(id=attachment_id, workspace_id=actor.workspace_id, client_id=client_id, note_id=note_id,
                         content_type=content_type, size_bytes=len(data), s3_key=key, status="pending",
                         body_encrypted=True)
        crypto.seal(session, row, "file_name_enc", _safe_name(file_name))
        session.add(row)
        key_id, data_key = crypto.active_data_key(session, actor.workspace_id)
    size = len(data)
    objects = [(key, data)] + ([(key + ".thumb", thumb)] if thumb is not None else [])
    settings = get_settings()
    try:
        client = s3_client(settings.s3, timeout_seconds=20)
        for object_key, body in objects:
            sealed = crypto.encrypt_object(key_id, data_key, actor.workspace_id, object_key, body)
            client.put_object(Bucket=settings.s3.bucket, Key=object_key, Body=sealed,
                              ContentType="application/octet-stream")
    except (BotoCoreError, ClientError):
        log.warning("storing attachment %s failed; the row stays pending for the sweeper", attachment_id)
        raise StorageUnavailable() from None
    with workspace_session(actor) as session:
        row = session.exec(select(Attachment).where(Attachment.id == attachment_id)).one()
        row.status = "complete"
        audit.record(session, "attachment.created", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="attachment", entity_id=attachment_id, context=actor.context,
                     details={"content_type": content_type, "size": size})
    return attachment_id


def list_for(actor: Actor, client_id: uuid.UUID | None, note_id: uuid.UUID | None = None) -> list[AttachmentView]:
    actor.require_owner()
    with workspace_session(actor) as session:
        statement = select(Attachment).where(Attachment.status == "complete")
        if client_id is not None:
            statement = statement.where(Attachment.client_id == client_id)
        if note_id is not None:
            statement = statement.where(Attachment.note_id == note_id)
        rows = session.exec(statement.order_by(Attachment.created_at.desc())).all()
        views = []
        for r in rows:
            is_image = r.content_type.startswith("image/")
            thumb = _link(actor.workspace_id, r.id, r.s3_key, thumbnail=True) if is_image else ""
            views.append(AttachmentView(r.id, crypto.unseal(session, r, "file_name_enc") or "file", r.content_type,
                                        r.size_bytes, r.note_id, r.created_at, is_image, thumb))
        audit.record(session, "attachment.listed", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="attachment", context=actor.context, details={"count": len(views)})
        return views


def _signature(attachment_id: uuid.UUID, workspace_id: uuid.UUID, expires: int, variant: str) -> str:
    message = f"{attachment_id}|{workspace_id}|{expires}|{variant}".encode()
    return hmac.new(get_settings().secret_key, b"file-url|" + message, hashlib.sha256).hexdigest()


def download_url(actor: Actor, attachment_id: uuid.UUID, thumbnail: bool = False, now: float | None = None) -> str:
    """A URL valid for URL_TTL_SECONDS, issued after the access check; each one is audited."""
    actor.require_owner()
    with workspace_session(actor) as session:
        row = _complete(session, attachment_id)
        audit.record(session, "attachment.read", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="attachment", entity_id=row.id, context=actor.context,
                     details={"thumbnail": thumbnail})
        key = row.s3_key
    return _link(actor.workspace_id, attachment_id, key, thumbnail, now)


def _link(workspace_id: uuid.UUID, attachment_id: uuid.UUID, s3_key: str, thumbnail: bool,
          now: float | None = None) -> str:
    """The URL itself, for a file the caller has already checked access to. Always the app's
    own route: the stored object is ciphertext, only the app can decrypt it."""
    expires = int((now or time.time()) + URL_TTL_SECONDS)
    variant = "thumb" if thumbnail else "full"
    signature = _signature(attachment_id, workspace_id, expires, variant)
    return f"/files/{attachment_id}?w={workspace_id}&v={variant}&e={expires}&s={signature}"


@dataclass(frozen=True)
class FileStream:
    chunks: Iterator[bytes]  # plaintext, decrypted while it streams
    content_type: str
    file_name: str
    length: int


def open_signed(attachment_id: str, workspace_id: str, variant: str, expires: str, signature: str,
                now: float | None = None) -> FileStream:
    """Check an app-signed URL and open the object; any failure is a plain NotFound/expired."""
    try:
        attachment_uuid, workspace_uuid, expires_at = uuid.UUID(attachment_id), uuid.UUID(workspace_id), int(expires)
    except ValueError:
        raise NotFound(N_("File not found.")) from None
    if variant not in ("full", "thumb"):
        raise NotFound(N_("File not found."))
    expected = _signature(attachment_uuid, workspace_uuid, expires_at, variant)
    if not hmac.compare_digest(expected, signature or ""):
        raise NotFound(N_("File not found."))
    if (now or time.time()) > expires_at:
        raise LinkExpired()
    with system_session() as session:
        row = session.exec(select(Attachment).where(Attachment.id == attachment_uuid,
                                                    Attachment.workspace_id == workspace_uuid,
                                                    Attachment.status == "complete")).first()
        if row is None:
            raise NotFound(N_("File not found."))
        name = crypto.unseal(session, row, "file_name_enc") or "file"
        key = row.s3_key + (".thumb" if variant == "thumb" else "")
        content_type = "image/jpeg" if variant == "thumb" else row.content_type
        legacy_clear = not row.body_encrypted
    chunks, length = _open_object(workspace_uuid, key, content_type, legacy_clear)
    return FileStream(chunks, content_type, name, length)


def _open_object(workspace_id: uuid.UUID, key: str, content_type: str,
                 legacy_clear: bool = False) -> tuple[Iterator[bytes], int]:
    """(plaintext chunks, plaintext length) of a stored object. The first chunk is decrypted
    here, so a wrong key or a moved object fails before any response header is sent."""
    settings = get_settings()
    try:
        obj = s3_client(settings.s3, timeout_seconds=20).get_object(Bucket=settings.s3.bucket, Key=key)
    except (BotoCoreError, ClientError):
        raise StorageUnavailable() from None
    body, stored_length = obj["Body"], int(obj.get("ContentLength", 0))
    head = body.read(crypto.object_header_size())
    raw = chain([head], body.iter_chunks(chunk_size=crypto.OBJECT_SEGMENT + 16))
    if not crypto.is_encrypted_object(head):
        # Stored before files were encrypted (until `python -m pazpaz.cli encrypt-files` has run):
        # served only for such a row, and only when its bytes are the type the row says. For a
        # row stored encrypted, a clear object is someone else's write to the bucket.
        if not legacy_clear or detect_type(head[:16]) != content_type:
            body.close()
            raise NotFound(N_("File not found."))
        log.warning("serving an attachment stored in clear; run `python -m pazpaz.cli encrypt-files`")
        return _closing(raw, body), stored_length
    try:
        with system_session() as session:
            data_key = crypto.data_key(session, workspace_id, crypto.object_key_id(head))
        plain = crypto.decrypt_object_stream(data_key, workspace_id, key, raw)
        first = next(plain)
    except crypto.DecryptionError:
        body.close()
        log.warning("an attachment object failed to decrypt (wrong key, moved or tampered)")
        raise NotFound(N_("File not found.")) from None
    return _closing(chain([first], plain), body), crypto.plaintext_length(stored_length)


def _closing(chunks: Iterator[bytes], body: object) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        body.close()  # type: ignore[attr-defined]


class LinkExpired(ServiceError):
    def __init__(self) -> None:
        super().__init__(N_("This file link has expired. Open the file again from PazPaz."))


def delete(actor: Actor, attachment_id: uuid.UUID, reason: str = "") -> None:
    """Soft delete (the row stays, marked deleted), then remove the stored objects. A file of
    a finalized note needs a reason, recorded in the note's history (soap_notes.record_file_removal)."""
    actor.require_owner()
    with workspace_session(actor) as session:
        # Locked: two removals of one file record one history entry (the second finds nothing).
        row = _complete(session, attachment_id, lock=True)
        if row.note_id is not None:
            soap_notes.record_file_removal(session, actor, row.note_id, row.id, reason)
        row.status, row.deleted_at, key = "deleted", utcnow(), row.s3_key
        audit.record(session, "attachment.deleted", workspace_id=actor.workspace_id, user_id=actor.user_id,
                     entity_type="attachment", entity_id=row.id, context=actor.context)
    _remove_objects([key, key + ".thumb"])


def _remove_objects(keys: list[str]) -> None:
    settings = get_settings()
    try:
        client = s3_client(settings.s3)
        for key in keys:
            client.delete_object(Bucket=settings.s3.bucket, Key=key)
    except (BotoCoreError, ClientError):
        log.warning("object removal failed; the sweeper will retry")


def sweep(older_than: timedelta = timedelta(hours=1), now: datetime | None = None) -> tuple[int, int]:
    """Remove stale pending rows (and any object they left) and objects with no complete row.
    Returns (rows removed, orphan objects removed)."""
    cutoff = (now or utcnow()) - older_than
    settings = get_settings()
    with system_session() as session:
        stale = session.exec(select(Attachment).where(Attachment.status == "pending",
                                                      Attachment.created_at < cutoff)).all()
        stale_keys = [row.s3_key for row in stale]
        for row in stale:
            session.delete(row)
        live = {row.s3_key for row in session.exec(select(Attachment).where(Attachment.status == "complete")).all()}
    _remove_objects([k for key in stale_keys for k in (key, key + ".thumb")])
    orphans = 0
    client = s3_client(settings.s3)
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.s3.bucket, Prefix="workspaces/"):
        for item in page.get("Contents", []):
            base = item["Key"].removesuffix(".thumb")
            modified = item["LastModified"]
            if base not in live and modified < cutoff:
                client.delete_object(Bucket=settings.s3.bucket, Key=item["Key"])
                orphans += 1
    return len(stale), orphans


@dataclass
class SealReport:
    objects: int = 0  # objects looked at
    encrypted: int = 0  # were stored in clear
    rekeyed: int = 0  # were under an older data key
    missing: int = 0  # a complete row whose object is gone (left for an operator to look at)

    @property
    def changed(self) -> int:
        return self.encrypted + self.rekeyed


def seal_stored_objects(workspace_id: uuid.UUID | None = None, *, rekey: bool = False, batch_size: int = 200,
                        progress: Callable[[str], None] | None = None) -> SealReport:
    """Encrypt every stored object (file and thumbnail of each complete attachment) still in
    clear; with rekey, also move objects under an older data key to the active one (key
    rotation). Resumable and safe to re-run: each object's own header says whether it is
    done, and one S3 PUT replaces an object whole, so an interruption leaves no half state."""
    report = SealReport()
    settings = get_settings()
    last = uuid.UUID(int=0)
    while True:
        with system_session() as session:
            statement = select(Attachment.id, Attachment.workspace_id, Attachment.s3_key, Attachment.content_type) \
                .where(Attachment.status == "complete", Attachment.id > last)
            if workspace_id is not None:
                statement = statement.where(Attachment.workspace_id == workspace_id)
            rows = session.exec(statement.order_by(Attachment.id).limit(batch_size)).all()
        if not rows:
            return report
        if settings.s3.endpoint_url is None:
            # Only a bare service call gets here (the app and the CLI always have an S3 endpoint,
            # the embedded one included): there is no store to look at.
            log.warning("S3 is not configured: stored files were not checked")
            return report
        client = s3_client(settings.s3, timeout_seconds=20)
        sealed_rows = []
        for row_id, row_workspace, s3_key, content_type in rows:
            keys = [s3_key] + ([s3_key + ".thumb"] if content_type.startswith("image/") else [])
            outcomes = [_reseal(client, settings.s3.bucket, row_workspace, key, rekey) for key in keys]
            for outcome in outcomes:
                report.objects += 1
                if outcome != "done":
                    setattr(report, outcome, getattr(report, outcome) + 1)
            if "missing" not in outcomes:
                sealed_rows.append(row_id)
            last = row_id
        _mark_encrypted(sealed_rows)
        if progress:
            progress(f"files: {report.objects} objects checked, {report.encrypted} encrypted, "
                     f"{report.rekeyed} moved to the current key")


def _mark_encrypted(row_ids: list[uuid.UUID]) -> None:
    """From now on a clear object under these rows' keys is refused (see _open_object)."""
    if not row_ids:
        return
    with system_session() as session:
        session.execute(update(Attachment).where(Attachment.id.in_(row_ids), Attachment.body_encrypted.is_(False))
                        .values(body_encrypted=True))


def _reseal(client: object, bucket: str, workspace_id: uuid.UUID, key: str, rekey: bool) -> str:
    """'done', 'encrypted', 'rekeyed' or 'missing' for one object."""
    try:
        head = client.get_object(Bucket=bucket, Key=key,  # type: ignore[attr-defined]
                                 Range=f"bytes=0-{crypto.object_header_size() - 1}")["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return "missing"
        raise
    old_key = None
    with system_session() as session:
        active_id, active_key = crypto.active_data_key(session, workspace_id)
        if crypto.is_encrypted_object(head):
            old_id = crypto.object_key_id(head)
            if not rekey or old_id == active_id:
                return "done"
            old_key = crypto.data_key(session, workspace_id, old_id)
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
    plain = body if old_key is None else crypto.decrypt_object(old_key, workspace_id, key, body)
    sealed = crypto.encrypt_object(active_id, active_key, workspace_id, key, plain)
    client.put_object(Bucket=bucket, Key=key, Body=sealed,  # type: ignore[attr-defined]
                      ContentType="application/octet-stream")
    return "encrypted" if old_key is None else "rekeyed"
