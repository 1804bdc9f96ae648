"""Field encryption: AES-256-GCM with per-workspace data keys wrapped by the KEK.

Blob layout: version (1 byte) | data key id (16 bytes) | nonce (12 bytes) | ciphertext+tag.
The associated data binds table, column, row id and workspace id, so a ciphertext
copied to another row or workspace fails to decrypt instead of showing wrong data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
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


# Unwrapped data keys by (kek, workspace, key id). A data key never changes once written,
# so reading it again from the database for every value would only cost time.
_DATA_KEYS: dict[tuple[bytes, uuid.UUID, uuid.UUID], bytes] = {}


def _key_by_id(session: Session, workspace_id: uuid.UUID, key_id: uuid.UUID) -> bytes:
    kek = get_settings().kek
    cached = _DATA_KEYS.get((kek, workspace_id, key_id))
    if cached is not None:
        return cached
    row = session.get(WorkspaceKey, key_id)
    if row is None or row.workspace_id != workspace_id:
        raise DecryptionError("The data key for this value is missing.")
    key = _unwrap(kek, workspace_id, row.id, row.wrapped_key)
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


def decrypt_field(
    session: Session, workspace_id: uuid.UUID, table: str, column: str, row_id: uuid.UUID, blob: bytes
) -> str:
    if len(blob) < _HEADER + 16 or blob[0] != FORMAT_VERSION:
        raise DecryptionError("Unknown ciphertext format.")
    key = _key_by_id(session, workspace_id, uuid.UUID(bytes=bytes(blob[1:17])))
    try:
        plain = AESGCM(key).decrypt(bytes(blob[17:29]), bytes(blob[29:]), _field_aad(table, column, row_id, workspace_id))
    except InvalidTag:
        raise DecryptionError("A value failed its integrity check (moved or tampered).") from None
    return plain.decode()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def blind_index(value: str) -> str:
    """HMAC-SHA256 with its own key: equal inputs match, the stored value reveals nothing."""
    return hmac.new(get_settings().blind_index_key, value.encode(), hashlib.sha256).hexdigest()


def email_index(email: str) -> str:
    return blind_index("email:" + normalise_email(email))


def seal(session: Session, row: object, column: str, value: str | None) -> None:
    """Encrypt value into row.<column>, bound to that row's table, id and workspace."""
    if value is None or value == "":
        setattr(row, column, None)
        return
    table = row.__tablename__  # type: ignore[attr-defined]
    setattr(row, column, encrypt_field(session, row.workspace_id, table, column, row.id, value))  # type: ignore[attr-defined]


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
