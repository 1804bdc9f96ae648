"""Field encryption: AES-256-GCM with per-workspace data keys wrapped by the KEK.

Blob layout: version (1 byte) | data key id (16 bytes) | nonce (12 bytes) | ciphertext+tag.
The associated data binds table, column, row id and workspace id, so a ciphertext
copied to another row or workspace fails to decrypt instead of showing wrong data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import bindparam
from sqlmodel import Session, select

from pazpaz.models.workspace import WorkspaceKey
from pazpaz.settings import get_settings

FORMAT_VERSION = 1
_HEADER = 1 + 16 + 12


class DecryptionError(Exception):
    """A value could not be decrypted: wrong key, wrong row, or tampered bytes."""


def _wrap_aad(workspace_id: uuid.UUID, key_id: uuid.UUID) -> bytes:
    return b"pazpaz-wk|" + workspace_id.bytes + key_id.bytes


def _field_aad(table: str, column: str, row_id: uuid.UUID, workspace_id: uuid.UUID) -> bytes:
    return f"{table}|{column}|{row_id}|{workspace_id}".encode()


def create_workspace_key(session: Session, workspace_id: uuid.UUID) -> WorkspaceKey:
    key_id = uuid.uuid4()
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    wrapped = nonce + AESGCM(get_settings().kek).encrypt(nonce, data_key, _wrap_aad(workspace_id, key_id))
    row = WorkspaceKey(id=key_id, workspace_id=workspace_id, wrapped_key=wrapped, active=True)
    session.add(row)
    session.flush()
    return row


@lru_cache(maxsize=4096)
def _unwrap(kek: bytes, workspace_id: uuid.UUID, key_id: uuid.UUID, wrapped: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], _wrap_aad(workspace_id, key_id))
    except InvalidTag:
        raise DecryptionError(
            "A workspace data key cannot be unwrapped: PAZPAZ_KEK is not the key this database was written with."
        ) from None


def _active_key(session: Session, workspace_id: uuid.UUID) -> tuple[uuid.UUID, bytes]:
    # Cached per transaction only, so a rotation's new key is picked up by the next one.
    cache = session.info.setdefault("pazpaz_active_keys", {})
    if workspace_id in cache:
        return cache[workspace_id]
    row = session.exec(
        select(WorkspaceKey).where(WorkspaceKey.workspace_id == workspace_id, WorkspaceKey.active)
    ).first()
    if row is None:
        row = create_workspace_key(session, workspace_id)
    cache[workspace_id] = (row.id, _unwrap(get_settings().kek, workspace_id, row.id, row.wrapped_key))
    return cache[workspace_id]


@lru_cache(maxsize=1)
def _key_query():
    """A data key's row by id (only its two columns): system sessions (key rotation, backups)
    read keys too, so the scope is left to the session as for any other query."""
    return (select(WorkspaceKey.workspace_id, WorkspaceKey.wrapped_key)
            .where(WorkspaceKey.id == bindparam("data_key_id")))


# Unwrapped data keys by (kek, workspace, key id). A data key never changes once written,
# so reading it again from the database for every value would only cost time.
_DATA_KEYS: dict[tuple[bytes, uuid.UUID, uuid.UUID], bytes] = {}


def _key_by_id(session: Session, workspace_id: uuid.UUID, key_id: uuid.UUID) -> bytes:
    kek = get_settings().kek
    cached = _DATA_KEYS.get((kek, workspace_id, key_id))
    if cached is not None:
        return cached
    row = session.exec(_key_query(), params={"data_key_id": key_id}).first()  # type: ignore[call-overload]
    if row is None or row.workspace_id != workspace_id:
        raise DecryptionError("The data key for this value is missing.")
    key = _unwrap(kek, workspace_id, key_id, row.wrapped_key)
    if len(_DATA_KEYS) > 10_000:
        _DATA_KEYS.clear()
    _DATA_KEYS[(kek, workspace_id, key_id)] = key
    return key


def encrypt_field(
    session: Session, workspace_id: uuid.UUID, table: str, column: str, row_id: uuid.UUID, plaintext: str
) -> bytes:
    key_id, key = _active_key(session, workspace_id)
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode(), _field_aad(table, column, row_id, workspace_id))
    return bytes([FORMAT_VERSION]) + key_id.bytes + nonce + ciphertext


# AESGCM objects by (kek, workspace, key id bytes): constructing one per value (key schedule)
# cost more than the decryption. Same lifetime and bound as _DATA_KEYS.
_CIPHERS: dict[tuple[bytes, uuid.UUID, bytes], AESGCM] = {}


def _cipher(session: Session, workspace_id: uuid.UUID, key_id: bytes) -> AESGCM:
    kek = get_settings().kek
    cipher = _CIPHERS.get((kek, workspace_id, key_id))
    if cipher is None:
        cipher = AESGCM(_key_by_id(session, workspace_id, uuid.UUID(bytes=key_id)))
        if len(_CIPHERS) > 10_000:
            _CIPHERS.clear()
        _CIPHERS[(kek, workspace_id, key_id)] = cipher
    return cipher


def decrypt_field(
    session: Session, workspace_id: uuid.UUID, table: str, column: str, row_id: uuid.UUID, blob: bytes
) -> str:
    blob = bytes(blob)  # a memoryview from other drivers; bytes pass through uncopied
    if len(blob) < _HEADER + 16 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("Unknown ciphertext format.")
    cipher = _cipher(session, workspace_id, blob[1:17])
    try:
        plain = cipher.decrypt(blob[17:29], blob[29:], _field_aad(table, column, row_id, workspace_id))
    except InvalidTag:
        raise DecryptionError("A value failed its integrity check (moved or tampered).") from None
    return plain.decode()


def normalise_email(email: str) -> str:
    """The one canonical form of an address: the blind index and the stored (mailed) value.

    NFKC folds look-alikes such as the Kelvin sign (U+212A) into their plain letters and
    casefold() is lower() made complete; for plain ASCII the result equals the former
    strip().lower(), so ASCII rows keep their index (docs/ARCHITECTURE.md "Email addresses").
    """
    return unicodedata.normalize("NFKC", email.strip()).casefold()


def blind_index(value: str) -> str:
    """HMAC-SHA256 with its own key: equal inputs match, the stored value reveals nothing."""
    return hmac.new(get_settings().blind_index_key, value.encode(), hashlib.sha256).hexdigest()


def email_index(email: str) -> str:
    return blind_index("email:" + normalise_email(email))


def sealed_text(session: Session, workspace_id: uuid.UUID, table: str, column: str, row_id: uuid.UUID,
                value: str | None) -> bytes | None:
    """A column's stored form of value (None for an empty value), for a row not loaded (a
    compare-and-set UPDATE); `seal` is the same for a loaded row."""
    if value is None or value == "":
        return None
    return encrypt_field(session, workspace_id, table, column, row_id, value)


def opened_text(session: Session, workspace_id: uuid.UUID, table: str, column: str, row_id: uuid.UUID,
                blob: bytes | None) -> str:
    """A selected column's plaintext ("" for none), for reads that select columns, not rows."""
    return decrypt_field(session, workspace_id, table, column, row_id, blob) if blob else ""


def seal(session: Session, row: object, column: str, value: str | None) -> None:
    """Encrypt value into row.<column>, bound to that row's table, id and workspace."""
    setattr(row, column, sealed_text(session, row.workspace_id, row.__tablename__, column,  # type: ignore[attr-defined]
                                     row.id, value))  # type: ignore[attr-defined]


def unseal(session: Session, row: object, column: str) -> str | None:
    blob = getattr(row, column)
    if blob is None:
        return None
    table = row.__tablename__  # type: ignore[attr-defined]
    return decrypt_field(session, row.workspace_id, table, column, row.id, blob)  # type: ignore[attr-defined]


def key_id_of(blob: bytes) -> uuid.UUID:
    return uuid.UUID(bytes=bytes(blob[1:17]))


def verify_kek(session: Session) -> None:
    """Fail at start-up, clearly, when PAZPAZ_KEK can't open the stored data keys."""
    row = session.exec(select(WorkspaceKey).limit(1)).first()
    if row is not None:
        _unwrap(get_settings().kek, row.workspace_id, row.id, row.wrapped_key)


# --- File bodies (S3 objects) --------------------------------------------------------
# Object layout: magic "PZF" | version (1 byte) | data key id (16) | salt (16) | segments.
# The body is cut into OBJECT_SEGMENT-byte segments, each sealed with AES-256-GCM under a
# per-object key HKDF(data key, salt, workspace + object key); segment i's nonce is
# i (11 bytes) | 1 if it is the last segment else 0, so segments can't be reordered, dropped
# or truncated unnoticed, and a download decrypts while it streams. Associated data is the
# header plus workspace id and object key: an object moved to another key or workspace
# fails to decrypt.
OBJECT_MAGIC = b"PZF"
OBJECT_VERSION = 1
OBJECT_SEGMENT = 64 * 1024
_OBJECT_HEADER = len(OBJECT_MAGIC) + 1 + 16 + 16
_TAG = 16


def object_header_size() -> int:
    return _OBJECT_HEADER


def is_encrypted_object(head: bytes) -> bool:
    """True when these first bytes start an encrypted object (the allowed plaintext types,
    JPEG/PNG/WebP/HEIC/PDF, never start with the magic)."""
    return len(head) >= 4 and head[:3] == OBJECT_MAGIC and head[3] == OBJECT_VERSION


def object_key_id(head: bytes) -> uuid.UUID:
    if len(head) < _OBJECT_HEADER or not is_encrypted_object(head):
        raise DecryptionError("Unknown file encryption format.")
    return uuid.UUID(bytes=bytes(head[4:20]))


def active_data_key(session: Session, workspace_id: uuid.UUID) -> tuple[uuid.UUID, bytes]:
    """(key id, data key) that new files of this workspace are encrypted with."""
    return _active_key(session, workspace_id)


def data_key(session: Session, workspace_id: uuid.UUID, key_id: uuid.UUID) -> bytes:
    """The workspace's data key with this id (an older key still opens files written under it)."""
    return _key_by_id(session, workspace_id, key_id)


def _object_cipher(key: bytes, header: bytes, workspace_id: uuid.UUID, object_key: str) -> tuple[AESGCM, bytes]:
    context = b"pazpaz-object|" + str(workspace_id).encode() + b"|" + object_key.encode()
    subkey = HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(header[20:36]), info=context).derive(key)
    return AESGCM(subkey), bytes(header) + b"|" + context


def _segment_nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypt_object(key_id: uuid.UUID, key: bytes, workspace_id: uuid.UUID, object_key: str, data: bytes) -> bytes:
    """The whole encrypted object (files are at most PAZPAZ_MAX_UPLOAD_MB, so in memory)."""
    header = OBJECT_MAGIC + bytes([OBJECT_VERSION]) + key_id.bytes + os.urandom(16)
    aead, aad = _object_cipher(key, header, workspace_id, object_key)
    parts = [header]
    count = max(1, -(-len(data) // OBJECT_SEGMENT))
    view = memoryview(data)
    for index in range(count):
        chunk = bytes(view[index * OBJECT_SEGMENT:(index + 1) * OBJECT_SEGMENT])
        parts.append(aead.encrypt(_segment_nonce(index, index == count - 1), chunk, aad))
    return b"".join(parts)


def plaintext_length(encrypted_length: int) -> int:
    body = encrypted_length - _OBJECT_HEADER
    segments = max(1, -(-body // (OBJECT_SEGMENT + _TAG)))
    return body - segments * _TAG


def decrypt_object_stream(key: bytes, workspace_id: uuid.UUID, object_key: str,
                          chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Plaintext segments from an encrypted object's bytes (any chunking); raises
    DecryptionError on a wrong key, workspace or object key, tampering or truncation."""
    sealed = OBJECT_SEGMENT + _TAG
    buffer = bytearray()
    aead: AESGCM | None = None
    aad = b""
    index = 0

    def open_segment(segment: bytes, last: bool) -> bytes:
        try:
            return aead.decrypt(_segment_nonce(index, last), segment, aad)  # type: ignore[union-attr]
        except InvalidTag:
            raise DecryptionError("A file failed its integrity check (moved, tampered or truncated).") from None

    for chunk in chunks:
        buffer.extend(chunk)
        if aead is None:
            if len(buffer) < _OBJECT_HEADER:
                continue
            object_key_id(bytes(buffer[:_OBJECT_HEADER]))  # checks the magic and version
            aead, aad = _object_cipher(key, bytes(buffer[:_OBJECT_HEADER]), workspace_id, object_key)
            del buffer[:_OBJECT_HEADER]
        # Keep one byte more than a segment back: only the end of the stream says which is last.
        while len(buffer) > sealed:
            yield open_segment(bytes(buffer[:sealed]), last=False)
            del buffer[:sealed]
            index += 1
    if aead is None or len(buffer) < _TAG:
        raise DecryptionError("A file is truncated.")
    yield open_segment(bytes(buffer), last=True)


def decrypt_object(key: bytes, workspace_id: uuid.UUID, object_key: str, blob: bytes) -> bytes:
    return b"".join(decrypt_object_stream(key, workspace_id, object_key, [blob]))
