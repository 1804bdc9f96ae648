"""Backups: one encrypted file holding pg_dump, every S3 object and a manifest.

Consistency while the app runs (docs/ARCHITECTURE.md "Backups, restore, erasure, exports"):
one REPEATABLE READ transaction exports its snapshot; pg_dump runs on that snapshot
(`--snapshot`), and the same transaction lists the attachment rows and counts every table.
Objects are immutable once their row is complete (a new upload gets a new key), so the
objects named by the snapshot's rows are the snapshot's objects. pg_dump takes ACCESS SHARE
locks only: writers are never blocked (only a migration's DDL would wait).

The file is written under a temporary name in the same folder and renamed only once complete
and flushed to disk: a failed or interrupted backup never leaves a file that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psycopg2
from botocore.exceptions import ClientError

from pazpaz.infra import pgtools
from pazpaz.services import backup_file, crypto, erasure_list
from pazpaz.services.storage import s3_client
from pazpaz.settings import PROJECT_ROOT, S3Settings

log = logging.getLogger("pazpaz.backup")
FORMAT = 1
SUFFIX = ".pzbk"
PREFIX = "pazpaz-backup-"
DUMP_ENTRY = "database.dump"
MANIFEST_ENTRY = "manifest.json"
OBJECT_PREFIX = "objects/"
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup could not be made; the message names the step, never data."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    manifest: dict


def app_version() -> str:
    try:
        return metadata.version("pazpaz")
    except metadata.PackageNotFoundError:
        import tomllib

        return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"]


def file_name(moment: datetime) -> str:
    return PREFIX + moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + SUFFIX


def parse_time(name: str) -> datetime | None:
    if not (name.startswith(PREFIX) and name.endswith(SUFFIX)):
        return None
    try:
        return datetime.strptime(name[len(PREFIX):-len(SUFFIX)], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass
class _Snapshot:
    snapshot_id: str
    server_major: int
    revision: str | None
    counts: dict[str, int]
    objects: list[tuple[str, str]]  # (s3 key, attachment id) of every complete attachment
    erased_ids: list[dict[str, str]]
    key_ids: set[str]  # every data key the dump holds: an object sealed under another can't be restored


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_snapshot(cursor) -> _Snapshot:
    cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')::int / 10000")
    snapshot_id, major = cursor.fetchone()
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM public.{_quote_ident(table)}")
        counts[table] = cursor.fetchone()[0]
    revision = None
    if "alembic_version" in tables:
        cursor.execute("SELECT version_num FROM alembic_version")
        row = cursor.fetchone()
        revision = row[0] if row else None
    objects: list[tuple[str, str]] = []
    if "attachments" in tables:
        cursor.execute("SELECT s3_key, id::text, content_type FROM attachments WHERE status = 'complete' "
                       "ORDER BY s3_key")
        for key, attachment_id, content_type in cursor.fetchall():
            objects.append((key, attachment_id))
            if content_type.startswith("image/"):
                objects.append((key + ".thumb", attachment_id))
    erased: list[dict[str, str]] = []
    if "audit_events" in tables:
        cursor.execute("SELECT workspace_id::text, entity_id::text, occurred_at FROM audit_events "
                       "WHERE action = 'client.erased' AND entity_id IS NOT NULL")
        erased = [{"workspace_id": w, "client_id": c, "erased_at": at.isoformat()} for w, c, at in cursor.fetchall()]
    key_ids: set[str] = set()
    if "workspace_keys" in tables:
        cursor.execute("SELECT id::text FROM workspace_keys")
        key_ids = {row[0] for row in cursor.fetchall()}
    return _Snapshot(snapshot_id, major, revision, counts, objects, erased, key_ids)


def _pg_dump(database_url: str, snapshot: _Snapshot, external: bool) -> subprocess.Popen:
    args, env = pgtools.libpq_args(database_url)
    binary = pgtools.tool("pg_dump", snapshot.server_major, external=external)
    # Custom format (compressed, what pg_restore reads); owners and grants are left out: a
    # restore recreates the tables as the owner role and re-grants the app role.
    command = [binary, *args, "--format=custom", "--compress=6", "--no-owner", "--no-privileges",
               f"--snapshot={snapshot.snapshot_id}"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _stream(process: subprocess.Popen, digest) -> Iterator[bytes]:
    assert process.stdout is not None
    while True:
        chunk = process.stdout.read(256 * 1024)
        if not chunk:
            return
        digest.update(chunk)
        yield chunk


def _object_chunks(s3: S3Settings, key: str, digest, key_ids: set[str]) -> Iterator[bytes]:
    body = s3_client(s3, timeout_seconds=60.0).get_object(Bucket=s3.bucket, Key=key)["Body"]
    try:
        first = True
        for chunk in body.iter_chunks(256 * 1024):
            if first and crypto.is_encrypted_object(chunk) and len(chunk) >= crypto.object_header_size() \
                    and str(crypto.object_key_id(chunk)) not in key_ids:
                # Re-sealed by a key rotation after the snapshot: its key is not in this dump.
                raise BackupError("A key rotation changed files during the backup; run the backup again.")
            first = False
            digest.update(chunk)
            yield chunk
    finally:
        body.close()


def _object_exists(s3: S3Settings, key: str) -> bool:
    try:
        s3_client(s3, timeout_seconds=60.0).head_object(Bucket=s3.bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def create(dest_dir: Path, database_url: str, s3: S3Settings, kek: bytes, data_dir: Path, *,
           external_database: bool = False, now: datetime | None = None,
           progress: Progress | None = None) -> BackupResult:
    """Write one backup file into dest_dir and return it. Raises BackupError (nothing left
    behind but a removed temp file) on any failure."""
    say = progress or (lambda line: None)
    moment = now or datetime.now(UTC)
    dest_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = dest_dir / file_name(moment)
    temp = dest_dir / f".{final.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        manifest = _write(temp, database_url, s3, kek, data_dir, external_database, moment, say)
        os.replace(temp, final)
        _fsync_dir(dest_dir)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    size = final.stat().st_size
    say(f"Backup written: {final} ({size / 1_000_000:.1f} MB)")
    return BackupResult(final, size, manifest)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write(temp: Path, database_url: str, s3: S3Settings, kek: bytes, data_dir: Path, external: bool,
           moment: datetime, say: Progress) -> dict:
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        writer = backup_file.EncryptedWriter(out, kek)
        connection = psycopg2.connect(pgtools.psycopg2_dsn(database_url), connect_timeout=10)
        try:
            connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
            with connection.cursor() as cursor:
                snapshot = _read_snapshot(cursor)
                say(f"Snapshot taken: {sum(snapshot.counts.values())} rows in {len(snapshot.counts)} tables, "
                    f"{len(snapshot.objects)} objects")
                dump_digest = hashlib.sha256()
                process = _pg_dump(database_url, snapshot, external)
                errors: list[bytes] = []
                reader = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)
                reader.start()
                dump_size = backup_file.write_entry(writer, DUMP_ENTRY, _stream(process, dump_digest))
                process.wait()
                reader.join()
                if process.returncode != 0:
                    # pg_dump's message names tables and settings, not row contents; log its
                    # first line for the operator (it never reaches a page).
                    first = (b"".join(errors).decode(errors="replace").strip().splitlines() or ["?"])[0]
                    log.warning("pg_dump failed: %s", first[:300])
                    raise BackupError(f"pg_dump failed (exit {process.returncode}): {first[:300]}")
            connection.rollback()
        finally:
            connection.close()
        say(f"Database dumped ({dump_size / 1_000_000:.1f} MB)")
        objects, missing = {}, []
        for key, attachment_id in snapshot.objects:
            digest = hashlib.sha256()
            try:
                chunks = _object_chunks(s3, key, digest, snapshot.key_ids)
                size = backup_file.write_entry(writer, OBJECT_PREFIX + key, chunks)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                    raise BackupError(f"S3 read failed ({error.response.get('Error', {}).get('Code')})") from None
                # Deleted after the snapshot (attachment delete): restore marks its row deleted.
                missing.append({"key": key, "attachment_id": attachment_id})
                continue
            objects[key] = {"sha256": digest.hexdigest(), "size": size, "attachment_id": attachment_id}
        known = {item["client_id"] for item in snapshot.erased_ids}
        erased = snapshot.erased_ids + [item.as_json() for item in erasure_list.read(data_dir)
                                        if str(item.client_id) not in known]
        manifest = {
            "format": FORMAT,
            "app_version": app_version(),
            "alembic_revision": snapshot.revision,
            "created_at": moment.astimezone(UTC).isoformat(),
            "postgres_major": snapshot.server_major,
            "row_counts": snapshot.counts,
            "database": {"sha256": dump_digest.hexdigest(), "size": dump_size},
            "objects": objects,
            "objects_missing": missing,
            "erased_clients": erased,
        }
        backup_file.write_entry(writer, MANIFEST_ENTRY, [json.dumps(manifest, indent=1).encode()])
        backup_file.write_end(writer)
        writer.close()
        out.flush()
        os.fsync(out.fileno())
    say(f"{len(objects)} objects stored" + (f", {len(missing)} deleted during the backup" if missing else ""))
    return manifest
