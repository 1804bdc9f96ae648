"""Backup and restore against real PostgreSQL and SeaweedFS: the restore drill (two practices,
backed up while another transaction writes, data wiped, restored: counts, decrypted values and
object SHA-256s match), damaged files and wrong secrets refused with nothing changed, a
non-empty target refused, a failed backup leaves no file."""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import select

from bench.practice_seed import seed_practice
from pazpaz.infra.roles import APP_ROLE
from pazpaz.launcher import run_migrations
from pazpaz.services import auth, backup, backup_file, clients, crypto, erasure
from pazpaz.services.clients import ClientInput
from pazpaz.services.encrypted_columns import ENCRYPTED_COLUMNS
from pazpaz.services.restore import Target, TargetNotEmpty, restore, what_is_there
from pazpaz.services.scope import system_session
from pazpaz.services.storage import s3_client
from pazpaz.settings import get_settings
from tests.conftest import reset_caches
from tests.support.factories import make_workspace, session_cookie
from tests.support.services import create_database


def empty_bucket() -> None:
    s3 = get_settings().s3
    client = s3_client(s3)
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=s3.bucket, Key=item["Key"])


@pytest.fixture
def env(app_env, backup_s3, monkeypatch, tmp_path):
    s3 = backup_s3.settings
    for name, value in (("S3_ENDPOINT_URL", s3.endpoint_url), ("S3_ACCESS_KEY_ID", s3.access_key_id),
                        ("S3_SECRET_ACCESS_KEY", s3.secret_access_key), ("S3_BUCKET", s3.bucket),
                        ("PAZPAZ_DATA_DIR", str(tmp_path / "data"))):
        monkeypatch.setenv(name, value)
    reset_caches()
    empty_bucket()
    return owner_url(app_env)


def owner_url(app_url: str) -> str:
    return make_url(app_url).set(username="postgres").render_as_string(hide_password=False)


def decrypted_values() -> dict[tuple[str, str, uuid.UUID], str | None]:
    """Every encrypted value of every table, decrypted through the app's crypto."""
    out = {}
    with system_session() as session:
        for model, columns in ENCRYPTED_COLUMNS.items():
            for row in session.exec(select(model)).all():
                for column in columns:
                    out[(model.__tablename__, column, row.id)] = crypto.unseal(session, row, column)
    return out


def object_digests() -> dict[str, str]:
    s3 = get_settings().s3
    client = s3_client(s3)
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket):
        for item in page.get("Contents", []):
            body = client.get_object(Bucket=s3.bucket, Key=item["Key"])["Body"].read()
            out[item["Key"]] = hashlib.sha256(body).hexdigest()
    return out


def make_backup(source_owner_url: str, folder: Path, kek: bytes | None = None) -> backup.BackupResult:
    settings = get_settings()
    return backup.create(folder, source_owner_url, settings.s3, kek or settings.kek, settings.data_dir)


def wipe_and_target(pg_server, monkeypatch) -> Target:
    """A new empty database (the old one stays, like a lost disk), an empty bucket, and the
    settings pointed at them: what a restore on a fresh machine with the secrets sees."""
    pg, _ = pg_server
    app_url = create_database(pg, None, user=APP_ROLE)
    monkeypatch.setenv("DATABASE_URL", app_url)
    reset_caches()
    empty_bucket()
    settings = get_settings()
    return Target(owner_url=owner_url(app_url), app_role=APP_ROLE, s3=settings.s3, data_dir=settings.data_dir)


def run_restore(path: Path, target: Target, **kwargs):
    return restore(path, target, get_settings().kek, migrate=run_migrations, erase_again=erasure.erase_again,
                   **kwargs)


def test_restore_drill_two_practices_backed_up_while_writing(env, pg_server, monkeypatch, tmp_path):
    first, second = make_workspace("First practice"), make_workspace("Second practice")
    cookie = session_cookie(first)
    seeded = seed_practice(first, clients_count=4, appointments=12, notes=5, photos=3, tag="A")
    seed_practice(second, clients_count=3, appointments=6, notes=3, photos=2, tag="B", seed=8)

    # Another transaction keeps writing while the backup runs.
    stop, written = threading.Event(), []

    def writer() -> None:
        while not stop.is_set():
            written.append(clients.create_client(first, ClientInput(first_name="Late", last_name=str(len(written)))))

    # And a write committed after the snapshot, while pg_dump runs, is not blocked and is not in
    # the backup: the dump and the object list are the snapshot's, not later rows.
    real_dump, during = backup._pg_dump, []

    def dump_while_writing(*args, **kwargs):
        process = real_dump(*args, **kwargs)
        during.append(clients.create_client(second, ClientInput(first_name="During", last_name="Dump")))
        return process

    monkeypatch.setattr(backup, "_pg_dump", dump_while_writing)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not written:
            stop.wait(0.01)
        result = make_backup(env, tmp_path / "backups")
    finally:
        stop.set()
        thread.join()
    assert written and during
    values, digests = decrypted_values(), object_digests()
    manifest = result.manifest
    assert manifest["alembic_revision"] and manifest["format"] == 1 and manifest["app_version"]
    assert len(manifest["objects"]) == 10  # 5 photos + 5 thumbnails
    assert {key: item["sha256"] for key, item in manifest["objects"].items()} == digests
    assert result.path.name.endswith(".pzbk") and not list(result.path.parent.glob(".*partial"))
    dump = result.path.read_bytes()
    assert b"PGDMP" not in dump and b"First practice" not in dump  # encrypted, not merely wrapped

    target = wipe_and_target(pg_server, monkeypatch)
    assert what_is_there(target) == []
    summary = run_restore(result.path, target)

    assert (summary.workspaces, summary.appointments, summary.notes, summary.files) == (2, 18, 8, 5)
    assert summary.clients == manifest["row_counts"]["clients"] >= 7
    restored = decrypted_values()
    assert restored.keys() <= values.keys()
    assert all(restored[key] == values[key] for key in restored)
    assert {key[2] for key in restored if key[0] == "clients"} >= set(seeded.clients)
    assert ("clients", "first_name_enc", during[0]) in values and ("clients", "first_name_enc", during[0]) \
        not in restored
    assert object_digests() == digests
    # The app's own role reads the restored practice through the services (grants re-applied).
    assert clients.get_client(first, seeded.clients[0]).first_name == "FirstA0"
    # Sessions of the backup's time are not revived: everyone signs in again.
    assert auth.validate_session(cookie[get_settings().session_cookie_name]) is None


def test_damaged_or_foreign_backups_are_refused_and_change_nothing(env, pg_server, monkeypatch, tmp_path):
    owner = make_workspace()
    seed_practice(owner, clients_count=1, appointments=1, notes=1, photos=1)
    good = make_backup(env, tmp_path / "b").path
    data = good.read_bytes()
    target = wipe_and_target(pg_server, monkeypatch)

    tampered = tmp_path / "tampered.pzbk"
    tampered.write_bytes(data[:200] + bytes([data[200] ^ 1]) + data[201:])
    truncated = tmp_path / "truncated.pzbk"
    truncated.write_bytes(data[:-300])
    for path, message in ((tampered, "damaged or was altered"), (truncated, "damaged or was altered"),
                          (tmp_path / "empty.pzbk", "not a PazPaz backup")):
        if not path.exists():
            path.write_bytes(b"")
        with pytest.raises(backup_file.Damaged, match=message):
            run_restore(path, target)
        assert what_is_there(target) == []

    with pytest.raises(backup_file.WrongSecrets, match="PAZPAZ_KEK"):
        restore(good, target, b"\x07" * 32)
    assert what_is_there(target) == []
    # A backup written with other secrets can't be opened with ours either.
    foreign = make_backup_foreign(env, tmp_path)
    with pytest.raises(backup_file.WrongSecrets):
        run_restore(foreign, target)
    assert what_is_there(target) == [] and not list(target.data_dir.glob(".restore-*"))


def make_backup_foreign(source_owner_url: str, tmp_path: Path) -> Path:
    settings = get_settings()
    return backup.create(tmp_path / "foreign", source_owner_url, settings.s3, b"\x09" * 32, settings.data_dir).path


def test_a_target_with_data_is_refused_unless_forced(env, pg_server, monkeypatch, tmp_path):
    owner = make_workspace()
    seed_practice(owner, clients_count=1, appointments=1, notes=0, photos=1)
    path = make_backup(env, tmp_path / "b").path
    settings = get_settings()
    here = Target(owner_url=env, app_role=APP_ROLE, s3=settings.s3, data_dir=settings.data_dir)
    with pytest.raises(TargetNotEmpty, match=r"1 practice\(s\).*holds 2 object"):
        run_restore(path, here)
    clients.create_client(owner, ClientInput(first_name="After", last_name="Backup"))
    summary = run_restore(path, here, force=True)
    assert summary.clients == 1  # back to the backup's state


def test_a_failed_backup_leaves_no_file(env, tmp_path):
    owner = make_workspace()
    seed_practice(owner, clients_count=1, appointments=0, notes=0, photos=1)
    settings = get_settings()
    broken = settings.s3.__class__(**{**settings.s3.__dict__, "endpoint_url": "http://127.0.0.1:9"})
    folder = tmp_path / "out"
    with pytest.raises(Exception):  # noqa: B017 - S3 unreachable: whatever botocore raises
        backup.create(folder, env, broken, settings.kek, settings.data_dir)
    assert list(folder.iterdir()) == []


def test_a_key_rotation_during_the_backup_fails_it_cleanly(env, monkeypatch, tmp_path):
    from pazpaz.services import key_rotation

    owner = make_workspace()
    seed_practice(owner, clients_count=1, appointments=0, notes=0, photos=1)
    real = backup._pg_dump

    def dump_then_rotate(*args, **kwargs):
        process = real(*args, **kwargs)
        key_rotation.rotate_all(100)  # re-seals the photo under a key the snapshot does not hold
        return process

    monkeypatch.setattr(backup, "_pg_dump", dump_then_rotate)
    with pytest.raises(backup.BackupError, match="key rotation"):
        make_backup(env, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    monkeypatch.setattr(backup, "_pg_dump", real)
    assert len(make_backup(env, tmp_path / "out").manifest["objects"]) == 2  # the next one is fine


def test_a_backup_of_an_older_schema_is_upgraded_by_restore(env, pg_server, monkeypatch, tmp_path):
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect, text

    from alembic import command
    from pazpaz.settings import PROJECT_ROOT

    pg, _ = pg_server
    old_url = owner_url(create_database(pg, None, user=APP_ROLE))
    engine = create_engine(old_url)
    with engine.connect() as connection:
        config = Config(str(PROJECT_ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")  # the schema before this branch's revision
        connection.execute(text("INSERT INTO workspaces (id, name, time_zone, settings, created_at) "
                                "VALUES (gen_random_uuid(), 'Old practice', 'UTC', '{}', now())"))
        connection.commit()
    engine.dispose()
    old = backup.create(tmp_path / "old", old_url, get_settings().s3, get_settings().kek, get_settings().data_dir)
    assert old.manifest["alembic_revision"] == "0009"

    target = wipe_and_target(pg_server, monkeypatch)
    summary = run_restore(old.path, target)
    assert summary.workspaces == 1
    engine = create_engine(target.owner_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() != "0009"
        assert "legal_hold" in {c["name"] for c in inspect(connection).get_columns("clients")}
    engine.dispose()
