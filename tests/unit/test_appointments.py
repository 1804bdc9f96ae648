"""Appointments: booking, conflicts, status flow, recurrence and series edits."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from pazpaz.models import AuditEvent, SoapNote
from pazpaz.services import appointments, catalog, clients, clock
from pazpaz.services.appointments import AppointmentInput, ConflictsFound
from pazpaz.services.catalog import LocationInput, ServiceInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.recurrence import Recurrence
from pazpaz.services.scope import workspace_session
from tests.support.factories import make_workspace

BERLIN = ZoneInfo("Europe/Berlin")
# "Now" for these tests: the bookable range is 2000-01-01 .. 2036-11-20 (10 years ahead).
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=BERLIN)


@pytest.fixture
def practice(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(time_zone="Europe/Berlin")
        client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen",
                                                             address="5 Linden St"))
        service_id = catalog.save_service(owner, ServiceInput("Massage", "60", "80"))
        home_id = catalog.save_location(owner, LocationInput("Home visit", "home"))
        yield owner, str(client_id), str(service_id), str(home_id)


def test_duration_defaults_from_service_and_home_uses_client_address(practice):
    owner, client_id, service_id, home_id = practice
    [appointment_id] = appointments.create_appointment(owner, AppointmentInput(
        client_id=client_id, start="2026-12-01T10:00", service_id=service_id, location_id=home_id, notes="Ring twice"))
    view = appointments.get_appointment(owner, appointment_id)
    assert view.starts_at == datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
    assert view.ends_at - view.starts_at == timedelta(minutes=60)
    assert view.where == "5 Linden St" and view.notes == "Ring twice"
    assert view.client_name == "Maya Cohen" and view.service_name == "Massage"


def test_a_read_opens_each_clients_name_once(practice, monkeypatch):
    from pazpaz.services import crypto

    owner, client_id, service_id, _ = practice
    other = str(clients.create_client(owner, ClientInput(first_name="Noa", last_name="Levi")))
    for day, who in ((1, client_id), (2, other), (8, client_id), (15, client_id)):
        appointments.create_appointment(owner, AppointmentInput(client_id=who, start=f"2026-12-{day:02d}T10:00",
                                                                service_id=service_id))
    opened: list[str] = []
    real = crypto.opened_text

    def counted(session, workspace_id, table, column, row_id, blob):
        opened.append(column)
        return real(session, workspace_id, table, column, row_id, blob)

    monkeypatch.setattr(crypto, "opened_text", counted)
    views = appointments.schedule(owner, date(2026, 11, 30), days=28)

    assert [view.client_name for view in views] == ["Maya Cohen", "Noa Levi", "Maya Cohen", "Maya Cohen"]
    assert sorted(opened) == ["first_name_enc", "first_name_enc", "last_name_enc", "last_name_enc"]


@pytest.mark.parametrize(("data", "field"), [
    ({"start": ""}, "start"),
    ({"start": "2026-12-01T10:00", "end": "2026-12-01T09:00"}, "end"),
    ({"start": "2026-12-01T10:00", "end": "2026-12-02T10:00"}, "end"),
    ({"start": "2026-12-01T10:00"}, "end"),
    ({"start": "2026-12-01T10:00", "end": "2026-12-01T11:00", "client_id": "nope"}, "client_id"),
])
def test_validation(practice, data, field):
    owner, client_id, _, _ = practice
    with pytest.raises(ValidationFailed) as invalid:
        appointments.create_appointment(owner, AppointmentInput(**{"client_id": client_id, **data}))
    assert field in invalid.value.errors


def test_conflict_is_a_warning_that_can_be_overridden_and_is_audited(practice):
    owner, client_id, _, _ = practice
    [first] = appointments.create_appointment(
        owner, AppointmentInput(client_id, "2026-12-01T10:00", "2026-12-01T11:00"))
    # Back-to-back is fine.
    appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T11:00", "2026-12-01T12:00"))
    with pytest.raises(ConflictsFound) as found:
        appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T10:30", "2026-12-01T11:30"))
    assert {c.client_initials for c in found.value.conflicts} == {"M.C."}
    assert len(found.value.conflicts) == 2
    live = appointments.check_times(owner, "2026-12-01T10:30", "2026-12-01T10:45")
    assert [c.appointment_id for c in live] == [first]
    [forced] = appointments.create_appointment(
        owner, AppointmentInput(client_id, "2026-12-01T10:30", "2026-12-01T11:30"), override=True)
    with workspace_session(owner) as session:
        override = session.exec(select(AuditEvent).where(AuditEvent.action == "appointment.conflict_override")).one()
    assert override.entity_id == forced and str(first) in override.details["conflicting"]


def test_cancelled_appointments_do_not_conflict_and_restoring_rechecks(practice):
    owner, client_id, _, _ = practice
    [first] = appointments.create_appointment(
        owner, AppointmentInput(client_id, "2026-12-01T10:00", "2026-12-01T11:00"))
    appointments.set_status(owner, first, "cancelled")
    appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T10:00", "2026-12-01T11:00"))
    with pytest.raises(ConflictsFound):
        appointments.set_status(owner, first, "scheduled")


def test_status_flow_and_refusals(practice):
    owner, client_id, _, _ = practice
    [a] = appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T10:00", "2026-12-01T11:00"))
    appointments.set_status(owner, a, "confirmed")
    appointments.set_status(owner, a, "no_show")
    appointments.set_status(owner, a, "scheduled")  # a correction
    appointments.set_status(owner, a, "attended")
    with workspace_session(owner) as session:
        session.add(SoapNote(workspace_id=owner.workspace_id, client_id=uuid.UUID(client_id), appointment_id=a,
                             status="finalized"))
    with pytest.raises(ServiceError, match="finalized session note"):
        appointments.set_status(owner, a, "scheduled")
    [b] = appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-02T10:00", "2026-12-02T11:00"))
    appointments.set_status(owner, b, "cancelled")
    with pytest.raises(ServiceError, match="can't be marked attended"):
        appointments.set_status(owner, b, "attended")


def test_weekly_series_dst_correct_and_this_and_following(practice):
    owner, client_id, _, _ = practice
    # Berlin leaves summer time on 2026-10-25: 10:00 local must stay 10:00 local.
    ids = appointments.create_appointment(owner, AppointmentInput(client_id, "2026-10-13T10:00", "2026-10-13T11:00"),
                                          recurrence=Recurrence(count=6))
    assert len(ids) == 6
    views = appointments.schedule(owner, date(2026, 10, 12), days=42)
    assert [v.starts_at.hour for v in views] == [10] * 6
    assert views[1].starts_at.utcoffset() != views[-1].starts_at.utcoffset()
    # Move the 4th to 14:00, this and following: the last 3 move, the first 3 stay.
    fourth = views[3]
    appointments.update_appointment(owner, fourth.id, AppointmentInput(
        client_id, fourth.starts_at.strftime("%Y-%m-%dT14:00"), fourth.starts_at.strftime("%Y-%m-%dT15:00")),
        scope="following")
    hours = [v.starts_at.hour for v in appointments.schedule(owner, date(2026, 10, 12), days=42)]
    assert hours == [10, 10, 10, 14, 14, 14]
    appointments.set_status(owner, views[0].id, "cancelled", scope="all")
    statuses = {v.status for v in appointments.schedule(owner, date(2026, 10, 12), days=42)}
    assert statuses == {"cancelled"}


def test_series_conflicts_are_listed_for_every_occurrence(practice):
    owner, client_id, _, _ = practice
    appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-08T10:30", "2026-12-08T11:00"))
    appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-22T09:30", "2026-12-22T10:15"))
    with pytest.raises(ConflictsFound) as found:
        appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T10:00", "2026-12-01T11:00"),
                                        recurrence=Recurrence(until=date(2026, 12, 29)))
    assert len(found.value.conflicts) == 2
    assert len(appointments.schedule(owner, date(2026, 11, 30), days=35)) == 2  # nothing half-written


def test_move_goes_through_the_conflict_check(practice):
    owner, client_id, _, _ = practice
    [a] = appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T10:00", "2026-12-01T11:00"))
    [b] = appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T12:00", "2026-12-01T13:00"))
    with pytest.raises(ConflictsFound):
        appointments.move_appointment(owner, b, "2026-12-01T10:30", "2026-12-01T11:30")
    appointments.move_appointment(owner, b, "2026-12-01T11:00", "2026-12-01T12:00")  # back-to-back
    assert appointments.get_appointment(owner, b).starts_at.hour == 11
    appointments.move_appointment(owner, a, "2026-12-01T10:30", "2026-12-01T11:30", override=True)


def test_catalog_validation_and_deactivation(app_env):
    owner = make_workspace()
    with pytest.raises(ValidationFailed) as invalid:
        catalog.save_service(owner, ServiceInput("", "3", "-1"))
    assert set(invalid.value.errors) == {"name", "duration_minutes", "price"}
    with pytest.raises(ValidationFailed) as invalid:
        catalog.save_location(owner, LocationInput("Studio", "clinic", video_link="http://x"))
    assert set(invalid.value.errors) == {"address", "video_link"}
    service_id = catalog.save_service(owner, ServiceInput("Physio", "45", "70.5"))
    assert catalog.list_services(owner)[0].price == "70.50"
    catalog.set_service_active(owner, service_id, False)
    assert catalog.list_services(owner) == []
    assert len(catalog.list_services(owner, include_inactive=True)) == 1
    with pytest.raises(NotFound):
        catalog.set_service_active(make_workspace(), service_id, True)


@pytest.mark.parametrize(("start", "accepted"), [
    ("1900-01-01T10:00", False),
    ("1999-12-31T10:00", False),
    ("2000-01-01T10:00", True),  # old records can be entered
    ("2036-11-20T10:00", True),  # 10 years ahead of NOW, to the day
    ("2036-11-21T10:00", False),
    ("9999-01-01T10:00", False),
])
def test_appointment_dates_stay_within_the_practice_range(practice, start, accepted):
    owner, client_id, _, _ = practice
    data = AppointmentInput(client_id, start, duration_minutes="60")
    if accepted:
        appointments.create_appointment(owner, data)
        return
    with pytest.raises(ValidationFailed) as invalid:
        appointments.create_appointment(owner, data)
    assert invalid.value.errors == {"start": "Choose a date between 2000-01-01 and 2036-11-20."}


def test_moves_edits_and_series_cannot_leave_the_range(practice):
    owner, client_id, _, _ = practice
    [a] = appointments.create_appointment(owner, AppointmentInput(client_id, "2026-12-01T10:00", "2026-12-01T11:00"))
    with pytest.raises(ValidationFailed) as invalid:
        appointments.move_appointment(owner, a, "1900-01-01T10:00")
    assert "start" in invalid.value.errors
    with pytest.raises(ValidationFailed) as invalid:
        appointments.update_appointment(owner, a, AppointmentInput(client_id, "2037-01-05T10:00", "2037-01-05T11:00"))
    assert "start" in invalid.value.errors
    # A weekly series starting inside the range whose later occurrences would fall outside it.
    with pytest.raises(ValidationFailed) as invalid:
        appointments.create_appointment(owner, AppointmentInput(client_id, "2036-10-01T10:00", "2036-10-01T11:00"),
                                        recurrence=Recurrence(interval_weeks=2, count=10))
    assert "count" in invalid.value.errors
    assert appointments.get_appointment(owner, a).starts_at == datetime(2026, 12, 1, 10, tzinfo=BERLIN)
    assert appointments.schedule(owner, date(2036, 9, 28), days=84) == []
