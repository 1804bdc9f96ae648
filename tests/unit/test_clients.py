"""Clients service: validation, edit, archive, search, sort, roles and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from pazpaz.models import Appointment, AuditEvent, Client
from pazpaz.services import clients
from pazpaz.services.clients import ClientInput, ListQuery
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from pazpaz.services.scope import system_session, workspace_session
from tests.support.factories import make_assistant, make_workspace


def count_clients() -> int:
    with system_session() as session:
        return len(session.exec(select(Client)).all())


def test_create_and_read_back(app_env):
    owner = make_workspace()
    client_id = clients.create_client(owner, ClientInput(
        first_name=" Maya ", last_name="Cohen", email="maya@example.com", phone="+972 50-123-4567",
        date_of_birth="1988-04-02", address="1 Rothschild Blvd", emergency_contact="Avi 050-1111111",
        intake_notes="Lower back pain since 2024",
    ))
    view = clients.get_client(owner, client_id)
    assert (view.first_name, view.last_name, view.email) == ("Maya", "Cohen", "maya@example.com")
    assert view.intake_notes == "Lower back pain since 2024"
    assert view.date_of_birth == "1988-04-02" and not view.archived


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "first name"),
        ("email", "maya@", "email address"),
        ("phone", "call me", "phone number"),
        ("date_of_birth", "02/04/1988", "YYYY-MM-DD"),
        ("date_of_birth", "2999-01-01", "between 1900 and today"),
    ],
)
def test_validation_names_the_field_and_saves_nothing(app_env, field, value, message):
    owner = make_workspace()
    data = {"first_name": "Maya", field: value}
    with pytest.raises(ValidationFailed) as invalid:
        clients.create_client(owner, ClientInput(**data))
    assert message in invalid.value.errors[field]
    assert count_clients() == 0


def test_update_records_changed_field_names_not_values(app_env):
    owner = make_workspace()
    client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen"))
    changed = clients.update_client(owner, client_id, ClientInput(first_name="Maya", last_name="Levi",
                                                                  phone="050 1234567"))
    assert changed == ["last_name", "phone"]
    assert clients.get_client(owner, client_id).last_name == "Levi"
    with workspace_session(owner) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "client.updated")).one()
    assert event.details == {"fields": ["last_name", "phone"]}


def test_invalid_update_changes_nothing(app_env):
    owner = make_workspace()
    client_id = clients.create_client(owner, ClientInput(first_name="Maya", email="maya@example.com"))
    with pytest.raises(ValidationFailed):
        clients.update_client(owner, client_id, ClientInput(first_name="", email="broken"))
    view = clients.get_client(owner, client_id)
    assert (view.first_name, view.email) == ("Maya", "maya@example.com")


def test_archive_and_restore(app_env):
    owner = make_workspace()
    keep = clients.create_client(owner, ClientInput(first_name="Keep"))
    gone = clients.create_client(owner, ClientInput(first_name="Gone"))
    clients.set_archived(owner, gone, True)
    assert [v.id for v in clients.list_clients(owner, ListQuery()).items] == [keep]
    assert [v.id for v in clients.list_clients(owner, ListQuery(archived=True)).items] == [gone]
    clients.set_archived(owner, gone, False)
    assert len(clients.list_clients(owner, ListQuery()).items) == 2


def test_search_past_a_thousand_clients(app_env):
    owner = make_workspace()
    clients.import_clients(owner, [
        ClientInput(first_name=f"First{i:04d}", last_name=f"Surname{i:04d}", phone=f"050-{i:07d}",
                    email=f"c{i}@example.com")
        for i in range(1500)
    ])
    target = clients.create_client(owner, ClientInput(first_name="Noa", last_name="Ben-Haim",
                                                      phone="+972 52 987 6543", email="noa.bh@example.org"))
    by_surname = clients.list_clients(owner, ListQuery(search="ben-h"))
    assert [v.id for v in by_surname.items] == [target]
    by_case = clients.list_clients(owner, ListQuery(search="BEN-HAIM"))
    assert [v.id for v in by_case.items] == [target]
    by_phone = clients.list_clients(owner, ListQuery(search="987-6543"))
    assert [v.id for v in by_phone.items] == [target]
    by_email = clients.list_clients(owner, ListQuery(search="noa.bh@"))
    assert [v.id for v in by_email.items] == [target]
    late = clients.list_clients(owner, ListQuery(search="surname1499"))
    assert [v.last_name for v in late.items] == ["Surname1499"]
    everyone = clients.list_clients(owner, ListQuery(page=61, page_size=25))
    assert everyone.total == 1501 and everyone.pages == 61 and len(everyone.items) == 1


def test_sort_by_last_visit(app_env):
    owner = make_workspace()
    never = clients.create_client(owner, ClientInput(first_name="Aaron", last_name="Never"))
    old = clients.create_client(owner, ClientInput(first_name="Bella", last_name="Old"))
    recent = clients.create_client(owner, ClientInput(first_name="Carl", last_name="Recent"))
    now = datetime(2026, 11, 1, 9, tzinfo=UTC)
    with workspace_session(owner) as session:
        for client_id, days in ((old, 60), (recent, 2)):
            session.add(Appointment(workspace_id=owner.workspace_id, client_id=client_id, status="attended",
                                    starts_at=now - timedelta(days=days),
                                    ends_at=now - timedelta(days=days) + timedelta(hours=1)))
    ordered = clients.list_clients(owner, ListQuery(sort="last_visit")).items
    assert [v.id for v in ordered] == [recent, old, never]
    assert [v.id for v in clients.list_clients(owner, ListQuery(sort="name")).items] == [never, old, recent]
    with pytest.raises(ValidationFailed):
        clients.list_clients(owner, ListQuery(sort="age"))


def test_list_writes_one_read_event(app_env):
    owner = make_workspace()
    for name in ("A", "B", "C"):
        clients.create_client(owner, ClientInput(first_name=name))
    clients.list_clients(owner, ListQuery(search="a"))
    with workspace_session(owner) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "client.listed")).all()
    assert len(events) == 1
    assert events[0].details == {"count": 1, "searched": True, "archived": False}


def test_assistant_sees_contact_details_not_intake_notes(app_env):
    owner = make_workspace()
    assistant = make_assistant(owner)
    client_id = clients.create_client(owner, ClientInput(first_name="Maya", phone="050 1234567",
                                                         intake_notes="Clinical history"))
    view = clients.get_client(assistant, client_id)
    assert view.phone == "050 1234567"
    assert view.intake_notes is None
    assert all(v.intake_notes is None for v in clients.list_clients(assistant, ListQuery()).items)
    with pytest.raises(ServiceError):
        clients.update_client(assistant, client_id, ClientInput(first_name="Maya", intake_notes="changed"))
    # An assistant's contact edit leaves the clinical notes untouched.
    clients.update_client(assistant, client_id, ClientInput(first_name="Maya", phone="050 7654321"))
    assert clients.get_client(owner, client_id).intake_notes == "Clinical history"


def test_import_is_all_or_nothing(app_env):
    owner = make_workspace()
    with pytest.raises(ValidationFailed):
        clients.import_clients(owner, [ClientInput(first_name="Ok"), ClientInput(first_name="", email="x")])
    assert count_clients() == 0
    assert len(clients.import_clients(owner, [ClientInput(first_name="A"), ClientInput(first_name="B")])) == 2


def test_unknown_client_is_not_found(app_env):
    import uuid

    owner = make_workspace()
    with pytest.raises(NotFound):
        clients.get_client(owner, uuid.uuid4())
