"""The encrypted object format (services/crypto.py, "File bodies"): round trips at any
chunking, and every way of moving or cutting a ciphertext fails instead of giving bytes."""

from __future__ import annotations

import os
import uuid

import pytest

from pazpaz.services import crypto

SEGMENT = crypto.OBJECT_SEGMENT
KEY, KEY_ID, WORKSPACE, OBJECT = os.urandom(32), uuid.uuid4(), uuid.uuid4(), "workspaces/w/attachments/a"


def seal(data: bytes, object_key: str = OBJECT) -> bytes:
    return crypto.encrypt_object(KEY_ID, KEY, WORKSPACE, object_key, data)


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 5])
@pytest.mark.parametrize("chunk", [1000, SEGMENT + 16, 10**9])
def test_round_trip_at_any_chunking(size: int, chunk: int):
    data = os.urandom(size)
    blob = seal(data)
    assert crypto.is_encrypted_object(blob) and crypto.object_key_id(blob) == KEY_ID
    assert crypto.plaintext_length(len(blob)) == size
    pieces = (blob[i:i + chunk] for i in range(0, len(blob), chunk))
    assert b"".join(crypto.decrypt_object_stream(KEY, WORKSPACE, OBJECT, pieces)) == data


def test_the_same_body_never_gives_the_same_ciphertext():
    assert seal(b"%PDF-1.7 same") != seal(b"%PDF-1.7 same")


def test_plaintext_types_are_never_taken_for_ciphertext():
    for head in (b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBP", b"\0\0\0\x18ftypheic", b"%PDF-1.7"):
        assert not crypto.is_encrypted_object(head)


def test_moved_tampered_truncated_or_reordered_objects_fail():
    data = os.urandom(3 * SEGMENT + 5)
    blob = seal(data)
    header, body = blob[:crypto.object_header_size()], blob[crypto.object_header_size():]
    sealed = SEGMENT + 16
    segments = [body[i:i + sealed] for i in range(0, len(body), sealed)]
    attempts = {
        "other object key": lambda: crypto.decrypt_object(KEY, WORKSPACE, OBJECT + "x", blob),
        "other workspace": lambda: crypto.decrypt_object(KEY, uuid.uuid4(), OBJECT, blob),
        "other data key": lambda: crypto.decrypt_object(os.urandom(32), WORKSPACE, OBJECT, blob),
        "flipped byte": lambda: crypto.decrypt_object(KEY, WORKSPACE, OBJECT, blob[:-1] + bytes([blob[-1] ^ 1])),
        "last segment dropped": lambda: crypto.decrypt_object(KEY, WORKSPACE, OBJECT, header + b"".join(segments[:-1])),
        "segments swapped": lambda: crypto.decrypt_object(
            KEY, WORKSPACE, OBJECT, header + segments[1] + segments[0] + b"".join(segments[2:])),
        "key id changed": lambda: crypto.decrypt_object(
            KEY, WORKSPACE, OBJECT, header[:4] + uuid.uuid4().bytes + header[20:] + body),
        "header only": lambda: crypto.decrypt_object(KEY, WORKSPACE, OBJECT, header),
    }
    for name, attempt in attempts.items():
        with pytest.raises(crypto.DecryptionError):
            attempt()
            pytest.fail(name)
