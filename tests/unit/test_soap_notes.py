"""SOAP notes: autosave with optimistic locking, finalize, amendments, history, roles."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from pazpaz.models import Appointment, SoapNoteVersion
from pazpaz.services import appointments, clients, clock, soap_notes
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import system_session
from pazpaz.services.soap_notes import StaleNote, content_hash
from tests.support.factories import make_assistant, make_workspace

BERLIN = ZoneInfo("Europe/Berlin")
# The visit below (1 Dec 2026, 10:00-11:00 Berlin) has started at this moment.
DURING_THE_VISIT = datetime(2026, 12, 1, 10, 30, tzinfo=BERLIN)
TEXT = {"subjective": "Neck pain 6/10", "objective": "Reduced rotation", "assessment": "", "plan": "Heat, stretch"}


@pytest.fixture
def visit(app_env):
    with clock.frozen(DURING_THE_VISIT):
        owner = make_workspace(time_zone="Europe/Berlin")
        client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen"))
        [appointment_id] = appointments.create_appointment(
            owner, AppointmentInput(str(client_id), "2026-12-01T10:00", "2026-12-01T11:00"))
        yield owner, client_id, appointment_id


def test_opening_the_note_marks_the_appointment_attended(visit):
    owner, _, appointment_id = visit
    note_id, marked = soap_notes.open_for_appointment(owner, appointment_id)
    assert marked
    assert appointments.get_appointment(owner, appointment_id).status == "attended"
    again, marked_again = soap_notes.open_for_appointment(owner, appointment_id)
    assert again == note_id and not marked_again
    note = soap_notes.get_note(owner, note_id)
    assert note.status == "draft" and note.duration_minutes == 60 and str(note.session_date) == "2026-12-01"


def test_autosave_and_stale_save_is_refused(visit):
    owner, _, appointment_id = visit
    note_id, _ = soap_notes.open_for_appointment(owner, appointment_id)
    version = soap_notes.get_note(owner, note_id).lock_version
    tab_a = soap_notes.save_draft(owner, note_id, TEXT, version)
    assert tab_a == version + 1
    with pytest.raises(StaleNote, match="Reload"):
        soap_notes.save_draft(owner, note_id, {**TEXT, "plan": "tab B"}, version)  # tab B read the old version
    assert soap_notes.get_note(owner, note_id).sections["plan"] == "Heat, stretch"


def test_finalize_needs_content_and_creates_version_one_with_hash(visit):
    owner, _, appointment_id = visit
    note_id, _ = soap_notes.open_for_appointment(owner, appointment_id)
    version = soap_notes.get_note(owner, note_id).lock_version
    with pytest.raises(ValidationFailed):
        soap_notes.finalize(owner, note_id, {k: " " for k in TEXT}, version)
    version = soap_notes.finalize(owner, note_id, TEXT, version)
    note = soap_notes.get_note(owner, note_id)
    assert note.status == "finalized"
    [v1] = note.versions
    assert v1.number == 1 and v1.content_hash == content_hash(TEXT, note.session_date, note.duration_minutes)
    with pytest.raises(ServiceError, match="finalized"):
        soap_notes.save_draft(owner, note_id, {**TEXT, "plan": "silent change"}, version)
    with pytest.raises(ServiceError, match="finalized session note"):
        appointments.set_status(owner, appointment_id, "scheduled")


def test_amendment_needs_a_reason_and_keeps_history_with_diff(visit):
    owner, _, appointment_id = visit
    note_id, _ = soap_notes.open_for_appointment(owner, appointment_id)
    version = soap_notes.finalize(owner, note_id, TEXT, soap_notes.get_note(owner, note_id).lock_version)
    changed = {**TEXT, "assessment": "Muscle strain"}
    with pytest.raises(ValidationFailed):
        soap_notes.amend(owner, note_id, changed, "  ", version)
    soap_notes.amend(owner, note_id, changed, "Added assessment after review", version)
    note = soap_notes.get_note(owner, note_id)
    assert [v.number for v in note.versions] == [1, 2]
    assert note.versions[1].reason == "Added assessment after review"
    assert "+Muscle strain" in note.versions[1].diff  # the REST API keeps the unified diff
    assert note.versions[1].word_diff["assessment"] == [{"op": "insert", "text": "Muscle strain"}]
    assert note.sections["assessment"] == "Muscle strain"
    with system_session() as session:
        assert len(session.exec(select(SoapNoteVersion)).all()) == 2  # nothing deleted
    with pytest.raises(StaleNote):
        soap_notes.amend(owner, note_id, {**changed, "plan": "x"}, "stale tab", version)


def test_assistants_cannot_read_or_write_notes(visit):
    owner, client_id, appointment_id = visit
    note_id, _ = soap_notes.open_for_appointment(owner, appointment_id)
    assistant = make_assistant(owner)
    for call in (lambda: soap_notes.get_note(assistant, note_id),
                 lambda: soap_notes.save_draft(assistant, note_id, TEXT, 1),
                 lambda: soap_notes.open_for_appointment(assistant, appointment_id),
                 lambda: soap_notes.create_for_client(assistant, client_id),
                 lambda: soap_notes.client_notes(assistant, client_id)):
        with pytest.raises(NotFound):
            call()


def test_note_directly_on_a_client(visit):
    owner, client_id, _ = visit
    note_id = soap_notes.create_for_client(owner, client_id)
    assert soap_notes.get_note(owner, note_id).appointment_id is None
    assert [n.id for n in soap_notes.client_notes(owner, client_id)] == [note_id]
    with system_session() as session:
        assert session.exec(select(Appointment)).one().status == "scheduled"


def test_opening_a_future_appointments_note_leaves_it_scheduled_until_it_starts(app_env):
    owner = make_workspace(time_zone="Europe/Berlin")
    client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen"))
    with clock.frozen(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)):
        [appointment_id] = appointments.create_appointment(
            owner, AppointmentInput(str(client_id), "2026-12-01T10:00", "2026-12-01T11:00"))
    with clock.frozen(datetime(2026, 12, 1, 9, 59, tzinfo=BERLIN)):  # preparing, a minute before
        note_id, marked = soap_notes.open_for_appointment(owner, appointment_id)
        assert not marked
        assert appointments.get_appointment(owner, appointment_id).status == "scheduled"
    with clock.frozen(datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)):  # the session has started
        again, marked = soap_notes.open_for_appointment(owner, appointment_id)
        assert again == note_id and marked
        assert appointments.get_appointment(owner, appointment_id).status == "attended"


@pytest.mark.parametrize(("session_date", "accepted"), [
    ("1900-01-01", False), ("2000-01-01", True), ("2036-12-01", True), ("2036-12-02", False)])
def test_session_date_stays_within_the_practice_range(visit, session_date, accepted):
    owner, _, appointment_id = visit
    note_id, _ = soap_notes.open_for_appointment(owner, appointment_id)
    version = soap_notes.get_note(owner, note_id).lock_version
    if accepted:
        soap_notes.save_draft(owner, note_id, TEXT, version, session_date=session_date)
        assert str(soap_notes.get_note(owner, note_id).session_date) == session_date
        return
    with pytest.raises(ValidationFailed) as invalid:
        soap_notes.save_draft(owner, note_id, TEXT, version, session_date=session_date)
    assert invalid.value.errors == {"session_date": "Choose a date between 2000-01-01 and 2036-12-01."}
    assert str(soap_notes.get_note(owner, note_id).session_date) == "2026-12-01"
