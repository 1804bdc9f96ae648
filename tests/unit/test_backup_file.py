"""The backup file format: round trip over several segments; reordered, dropped, truncated or
altered segments, a foreign key and a missing end marker are all refused."""

from __future__ import annotations

import io
import os

import pytest

from pazpaz.services import backup_file
from pazpaz.services.backup_file import SEGMENT, Damaged, WrongSecrets

KEK = b"\x01" * 32
SEALED = SEGMENT + 16


def sealed_file(entries: list[tuple[str, bytes]], end: bool = True) -> bytes:
    out = io.BytesIO()
    writer = backup_file.EncryptedWriter(out, KEK)
    for name, data in entries:
        backup_file.write_entry(writer, name, [data])
    if end:
        backup_file.write_end(writer)
    writer.close()
    return out.getvalue()


def read_all(blob: bytes, kek: bytes = KEK) -> dict[str, bytes]:
    plain = backup_file.decrypt_stream(io.BytesIO(blob), kek)
    return {name: b"".join(chunks) for name, chunks in backup_file.read_entries(plain)}


BIG = os.urandom(int(SEGMENT * 2.5))
ENTRIES = [("database.dump", BIG), ("objects/a", b"x" * 10), ("empty", b"")]


def test_round_trip_over_several_segments():
    blob = sealed_file(ENTRIES)
    assert (len(blob) - backup_file.HEADER_SIZE) // SEALED == 2  # 2 full segments + a last one
    assert read_all(blob) == dict(ENTRIES)
    assert BIG[:1000] not in blob  # ciphertext, not the plaintext


def test_tampering_of_any_kind_is_refused():
    blob = sealed_file(ENTRIES)
    head, body = blob[:backup_file.HEADER_SIZE], blob[backup_file.HEADER_SIZE:]
    segments = [body[i:i + SEALED] for i in range(0, len(body), SEALED)]
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x40
    cases = {
        "flipped bit": bytes(flipped),
        "swapped segments": head + segments[1] + segments[0] + b"".join(segments[2:]),
        "last segment dropped": head + b"".join(segments[:-1]),
        "cut mid-segment": blob[:-500],
        "header salt changed": head[:6] + bytes([head[6] ^ 1]) + head[7:] + body,
    }
    for name, damaged in cases.items():
        with pytest.raises(backup_file.BackupFileError):
            read_all(damaged)
        assert name


def test_foreign_secrets_and_garbage_are_named():
    blob = sealed_file(ENTRIES)
    with pytest.raises(WrongSecrets, match="other secrets"):
        read_all(blob, b"\x02" * 32)
    with pytest.raises(Damaged, match="not a PazPaz backup"):
        read_all(b"PK\x03\x04" + blob[4:])


def test_an_archive_without_its_end_marker_is_incomplete():
    with pytest.raises(Damaged, match="incomplete"):
        read_all(sealed_file(ENTRIES, end=False))
