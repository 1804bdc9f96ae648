"""Erasing a client: owner only, typed name, a listed reason, refused under a legal hold;
afterwards no row, object, log line or pg_dump holds the client's canaries or ciphertexts,
the other clients are untouched, and restoring an older backup keeps the client erased."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlmodel import select

import pazpaz.models as m
from bench.practice_seed import seed_practice
from pazpaz.services import attachments, clients, crypto, erasure, erasure_list, plans, soap_notes
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import system_session
from pazpaz.services.storage import s3_client
from pazpaz.settings import get_settings
from tests.integration.test_backup_restore import (
    decrypted_values,
    make_backup,
    run_restore,
    wipe_and_target,
)
from tests.integration.test_backup_restore import (
    env as env,
)
from tests.integration.test_encryption import pg_dump
from tests.support.factories import make_assistant, make_workspace

CANARY = "ERASECANARY9"


def canary_client(owner) -> uuid.UUID:
    client_id = clients.create_client(owner, ClientInput(
        first_name=f"{CANARY}First", last_name=f"{CANARY}Last", email=f"{CANARY.lower()}@example.com",
        phone="+1 555 0199", address=f"{CANARY} street", intake_notes=f"{CANARY} intake"))
    note = soap_notes.create_for_client(owner, client_id)
    lock = soap_notes.finalize(owner, note, {"subjective": f"{CANARY} s1"}, 1)
    soap_notes.amend(owner, note, {"subjective": f"{CANARY} s2"}, "typo", lock)
    plans.save_summary(owner, client_id, f"{CANARY} plan")
    goal = plans.add_goal(owner, client_id, f"{CANARY} goal")
    plans.add_milestone(owner, goal, f"{CANARY} milestone", progress_note=f"{CANARY} progress")
    attachments.store(owner, client_id, f"{CANARY}.pdf", b"%PDF-1.4\n% " + CANARY.encode() + b"\n%%EOF\n")
    return client_id


def client_blobs(client_id: uuid.UUID) -> list[bytes]:
    """Every ciphertext of this client (its row and its notes, versions, plan, files)."""
    with system_session() as session:
        rows = [session.get(m.Client, client_id)]
        notes = session.exec(select(m.SoapNote).where(m.SoapNote.client_id == client_id)).all()
        rows += notes + session.exec(select(m.SoapNoteVersion).where(
            m.SoapNoteVersion.note_id.in_([n.id for n in notes]))).all()
        rows += session.exec(select(m.Attachment).where(m.Attachment.client_id == client_id)).all()
        rows += session.exec(select(m.PlanOfCare).where(m.PlanOfCare.client_id == client_id)).all()
    return [blob for row in rows for name, blob in row.__dict__.items() if name.endswith("_enc") and blob]


def decrypted_objects() -> list[bytes]:
    s3 = get_settings().s3
    client = s3_client(s3)
    out = []
    with system_session() as session:
        for row in session.exec(select(m.Attachment)).all():
            body = client.get_object(Bucket=s3.bucket, Key=row.s3_key)["Body"].read()
            key = crypto.data_key(session, row.workspace_id, crypto.object_key_id(body))
            out.append(crypto.decrypt_object(key, row.workspace_id, row.s3_key, body))
    return out


def all_keys() -> set[str]:
    s3 = get_settings().s3
    return {item["Key"] for item in s3_client(s3).list_objects_v2(Bucket=s3.bucket).get("Contents", [])}


def test_erasure_leaves_no_row_object_log_or_dump(env, caplog):
    caplog.set_level(logging.DEBUG)
    owner = make_workspace()
    keep = seed_practice(owner, clients_count=2, appointments=4, notes=2, photos=1)
    other_practice = make_workspace()
    seed_practice(other_practice, clients_count=1, appointments=1, notes=1, photos=1, tag="O")
    client_id = canary_client(owner)
    blobs = client_blobs(client_id)
    assert len(blobs) >= 10 and any(CANARY.encode() in body for body in decrypted_objects())  # controls
    assistant = make_assistant(owner)
    before = decrypted_values()
    keys_before = all_keys()

    with pytest.raises(NotFound):
        erasure.erase_client(assistant, client_id, f"{CANARY}First {CANARY}Last", "client_request")
    with pytest.raises(NotFound):
        erasure.erase_client(other_practice, client_id, f"{CANARY}First {CANARY}Last", "client_request")
    with pytest.raises(ValidationFailed, match="full name"):
        erasure.erase_client(owner, client_id, f"{CANARY}First", "client_request")
    with pytest.raises(ValidationFailed, match="reason"):
        erasure.erase_client(owner, client_id, f"{CANARY}First {CANARY}Last", "because")
    erasure.set_legal_hold(owner, client_id, f"{CANARY} court case 12")
    assert erasure.legal_hold(owner, client_id) == f"{CANARY} court case 12"
    with pytest.raises(ServiceError, match="legal hold"):
        erasure.erase_client(owner, client_id, f"{CANARY}First {CANARY}Last", "client_request")
    erasure.set_legal_hold(owner, client_id, None)

    counts = erasure.erase_client(owner, client_id, f"  {CANARY.lower()}first   {CANARY}LAST ", "client_request")
    assert counts["clients"] == 1 and counts["soap_note_versions"] == 2 and counts["milestones"] == 1

    values = decrypted_values()
    assert not [v for v in values.values() if v and CANARY in v]
    assert all(values[key] == before[key] for key in values)  # everyone else's data untouched
    removed = {key for key in before if key not in values}
    assert {key[0] for key in removed} == {"clients", "soap_notes", "soap_note_versions", "attachments",
                                           "plans_of_care", "goals", "milestones"}
    assert any(key == ("clients", "first_name_enc", client_id) for key in removed)
    assert not any(CANARY.encode() in body for body in decrypted_objects())
    gone = keys_before - all_keys()
    assert len(gone) == 1 and all(str(owner.workspace_id) in key for key in gone)
    dump = pg_dump(get_settings().database_url)
    assert CANARY not in dump and str(client_id) in dump  # the audit rows keep the id, nothing else
    assert not [blob for blob in blobs if blob.hex() in dump]
    assert not [r.getMessage() for r in caplog.records if CANARY in r.getMessage() or CANARY.lower() in
                r.getMessage()]
    with system_session() as session:
        erased = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "client.erased")).one()
        for table in (m.Appointment, m.SoapNote, m.Attachment, m.PlanOfCare):
            assert session.exec(select(table).where(table.client_id == client_id)).first() is None
    assert erased.entity_id == client_id and erased.details["reason"] == "client_request"
    assert CANARY not in str(erased.details)
    assert [e.client_id for e in erasure_list.read(get_settings().data_dir)] == [client_id]
    assert clients.get_client(owner, keep.clients[0]).first_name == "First0"
    with pytest.raises(NotFound):
        clients.get_client(owner, client_id)


def test_restoring_an_older_backup_keeps_the_client_erased(env, pg_server, monkeypatch, tmp_path):
    owner = make_workspace()
    keep = seed_practice(owner, clients_count=1, appointments=1, notes=1, photos=1)
    client_id = canary_client(owner)
    old = make_backup(env, tmp_path / "b").path  # taken before the erasure
    erasure.erase_client(owner, client_id, f"{CANARY}First {CANARY}Last", "client_request")

    target = wipe_and_target(pg_server, monkeypatch)  # data/ keeps secrets and erasures.json
    summary = run_restore(old, target)

    assert summary.erased_again == 1 and summary.clients == 1
    with pytest.raises(NotFound):
        clients.get_client(owner, client_id)
    assert clients.get_client(owner, keep.clients[0]).first_name == "First0"
    assert not [v for v in decrypted_values().values() if v and CANARY in v]
    assert not any(CANARY.encode() in body for body in decrypted_objects())
    assert CANARY not in pg_dump(get_settings().database_url)
    with system_session() as session:
        again = session.exec(select(m.AuditEvent).where(m.AuditEvent.action == "client.erased_again")).one()
    assert again.entity_id == client_id
    # A backup made after the erasure carries the erasure in its manifest, even without the list.
    newer = make_backup(target.owner_url, tmp_path / "c")
    assert [item["client_id"] for item in newer.manifest["erased_clients"]] == [str(client_id)]
