"""Restore one backup file into an empty database and bucket.

Order matters for "a bad file changes nothing": the whole file is decrypted and checked
first (every segment's tag, the end marker, the dump's and every object's SHA-256 against
the manifest) into a private staging folder; only then is the target checked for emptiness
and written. After pg_restore (as the owner role), row counts are compared with the
manifest, migrations bring an older schema up to date (re-granting the app role), objects
are uploaded and read back against their SHA-256, and erased clients are erased again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from pazpaz.infra import pgtools
from pazpaz.services import backup_file, erasure_list
from pazpaz.services.backup import DUMP_ENTRY, FORMAT, MANIFEST_ENTRY, OBJECT_PREFIX
from pazpaz.services.storage import s3_client
from pazpaz.settings import S3Settings

Progress = Callable[[str], None]


class RestoreError(Exception):
    """Restore refused or failed; the message is for the person running it. `changed` says
    whether the target was already written to when it failed."""

    def __init__(self, message: str, changed: bool = False) -> None:
        super().__init__(message)
        self.changed = changed


class TargetNotEmpty(RestoreError):
    pass


@dataclass
class Summary:
    workspaces: int = 0
    clients: int = 0
    appointments: int = 0
    notes: int = 0
    files: int = 0
    erased_again: int = 0
    manifest: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"Restored {self.workspaces} practice(s): {self.clients} clients, {self.appointments} appointments, "
                f"{self.notes} notes, {self.files} files.",
                f"Backup made {self.manifest.get('created_at', '?')} by PazPaz {self.manifest.get('app_version', '?')} "
                f"(schema {self.manifest.get('alembic_revision', '?')})."] + (
                [f"{self.erased_again} erased client(s) erased again."] if self.erased_again else [])


@dataclass(frozen=True)
class Target:
    owner_url: str  # the role that owns the tables (migrations run as it)
    app_role: str | None  # re-granted after migrations
    s3: S3Settings
    data_dir: Path
    external_database: bool = False


# --- staging: decrypt and verify before anything is touched ----------------------------------

def stage(path: Path, kek: bytes, folder: Path) -> dict:
    """Decrypt the file into folder (database.dump, objects/<n>) and verify every checksum.
    Returns the manifest; raises backup_file.BackupFileError / RestoreError."""
    objects_dir = folder / "objects"
    objects_dir.mkdir()
    found: dict[str, tuple[str, int, Path]] = {}
    manifest = None
    with open(path, "rb") as source:
        for name, chunks in backup_file.read_entries(backup_file.decrypt_stream(source, kek)):
            digest, size = hashlib.sha256(), 0
            if name == MANIFEST_ENTRY:
                manifest = json.loads(b"".join(chunks))
                continue
            target = folder / DUMP_ENTRY if name == DUMP_ENTRY else objects_dir / f"{len(found):08d}"
            with open(target, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            found[name] = (digest.hexdigest(), size, target)
    if manifest is None:
        raise backup_file.Damaged("The backup file has no manifest.")
    if manifest.get("format") != FORMAT:
        raise RestoreError(f"This backup's manifest format {manifest.get('format')} is not one this version reads.")
    _verify(manifest, found)
    manifest["_staged"] = {name: str(item[2]) for name, item in found.items()}
    return manifest


def _verify(manifest: dict, found: dict[str, tuple[str, int, Path]]) -> None:
    dump = found.get(DUMP_ENTRY)
    if dump is None or dump[0] != manifest["database"]["sha256"]:
        raise backup_file.Damaged("The database dump in the backup does not match its recorded SHA-256.")
    expected = {OBJECT_PREFIX + key: item for key, item in manifest["objects"].items()}
    extra = set(found) - set(expected) - {DUMP_ENTRY}
    if extra:
        raise backup_file.Damaged(f"The backup holds {len(extra)} object(s) its manifest does not list.")
    for name, item in expected.items():
        got = found.get(name)
        if got is None:
            raise backup_file.Damaged(f"An object listed in the manifest is missing from the backup ({name}).")
        if got[0] != item["sha256"] or got[1] != item["size"]:
            raise backup_file.Damaged(f"An object does not match its recorded SHA-256 ({name}).")


# --- the target ----------------------------------------------------------------------------

def _connect(url: str):
    return psycopg2.connect(pgtools.psycopg2_dsn(url), connect_timeout=10)


def what_is_there(target: Target) -> list[str]:
    """What the target already holds, in words ([] = empty)."""
    found = []
    connection = _connect(target.owner_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = {row[0] for row in cursor.fetchall()}
            if "workspaces" in tables:
                cursor.execute("SELECT count(*) FROM workspaces")
                found.append(f"the database holds PazPaz tables with {cursor.fetchone()[0]} practice(s)")
            elif tables:
                found.append(f"the database holds {len(tables)} table(s)")
    finally:
        connection.close()
    listing = s3_client(target.s3, timeout_seconds=30.0).list_objects_v2(Bucket=target.s3.bucket, MaxKeys=1000)
    if listing.get("KeyCount", 0):
        more = "+" if listing.get("IsTruncated") else ""
        found.append(f"the bucket {target.s3.bucket!r} holds {listing['KeyCount']}{more} object(s)")
    return found


def _wipe(target: Target) -> None:
    connection = _connect(target.owner_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    finally:
        connection.close()
    client = s3_client(target.s3, timeout_seconds=60.0)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.s3.bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=target.s3.bucket, Delete={"Objects": keys, "Quiet": True})


def _pg_restore(target: Target, dump: Path, server_major: int) -> None:
    args, env = pgtools.libpq_args(target.owner_url)
    binary = pgtools.tool("pg_restore", server_major, external=target.external_database)
    done = subprocess.run([binary, *args, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                           str(dump)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["?"])[0]
        raise RestoreError(f"pg_restore failed: {first[:300]}")


def _server_major(url: str) -> int:
    connection = _connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version_num')::int / 10000")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def _counts(url: str, tables: list[str]) -> dict[str, int]:
    connection = _connect(url)
    try:
        with connection.cursor() as cursor:
            out = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM public."{table}"')
                out[table] = cursor.fetchone()[0]
            return out
    finally:
        connection.close()


def _upload(target: Target, manifest: dict, say: Progress) -> None:
    client = s3_client(target.s3, timeout_seconds=60.0)
    staged = manifest["_staged"]
    for key in manifest["objects"]:
        with open(staged[OBJECT_PREFIX + key], "rb") as body:
            client.put_object(Bucket=target.s3.bucket, Key=key, Body=body)
    say(f"{len(manifest['objects'])} objects uploaded; reading them back")
    for key, item in manifest["objects"].items():
        digest = hashlib.sha256()
        response = client.get_object(Bucket=target.s3.bucket, Key=key)["Body"]
        for chunk in response.iter_chunks(256 * 1024):
            digest.update(chunk)
        if digest.hexdigest() != item["sha256"]:
            raise RestoreError(f"An object read back from S3 does not match its SHA-256 ({key}).")


def _mark_missing_deleted(url: str, manifest: dict) -> None:
    ids = sorted({item["attachment_id"] for item in manifest.get("objects_missing", [])})
    if not ids:
        return
    connection = _connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("UPDATE attachments SET status = 'deleted', deleted_at = now() WHERE id = ANY(%s::uuid[])",
                           (ids,))
    finally:
        connection.close()


def _summary(url: str) -> Summary:
    connection = _connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT (SELECT count(*) FROM workspaces), (SELECT count(*) FROM clients), "
                           "(SELECT count(*) FROM appointments), (SELECT count(*) FROM soap_notes), "
                           "(SELECT count(*) FROM attachments WHERE status = 'complete')")
            return Summary(*cursor.fetchone())
    finally:
        connection.close()


def _apply(target: Target, manifest: dict, present: list[str], migrate, erase_again, say: Progress,
           path_size: int) -> int:
    if present:
        say("--force: removing what the target holds")
        _wipe(target)
    _pg_restore(target, Path(manifest["_staged"][DUMP_ENTRY]), _server_major(target.owner_url))
    counts = _counts(target.owner_url, list(manifest["row_counts"]))
    wrong = {table: (n, manifest["row_counts"][table]) for table, n in counts.items()
             if n != manifest["row_counts"][table]}
    if wrong:
        raise RestoreError(f"Row counts differ from the backup's manifest after pg_restore: {wrong}")
    say(f"Database restored: {sum(counts.values())} rows in {len(counts)} tables, counts match the manifest")
    if migrate is not None:
        migrate(target.owner_url, target.app_role)
    _mark_missing_deleted(target.owner_url, manifest)
    _upload(target, manifest, say)
    erased = erasure_list.parse(manifest.get("erased_clients", [])) + erasure_list.read(target.data_dir)
    again = erase_again(erased) if erase_again and erased else 0
    _remember_backup(target.owner_url, manifest, path_size)
    _end_sessions(target.owner_url)
    return again


def _end_sessions(url: str) -> None:
    """Everyone signs in again: a session signed out (or a link used) after the backup was
    taken would otherwise be alive again in the restored database."""
    connection = _connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("UPDATE auth_sessions SET revoked_at = now(), revoke_reason = 'restored' "
                           "WHERE revoked_at IS NULL")
            cursor.execute("UPDATE magic_link_tokens SET expires_at = now() WHERE used_at IS NULL "
                           "AND expires_at > now()")
    finally:
        connection.close()


def _remember_backup(url: str, manifest: dict, size: int) -> None:
    """The restored database predates its own backup's success row: record that backup as the
    last successful one, so Settings does not claim there is none."""
    connection = _connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO job_runs (kind, last_success_at, last_result, runs, failures) "
                "VALUES ('backup', %s, %s, 0, 0) ON CONFLICT (kind) DO UPDATE SET "
                "last_success_at = EXCLUDED.last_success_at, last_result = EXCLUDED.last_result",
                (manifest["created_at"], f"{size} bytes, restored from this backup"))
    finally:
        connection.close()


def restore(path: Path, target: Target, kek: bytes, *, force: bool = False,
            migrate: Callable[[str, str | None], None] | None = None,
            erase_again: Callable[[list[erasure_list.Erasure]], int] | None = None,
            progress: Progress | None = None) -> Summary:
    say = progress or (lambda line: None)
    if not path.is_file():
        raise RestoreError(f"No such backup file: {path}")
    target.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target.data_dir))  # 0700
    try:
        present = what_is_there(target)
        if present and not force:
            raise TargetNotEmpty("Refusing to restore over existing data: " + "; ".join(present)
                                 + ". Restore into an empty data folder / database, or pass --force to replace it.")
        say("Decrypting and checking the backup")
        manifest = stage(path, kek, staging)
        say(f"Backup checked: {len(manifest['objects'])} objects and the database match their SHA-256")
        try:
            again = _apply(target, manifest, present, migrate, erase_again, say, path.stat().st_size)
        except RestoreError as error:
            raise RestoreError(str(error), changed=True) from None
        except Exception as error:
            raise RestoreError(f"Restore failed while writing ({type(error).__name__}); the target is incomplete: "
                               "fix the cause and run restore again with --force.", changed=True) from error
        summary = _summary(target.owner_url)
        summary.erased_again = again
        summary.manifest = {k: v for k, v in manifest.items() if not k.startswith("_")}
        return summary
    finally:
        shutil.rmtree(staging, ignore_errors=True)
