"""Removing a file from a finalized note needs a reason and is kept in the note's history
(soap_notes.record_file_removal, via attachments.delete), against real PostgreSQL and S3."""

from __future__ import annotations

import io
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import select

from pazpaz.models import AuditEvent, SoapNoteVersion
from pazpaz.services import appointments, attachments, clients, clock, note_diff, soap_notes
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import system_session
from tests.conftest import reset_caches
from tests.support.factories import make_workspace
from tests.support.services import start_s3

ZONE = ZoneInfo("America/New_York")
DURING = datetime(2026, 12, 1, 10, 30, tzinfo=ZONE)
TEXT = {"subjective": "Knee pain", "objective": "", "assessment": "", "plan": "Ice"}
REASON = "CanaryReason attached to the wrong client"


@pytest.fixture(scope="module")
def s3_server():
    weed = start_s3("s3-note-files")
    yield weed
    weed.stop()


@pytest.fixture
def note_with_file(app_env, s3_server, monkeypatch):
    s3 = s3_server.settings
    for name, value in (("S3_ENDPOINT_URL", s3.endpoint_url), ("S3_ACCESS_KEY_ID", s3.access_key_id),
                        ("S3_SECRET_ACCESS_KEY", s3.secret_access_key), ("S3_BUCKET", s3.bucket)):
        monkeypatch.setenv(name, value)
    reset_caches()
    with clock.frozen(DURING):
        owner = make_workspace(time_zone="America/New_York")
        client_id = clients.create_client(owner, ClientInput(first_name="Lea", last_name="Files"))
        [appointment_id] = appointments.create_appointment(
            owner, AppointmentInput(str(client_id), "2026-12-01T10:00", "2026-12-01T11:00"))
        note_id, _ = soap_notes.open_for_appointment(owner, appointment_id)
        lock = soap_notes.save_draft(owner, note_id, TEXT, soap_notes.get_note(owner, note_id).lock_version)
        image = io.BytesIO()
        Image.new("RGB", (8, 8), (10, 200, 10)).save(image, format="PNG")
        file_id = attachments.store(owner, None, "knee.png", image.getvalue(), note_id)
        yield owner, note_id, file_id, lock


def test_a_drafts_file_is_removed_without_a_reason_or_history(note_with_file):
    owner, note_id, file_id, _ = note_with_file
    attachments.delete(owner, file_id)
    assert attachments.list_for(owner, None, note_id) == []
    assert soap_notes.get_note(owner, note_id).versions == []


def test_a_finalized_notes_file_needs_a_reason_kept_in_history(note_with_file):
    owner, note_id, file_id, lock = note_with_file
    lock = soap_notes.finalize(owner, note_id, TEXT, lock)
    with pytest.raises(ValidationFailed) as refused:
        attachments.delete(owner, file_id, "   ")
    assert "reason" in refused.value.errors
    assert len(attachments.list_for(owner, None, note_id)) == 1  # nothing removed

    attachments.delete(owner, file_id, REASON)
    assert attachments.list_for(owner, None, note_id) == []
    note = soap_notes.get_note(owner, note_id)
    assert [v.number for v in note.versions] == [1, 2]
    removal = note.versions[1]
    assert removal.removed_file == "knee.png" and removal.reason == REASON
    assert removal.sections == note.versions[0].sections
    assert not any(note_diff.changed(s) for s in removal.word_diff.values())
    # The page's lock_version is untouched: an amendment typed meanwhile still saves, as version 3.
    soap_notes.amend(owner, note_id, {**TEXT, "plan": "Ice, rest"}, "Added rest", lock)
    assert [v.number for v in soap_notes.get_note(owner, note_id).versions] == [1, 2, 3]
    with system_session() as session:
        row = session.exec(select(SoapNoteVersion).where(SoapNoteVersion.version_number == 2)).one()
        assert row.removed_attachment_id == file_id
        assert b"CanaryReason" not in row.amendment_reason_enc  # clinical text: encrypted
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "soap_note.file_removed")).all()
        assert len(events) == 1 and events[0].details["attachment_id"] == str(file_id)
        assert all("Canary" not in str(e.details) for e in session.exec(select(AuditEvent)).all())


def test_two_removals_at_once_record_one_history_entry(note_with_file):
    owner, note_id, file_id, lock = note_with_file
    soap_notes.finalize(owner, note_id, TEXT, lock)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def remove() -> None:
        barrier.wait()
        try:
            attachments.delete(owner, file_id, "duplicate scan")
            outcomes.append("removed")
        except NotFound:
            outcomes.append("not found")

    threads = [threading.Thread(target=remove) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["not found", "removed"]
    assert [v.number for v in soap_notes.get_note(owner, note_id).versions] == [1, 2]


def test_another_practice_cannot_remove_the_file(note_with_file):
    owner, note_id, file_id, lock = note_with_file
    soap_notes.finalize(owner, note_id, TEXT, lock)
    stranger = make_workspace()
    with pytest.raises(NotFound):
        attachments.delete(stranger, file_id, "mine now")
    assert len(attachments.list_for(owner, None, note_id)) == 1


@pytest.mark.asyncio
async def test_the_page_asks_for_a_reason_then_removes(app_env, s3_server, smtp_sink, monkeypatch):
    from pazpaz.state.files import FilesState
    from tests.unit.test_state_handlers import run_handler, signed_in_cookie, state_in_tree

    s3 = s3_server.settings
    for name, value in (("S3_ENDPOINT_URL", s3.endpoint_url), ("S3_ACCESS_KEY_ID", s3.access_key_id),
                        ("S3_SECRET_ACCESS_KEY", s3.secret_access_key), ("S3_BUCKET", s3.bucket)):
        monkeypatch.setenv(name, value)
    reset_caches()
    cookie = signed_in_cookie(smtp_sink, "files-reason@example.com")
    owner = await state_in_tree(FilesState, "/", cookie)._actor()
    client_id = clients.create_client(owner, ClientInput(first_name="Ori", last_name="Reason"))
    note_id = soap_notes.create_for_client(owner, client_id)
    image = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 10, 200)).save(image, format="PNG")
    file_id = attachments.store(owner, None, "scan.png", image.getvalue(), note_id)
    soap_notes.finalize(owner, note_id, TEXT, soap_notes.get_note(owner, note_id).lock_version)

    state = state_in_tree(FilesState, f"/notes/{note_id}", cookie)
    await run_handler(state, "load")
    await run_handler(state, "remove", str(file_id))
    assert state.removing == str(file_id) and state.removing_name == "scan.png"
    assert "Say why" in state.removal_error and len(state.files) == 1  # nothing removed yet
    await run_handler(state, "confirm_remove")  # still no reason
    assert state.removing == str(file_id) and len(state.files) == 1
    type(state).event_handlers["set_removal_reason"].fn(state, "Wrong patient's scan")  # a plain handler
    await run_handler(state, "confirm_remove")
    assert state.removing == "" and state.files == [] and "history" in state.notice
    history = soap_notes.get_note(owner, note_id).versions
    assert history[-1].removed_file == "scan.png" and history[-1].reason == "Wrong patient's scan"
