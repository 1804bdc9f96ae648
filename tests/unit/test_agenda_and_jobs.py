"""The daily agenda mail (frozen clock) and the job bookkeeping behind Settings."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from pazpaz.models import AuthSession, MagicLinkToken, User
from pazpaz.models.base import utcnow
from pazpaz.services import agenda, appointments, auth, catalog, clients, clock, crypto, jobs
from pazpaz.services.agenda import AgendaSettings
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.catalog import LocationInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import system_session
from tests.support.factories import CTX, make_assistant, make_workspace

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK)  # the day before New York's autumn DST change


def owner_address(actor) -> str:
    with system_session() as session:
        user = session.get(User, actor.user_id)
        return crypto.decrypt_field(session, user.workspace_id, "users", "email_encrypted", user.id,
                                    user.email_encrypted)


def text_of(message) -> str:
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default).get_content()


@pytest.fixture
def practice(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(name="Agenda Practice", time_zone="America/New_York")
        maya = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen", address="5 Linden St"))
        home = catalog.save_location(owner, LocationInput("Home visit", "home"))
        video = catalog.save_location(owner, LocationInput("Video", "online", video_link="https://meet.example/x"))
        # Tomorrow (the DST day): 09:00 at the client's home, 14:00 online; one cancelled.
        appointments.create_appointment(owner, AppointmentInput(str(maya), "2026-11-01T09:00", "2026-11-01T10:00",
                                                                location_id=str(home)))
        appointments.create_appointment(owner, AppointmentInput(str(maya), "2026-11-01T14:00", "2026-11-01T15:00",
                                                                location_id=str(video)))
        [gone] = appointments.create_appointment(owner, AppointmentInput(str(maya), "2026-11-01T16:00",
                                                                         "2026-11-01T17:00"))
        appointments.set_status(owner, gone, "cancelled")
        # Today and the day after tomorrow: not in the mail.
        appointments.create_appointment(owner, AppointmentInput(str(maya), "2026-10-31T15:00", "2026-10-31T16:00"))
        appointments.create_appointment(owner, AppointmentInput(str(maya), "2026-11-02T09:00", "2026-11-02T10:00"))
    return owner


def test_agenda_is_sent_once_at_the_chosen_hour_with_initials(practice, smtp_sink):
    owner = practice
    with clock.frozen(NOW):
        agenda.save_settings(owner, AgendaSettings(enabled=True, hour=19))
    address = owner_address(owner)
    with clock.frozen(datetime(2026, 10, 31, 18, 59, tzinfo=NEW_YORK)):
        assert agenda.send_due() == 0
    with clock.frozen(datetime(2026, 10, 31, 19, 0, tzinfo=NEW_YORK)):
        assert agenda.send_due() == 1
        assert agenda.send_due() == 0  # a second run (or worker) that evening sends nothing
    with clock.frozen(datetime(2026, 10, 31, 23, 55, tzinfo=NEW_YORK)):
        assert agenda.send_due() == 0
    [message] = smtp_sink.messages_to(address)
    body = text_of(message)
    assert "09:00-10:00  M.C." in body and "5 Linden St" in body
    assert "14:00-15:00  M.C." in body and "https://meet.example/x" in body
    assert "16:00" not in body and "15:00-16:00" not in body  # cancelled; today's
    assert "Maya" not in body and "Cohen" not in body
    assert message["Subject"] == "Tomorrow: 2 appointments"


def test_full_names_when_switched_on_and_nothing_when_off(practice, smtp_sink):
    owner = practice
    address = owner_address(owner)
    with clock.frozen(datetime(2026, 10, 31, 20, 0, tzinfo=NEW_YORK)):
        assert agenda.send_due() == 0  # not opted in
        agenda.save_settings(owner, AgendaSettings(enabled=True, hour=19, full_names=True))
        assert agenda.send_due() == 1
    assert "Maya Cohen" in text_of(smtp_sink.messages_to(address)[0])


def test_agenda_settings_are_per_user_and_validated(practice):
    owner = practice
    assistant = make_assistant(owner)
    with clock.frozen(NOW):
        agenda.save_settings(assistant, AgendaSettings(enabled=True, hour=7))
        assert agenda.get_settings_for(owner) == AgendaSettings()
        assert agenda.get_settings_for(assistant).hour == 7
        with pytest.raises(ValidationFailed):
            agenda.save_settings(owner, AgendaSettings(enabled=True, hour=24))


def test_tracked_records_success_and_the_error_type_only(app_env):
    owner = make_workspace()
    with jobs.tracked("attachment_sweep") as outcome:
        outcome["result"] = "3 removed"
    with pytest.raises(RuntimeError), jobs.tracked("auth_cleanup"):
        raise RuntimeError("mail to maya@example.com failed")  # a message may carry PII
    rows = {s.kind: s for s in jobs.status(owner)}
    assert rows["attachment_sweep"].result == "3 removed" and rows["attachment_sweep"].last_error is None
    assert rows["auth_cleanup"].last_error == "RuntimeError" and rows["auth_cleanup"].failures == 1
    assert rows["reminders"].last_run is None  # never ran: listed anyway
    with pytest.raises(NotFound):
        jobs.status(make_assistant(owner))  # the owner's view only


def test_auth_cleanup_removes_only_long_ended_links_and_sessions(app_env):
    owner = make_workspace()
    long_ago = utcnow() - timedelta(days=40)
    with system_session() as session:
        user = session.get(User, owner.user_id)
        auth.open_session(session, user, CTX, long_ago)  # ended long ago
        auth.open_session(session, user, CTX, utcnow())  # live
        session.add(MagicLinkToken(token_hash="a" * 64, workspace_id=owner.workspace_id, user_id=owner.user_id,
                                   expires_at=long_ago))
        session.add(MagicLinkToken(token_hash="b" * 64, workspace_id=owner.workspace_id, user_id=owner.user_id,
                                   expires_at=utcnow() + timedelta(minutes=5)))
    assert jobs.cleanup_auth() == (1, 1)
    assert jobs.cleanup_auth() == (0, 0)
    with system_session() as session:
        assert len(session.exec(select(AuthSession)).all()) == 1
        assert [t.token_hash for t in session.exec(select(MagicLinkToken)).all()] == ["b" * 64]


def test_worker_connection_string_from_the_app_url():
    from pazpaz.jobs.app import conninfo

    socket = conninfo("postgresql+psycopg2://pazpaz_app@/pazpaz?host=/data/pg run")
    assert socket == "dbname='pazpaz' user='pazpaz_app' host='/data/pg run'"
    tcp = conninfo("postgresql+psycopg2://app:p'w\\x@db.example:6543/pp?sslmode=require")
    assert tcp == "dbname='pp' user='app' password='p\\'w\\\\x' host='db.example' port='6543' sslmode='require'"
