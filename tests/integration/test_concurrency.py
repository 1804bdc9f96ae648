"""Simultaneous writes against real PostgreSQL, from real threads.

Of N simultaneous bookings of one slot exactly one succeeds and the rest get the ordinary
conflict warning, on every path that books (create, series, edit, move, restore); several
tabs opening one appointment's note or starting one client's plan share one row.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from pazpaz.db import get_engine
from pazpaz.models import AuditEvent, Goal, PlanOfCare, SoapNote
from pazpaz.services import appointments, clients, clock, plans, soap_notes
from pazpaz.services.appointments import AppointmentInput, ConflictsFound
from pazpaz.services.clients import ClientInput
from pazpaz.services.recurrence import Recurrence
from pazpaz.services.scope import workspace_session
from tests.support.factories import make_workspace

THREADS = 8
BERLIN = ZoneInfo("Europe/Berlin")
# All appointments below are on 1-2 Dec 2026; "now" is the afternoon of 1 Dec (Berlin).
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=BERLIN)
SLOT = ("2026-12-01T10:00", "2026-12-01T11:00")


def race(count: int, call: Callable[[int], object]) -> list[object]:
    """Run call(0..count-1) in count threads released together; each result or raised exception."""
    barrier = threading.Barrier(count)

    def run(index: int) -> object:
        barrier.wait(timeout=120)  # a guard against a hang, not a timing assertion
        try:
            return call(index)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def outcome(results: list[object]) -> tuple[int, int]:
    """(successes, conflict refusals); anything else fails the test."""
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ConflictsFound)]
    assert not unexpected, unexpected
    refused = sum(isinstance(r, ConflictsFound) for r in results)
    return len(results) - refused, refused


def overlapping_active_pairs() -> int:
    with get_engine().connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM appointments a JOIN appointments b "
            "ON a.workspace_id = b.workspace_id AND a.id < b.id "
            "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
            "WHERE a.status IN ('scheduled', 'confirmed', 'attended') "
            "AND b.status IN ('scheduled', 'confirmed', 'attended')"
        )).scalar_one()


@pytest.fixture
def practice(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(time_zone="Europe/Berlin")
        client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen"))
        yield owner, str(client_id)


def _book(owner, client_id: str, start: str, end: str) -> uuid.UUID:
    [appointment_id] = appointments.create_appointment(owner, AppointmentInput(client_id, start, end))
    return appointment_id


def _spread(owner, client_id: str) -> list[uuid.UUID]:
    """THREADS appointments on 2 Dec, one per hour from 08:00: none overlaps another or SLOT."""
    return [_book(owner, client_id, f"2026-12-02T{8 + i:02d}:00", f"2026-12-02T{9 + i:02d}:00")
            for i in range(THREADS)]


def test_simultaneous_bookings_of_one_slot_one_wins(practice):
    owner, client_id = practice
    results = race(THREADS, lambda _: appointments.create_appointment(owner, AppointmentInput(client_id, *SLOT)))
    assert outcome(results) == (1, THREADS - 1)
    assert overlapping_active_pairs() == 0


def test_simultaneous_series_sharing_a_slot_one_wins(practice):
    owner, client_id = practice
    results = race(THREADS, lambda _: appointments.create_appointment(
        owner, AppointmentInput(client_id, *SLOT), recurrence=Recurrence(count=3)))
    assert outcome(results) == (1, THREADS - 1)
    assert overlapping_active_pairs() == 0
    assert [len(r) for r in results if isinstance(r, list)] == [3]


def test_simultaneous_moves_into_one_slot_one_wins(practice):
    owner, client_id = practice
    ids = _spread(owner, client_id)
    results = race(THREADS, lambda i: appointments.move_appointment(owner, ids[i], *SLOT))
    assert outcome(results) == (1, THREADS - 1)
    assert overlapping_active_pairs() == 0


def test_simultaneous_edits_into_one_slot_one_wins(practice):
    owner, client_id = practice
    ids = _spread(owner, client_id)
    results = race(THREADS, lambda i: appointments.update_appointment(
        owner, ids[i], AppointmentInput(client_id, *SLOT)))
    assert outcome(results) == (1, THREADS - 1)
    assert overlapping_active_pairs() == 0


def test_simultaneous_restores_of_cancelled_bookings_one_wins(practice):
    owner, client_id = practice
    ids = []
    for _ in range(THREADS):  # each cancelled before the next is booked: no overlap, no override
        ids.append(_book(owner, client_id, *SLOT))
        appointments.set_status(owner, ids[-1], "cancelled")
    results = race(THREADS, lambda i: appointments.set_status(owner, ids[i], "scheduled"))
    assert outcome(results) == (1, THREADS - 1)
    assert overlapping_active_pairs() == 0


def test_a_moved_booking_and_a_new_one_cannot_both_take_a_slot(practice):
    owner, client_id = practice
    ids = _spread(owner, client_id)[: THREADS // 2]
    results = race(THREADS, lambda i: appointments.move_appointment(owner, ids[i], *SLOT) if i < len(ids)
                   else appointments.create_appointment(owner, AppointmentInput(client_id, *SLOT)))
    assert outcome(results) == (1, THREADS - 1)
    assert overlapping_active_pairs() == 0


def _count(model, *where) -> int:
    with get_engine().connect() as connection:
        return connection.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_tabs_opening_one_appointments_note_share_one_draft(practice):
    owner, client_id = practice
    appointment_id = _book(owner, client_id, *SLOT)  # started before NOW: opening marks it attended
    tabs = 4
    results = race(tabs, lambda _: soap_notes.open_for_appointment(owner, appointment_id))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({note_id for note_id, _ in results}) == 1
    assert sum(marked for _, marked in results) == 1
    assert _count(SoapNote, SoapNote.appointment_id == appointment_id) == 1
    assert _count(AuditEvent, AuditEvent.action == "soap_note.created") == 1
    assert _count(AuditEvent, AuditEvent.action == "appointment.status_changed") == 1


def test_simultaneous_autosaves_of_one_version_one_wins(practice):
    """Tabs saving the same draft version at once (the autosave's one compare-and-set UPDATE):
    one is stored whole, the others are told the note changed; nothing is mixed."""
    owner, client_id = practice
    appointment_id = _book(owner, client_id, *SLOT)
    with clock.frozen(NOW):
        note_id, _ = soap_notes.open_for_appointment(owner, appointment_id)
        version = soap_notes.get_note(owner, note_id).lock_version
        texts = [{"subjective": f"tab {i} subjective", "plan": f"tab {i} plan"} for i in range(THREADS)]
        results = race(THREADS, lambda i: soap_notes.save_draft(owner, note_id, texts[i], version,
                                                                duration_minutes=str(30 + i)))
        unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, soap_notes.StaleNote)]
        assert not unexpected, unexpected
        winners = [i for i, r in enumerate(results) if r == version + 1]
        assert len(winners) == 1 and sum(isinstance(r, soap_notes.StaleNote) for r in results) == THREADS - 1
        note = soap_notes.get_note(owner, note_id)
    assert note.lock_version == version + 1
    assert note.sections == {"subjective": texts[winners[0]]["subjective"], "objective": "", "assessment": "",
                             "plan": texts[winners[0]]["plan"]}
    assert note.duration_minutes == 30 + winners[0]
    assert _count(AuditEvent, AuditEvent.action == "soap_note.draft_saved") == 1


def test_first_goals_added_at_once_share_one_plan(practice):
    owner, client_id = practice
    tabs = 4
    results = race(tabs, lambda i: plans.add_goal(owner, uuid.UUID(client_id), f"Goal {i}"))
    assert not [r for r in results if isinstance(r, Exception)], results
    with workspace_session(owner) as session:
        [plan_id] = session.exec(select(PlanOfCare.id)).all()
        assert set(session.exec(select(Goal.plan_id)).all()) == {plan_id}
    assert _count(Goal) == tabs
    assert _count(AuditEvent, AuditEvent.action == "plan_of_care.created") == 1
    assert len(plans.get_plan(owner, uuid.UUID(client_id)).goals) == tabs
