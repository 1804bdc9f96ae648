"""The backup file: one encrypted, authenticated stream of named entries.

Layout: magic "PZBK" | version (1 byte) | salt (16) | key check (16), then segments of
SEGMENT plaintext bytes, each sealed with AES-256-GCM (`cryptography`). This is the
construction the app already uses for file bodies (docs/ARCHITECTURE.md "Files", crypto.py
"PZF"): segment i's nonce is i (11 bytes) | 1 for the last segment else 0, and the associated
data is the header, so a reordered, dropped, truncated or altered segment fails to open.

Keys: HKDF-SHA256 over the KEK (PAZPAZ_KEK, env or data/secrets.json) with the file's random
salt gives the 32-byte file key and a 16-byte key check. The secrets are never inside the
file: without the KEK it is noise, and with another KEK the key check says so before any
segment is tried (a clear "wrong secrets" instead of "damaged").

Inside, the plaintext is a sequence of entries: b"F" | name length (2) | name | chunks, each
chunk a 4-byte length then bytes, a zero length ending the entry; b"E" ends the archive. A
stream that stops before b"E" (or whose last segment is missing) is refused.
"""

from __future__ import annotations

import hmac
import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"PZBK"
VERSION = 1
SEGMENT = 1024 * 1024
HEADER_SIZE = len(MAGIC) + 1 + 16 + 16
_TAG = 16
_INFO = b"pazpaz-backup|v1"


class BackupFileError(Exception):
    """The file can't be opened; the message says why in plain words."""


class WrongSecrets(BackupFileError):
    pass


class Damaged(BackupFileError):
    pass


def _keys(kek: bytes, salt: bytes, info: bytes) -> tuple[bytes, bytes]:
    material = HKDF(algorithm=hashes.SHA256(), length=48, salt=salt, info=info).derive(kek)
    return material[:32], material[32:]


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class EncryptedWriter:
    """Seals everything written to it into `out`; close() writes the final segment."""

    def __init__(self, out: BinaryIO, kek: bytes, info: bytes = _INFO) -> None:
        """info separates uses of the same secret (a backup, an export of one workspace)."""
        salt = os.urandom(16)
        key, check = _keys(kek, salt, info)
        self._header = MAGIC + bytes([VERSION]) + salt + check
        self._aead = AESGCM(key)
        self._out = out
        self._buffer = bytearray()
        self._index = 0
        self.plain_bytes = 0
        out.write(self._header)

    def write(self, data: bytes) -> None:
        self._buffer.extend(data)
        self.plain_bytes += len(data)
        while len(self._buffer) > SEGMENT:  # keep one back: only close() knows which is last
            self._seal(bytes(self._buffer[:SEGMENT]), last=False)
            del self._buffer[:SEGMENT]

    def _seal(self, chunk: bytes, last: bool) -> None:
        self._out.write(self._aead.encrypt(_nonce(self._index, last), chunk, self._header))
        self._index += 1

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()


def decrypt_stream(source: BinaryIO, kek: bytes, info: bytes = _INFO) -> Iterator[bytes]:
    """Plaintext segments of a backup file; raises WrongSecrets or Damaged."""
    header = source.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE or header[:4] != MAGIC:
        raise Damaged("This is not a PazPaz backup file (or its beginning is missing).")
    if header[4] != VERSION:
        raise Damaged(f"This backup uses format {header[4]}, which this version of PazPaz can't read.")
    key, check = _keys(kek, header[5:21], info)
    if not hmac.compare_digest(check[:16], header[21:37]):
        raise WrongSecrets("This backup was made with other secrets: PAZPAZ_KEK (env or data/secrets.json) "
                           "is not the one in use when it was written, so it can't be opened.")
    aead = AESGCM(key)
    sealed = SEGMENT + _TAG
    index = 0
    current = source.read(sealed)
    while True:
        following = source.read(sealed)
        last = not following
        if len(current) < _TAG:
            raise Damaged("The backup file is truncated.")
        try:
            yield aead.decrypt(_nonce(index, last), current, header)
        except InvalidTag:
            raise Damaged("The backup file is damaged or was altered (segment "
                          f"{index + 1} fails its integrity check, or the file is truncated).") from None
        if last:
            return
        current, index = following, index + 1


# --- entries -------------------------------------------------------------------------------

ENTRY, END = b"F", b"E"
CHUNK = 256 * 1024


def write_entry(writer: EncryptedWriter, name: str, chunks: Iterable[bytes]) -> int:
    """One named entry from any chunks; returns its length."""
    encoded = name.encode()
    writer.write(ENTRY + struct.pack(">H", len(encoded)) + encoded)
    total = 0
    for chunk in chunks:
        for start in range(0, len(chunk), CHUNK):
            part = chunk[start:start + CHUNK]
            writer.write(struct.pack(">I", len(part)) + part)
            total += len(part)
    writer.write(struct.pack(">I", 0))
    return total


def write_end(writer: EncryptedWriter) -> None:
    writer.write(END)


class _Bytes:
    """Exact reads over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()

    def read(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise Damaged("The backup file ends in the middle of an entry (it is incomplete).")
            self._buffer.extend(chunk)
        out = bytes(self._buffer[:count])
        del self._buffer[:count]
        return out

    def at_end(self) -> bool:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return True
            self._buffer.extend(chunk)
        return False


def read_entries(plain: Iterator[bytes]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """(name, chunks) per entry, in order; each entry's chunks must be consumed before the next.
    Raises Damaged unless the archive ends with its end marker and nothing after it."""
    stream = _Bytes(plain)
    while True:
        kind = stream.read(1)
        if kind == END:
            if not stream.at_end():
                raise Damaged("The backup file has data after its end marker.")
            return
        if kind != ENTRY:
            raise Damaged("The backup file's contents are not in the expected layout.")
        (length,) = struct.unpack(">H", stream.read(2))
        name = stream.read(length).decode()

        def chunks() -> Iterator[bytes]:
            while True:
                (size,) = struct.unpack(">I", stream.read(4))
                if size == 0:
                    return
                yield stream.read(size)

        body = chunks()
        yield name, body
        for _ in body:  # the caller may skip an entry
            pass
