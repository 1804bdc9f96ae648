"""Client reminders with a frozen clock: due times across DST, quiet hours, idempotency,
moved and cancelled appointments, the cancellation window and the signed links."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from pazpaz.models import Appointment, AuditEvent, ReminderDelivery
from pazpaz.services import appointments, catalog, clients, clock, crypto, reminders
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.audit import RequestContext
from pazpaz.services.catalog import LocationInput, ServiceInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.reminders import DAY, LinkRefused, ReminderSettings
from pazpaz.services.scope import system_session, workspace_session
from tests.support.factories import make_workspace

JERUSALEM, BERLIN, NEW_YORK = ZoneInfo("Asia/Jerusalem"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
QUIET = (time(21), time(8))
NO_QUIET = (time(0), time(0))
CLIENT_CTX = RequestContext(ip="198.51.100.7", user_agent="phone")


# --- pure timing ---------------------------------------------------------------------------

@pytest.mark.parametrize(("zone", "start", "expected"), [
    # An appointment on the morning of the spring change: "24 h before" is 10:00 local the
    # day before, which is 23 real hours earlier.
    (BERLIN, datetime(2026, 3, 29, 10, 0), datetime(2026, 3, 28, 10, 0)),
    (NEW_YORK, datetime(2026, 3, 8, 10, 0), datetime(2026, 3, 7, 10, 0)),
    (JERUSALEM, datetime(2026, 3, 27, 10, 0), datetime(2026, 3, 26, 10, 0)),
    # On the autumn change's day (25 real hours).
    (BERLIN, datetime(2026, 10, 25, 10, 0), datetime(2026, 10, 24, 10, 0)),
    (NEW_YORK, datetime(2026, 11, 1, 10, 0), datetime(2026, 10, 31, 10, 0)),
    (JERUSALEM, datetime(2026, 10, 25, 10, 0), datetime(2026, 10, 24, 10, 0)),
])
def test_day_offsets_keep_the_local_time_across_dst(zone, start, expected):
    starts_at = start.replace(tzinfo=zone).astimezone(UTC)
    due = reminders.reminder_time(starts_at, DAY, zone)
    assert due.astimezone(zone).replace(tzinfo=None) == expected
    assert starts_at - due != timedelta(hours=24)  # the DST day really was shorter or longer


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK, JERUSALEM])
def test_hour_offsets_are_real_durations_across_dst(zone):
    # 03:30 on each zone's spring-change morning; two real hours before crosses the jump.
    day = {BERLIN: datetime(2026, 3, 29), NEW_YORK: datetime(2026, 3, 8), JERUSALEM: datetime(2026, 3, 27)}[zone]
    starts_at = day.replace(hour=4, minute=30, tzinfo=zone).astimezone(UTC)
    assert reminders.reminder_time(starts_at, 120, zone) == starts_at - timedelta(hours=2)


def test_quiet_hours_wrap_midnight_and_can_be_switched_off():
    at = lambda h, m=0: datetime(2026, 6, 10, h, m, tzinfo=BERLIN)  # noqa: E731
    assert reminders.in_quiet_hours(at(21), BERLIN, QUIET)
    assert reminders.in_quiet_hours(at(2), BERLIN, QUIET)
    assert reminders.in_quiet_hours(at(7, 59), BERLIN, QUIET)
    assert not reminders.in_quiet_hours(at(8), BERLIN, QUIET)
    assert not reminders.in_quiet_hours(at(20, 59), BERLIN, QUIET)
    assert not any(reminders.in_quiet_hours(at(h), BERLIN, NO_QUIET) for h in range(24))
    assert reminders.in_quiet_hours(at(13), BERLIN, (time(12), time(14)))


def test_a_reminder_due_in_quiet_hours_goes_out_when_they_end_if_before_the_start():
    # 09:30 appointment, 2 h reminder due 07:30 (quiet) -> 08:00.
    starts_at = datetime(2026, 6, 10, 9, 30, tzinfo=BERLIN).astimezone(UTC)
    assert reminders.send_time(starts_at, 120, BERLIN, QUIET) == datetime(2026, 6, 10, 8, 0, tzinfo=BERLIN)
    # 07:30 appointment: quiet hours end after it starts -> never sent.
    early = datetime(2026, 6, 10, 7, 30, tzinfo=BERLIN).astimezone(UTC)
    assert reminders.send_time(early, 120, BERLIN, QUIET) is None
    # 22:00 appointment, 24 h reminder due 22:00 the day before -> 08:00 on the day.
    late = datetime(2026, 6, 10, 22, 0, tzinfo=BERLIN).astimezone(UTC)
    assert reminders.send_time(late, DAY, BERLIN, QUIET) == datetime(2026, 6, 10, 8, 0, tzinfo=BERLIN)


def test_end_of_quiet_hours_on_the_dst_morning():
    # New York springs forward at 02:00 on 2026-03-08; quiet hours still end at 08:00 local.
    moment = datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK)
    assert reminders.end_of_quiet(moment, NEW_YORK, QUIET) == datetime(2026, 3, 8, 8, 0, tzinfo=NEW_YORK)


def test_only_the_latest_due_offset_is_sent():
    settings = ReminderSettings(enabled=True, offsets_minutes=(DAY, 120), quiet_start="00:00", quiet_end="00:00")
    starts_at = datetime(2026, 6, 10, 15, 0, tzinfo=BERLIN).astimezone(UTC)
    assert reminders.due_offset(starts_at, settings, BERLIN, starts_at - timedelta(hours=30)) is None
    assert reminders.due_offset(starts_at, settings, BERLIN, starts_at - timedelta(hours=23)) == DAY
    assert reminders.due_offset(starts_at, settings, BERLIN, starts_at - timedelta(hours=1)) == 120
    assert reminders.due_offset(starts_at, settings, BERLIN, starts_at) is None


# --- with the database and the SMTP sink ------------------------------------------------------

NOW = datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def practice(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(name="Linden Physio", time_zone="Europe/Berlin")
        address = f"client-{uuid.uuid4().hex[:8]}@example.com"
        client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen", email=address,
                                                             address="5 Linden St"))
        service_id = catalog.save_service(owner, ServiceInput("Massage", "60", "80"))
        clinic_id = catalog.save_location(owner, LocationInput("Clinic", "clinic", address="1 Main St"))
        reminders.save_settings(owner, ReminderSettings(enabled=True, offsets_minutes=(DAY, 120),
                                                        sender_name="Dana's Physio", message="Bring a towel."))
        yield owner, client_id, address, str(service_id), str(clinic_id)


def book(owner, client_id, service_id, location_id, start: str) -> uuid.UUID:
    [appointment_id] = appointments.create_appointment(owner, AppointmentInput(
        client_id=str(client_id), start=start, service_id=service_id, location_id=location_id), override=True)
    return appointment_id


def run_scan(now: datetime) -> list[str]:
    with clock.frozen(now):
        return [reminders.deliver(i) for i in reminders.claim_due()]


def test_a_due_reminder_is_mailed_once_with_links_and_ics(practice, smtp_sink):
    owner, client_id, address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        book(owner, client_id, service_id, clinic_id, "2026-06-11T09:30")
    assert run_scan(NOW) == ["sent"]
    assert run_scan(NOW) == []  # the second run finds the claim: nothing to send
    with clock.frozen(NOW):
        assert reminders.deliver(_only_delivery(owner)) == "done"  # a retried job sends nothing either
    [message] = map(parsed, smtp_sink.messages_to(address))
    assert "Dana's Physio" in message["From"]
    text = message.get_body(("plain",)).get_content()
    assert "Thursday, 11 June 2026, 09:30-10:30 (Europe/Berlin)" in text
    assert "1 Main St" in text and "Bring a towel." in text
    assert "/appointment/confirm?t=" in text and "/appointment/cancel?t=" in text
    assert "Maya" not in text.split("Confirm:")[1]  # no PII in the links
    html = message.get_body(("html",)).get_content()
    assert "/appointment/confirm?t=" in html
    [ics] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert b"DTSTART" in ics.get_payload(decode=True)


def parsed(message) -> EmailMessage:
    """The sink keeps compat32 messages; read them with the modern API."""
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def _only_delivery(owner) -> uuid.UUID:
    with workspace_session(owner) as session:
        [row] = session.exec(select(ReminderDelivery)).all()
        return row.id


def test_moved_appointment_old_reminder_is_not_sent(practice, smtp_sink):
    owner, client_id, address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        appointment_id = book(owner, client_id, service_id, clinic_id, "2026-06-11T09:30")
        claims = reminders.claim_due()
        # Moved after the claim was queued, before the worker ran it.
        appointments.move_appointment(owner, appointment_id, "2026-06-20T09:30")
        assert [reminders.deliver(i) for i in claims] == ["skipped:moved"]
    assert smtp_sink.messages_to(address) == []
    # The new time gets its own reminder when that one is due.
    assert run_scan(datetime(2026, 6, 19, 10, 0, tzinfo=BERLIN)) == ["sent"]
    [message] = map(parsed, smtp_sink.messages_to(address))
    assert "20 June 2026, 09:30" in message.get_body(("plain",)).get_content()


def test_cancelled_appointment_is_never_reminded(practice, smtp_sink):
    owner, client_id, address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        first = book(owner, client_id, service_id, clinic_id, "2026-06-11T09:30")
        claims = reminders.claim_due()
        appointments.set_status(owner, first, "cancelled")
        assert [reminders.deliver(i) for i in claims] == ["skipped:cancelled"]
        second = book(owner, client_id, service_id, clinic_id, "2026-06-11T12:00")
        appointments.set_status(owner, second, "cancelled")
        assert reminders.claim_due() == []
    assert smtp_sink.messages_to(address) == []


def test_opted_out_or_emailless_clients_get_nothing(practice, smtp_sink):
    owner, client_id, _address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        reminders.set_client_opt_out(owner, client_id, True)
        book(owner, client_id, service_id, clinic_id, "2026-06-11T09:30")
        no_mail = clients.create_client(owner, ClientInput(first_name="No", last_name="Mail"))
        book(owner, no_mail, service_id, clinic_id, "2026-06-11T11:30")
        assert reminders.claim_due() == []
        assert reminders.client_status(owner, no_mail).text.startswith("No email address")
        assert "opted out" in reminders.client_status(owner, client_id).text


def test_nothing_is_sent_inside_quiet_hours(practice, smtp_sink):
    owner, client_id, address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        book(owner, client_id, service_id, clinic_id, "2026-06-11T10:00")
    assert run_scan(datetime(2026, 6, 10, 22, 0, tzinfo=BERLIN)) == []  # due at 10:00, but it is 22:00 now
    assert run_scan(datetime(2026, 6, 11, 7, 59, tzinfo=BERLIN)) == []
    assert run_scan(datetime(2026, 6, 11, 8, 0, tzinfo=BERLIN)) == ["sent"]  # quiet hours over, 2 h reminder
    assert len(smtp_sink.messages_to(address)) == 1


def test_claims_are_atomic_under_concurrent_scans(practice, smtp_sink):
    """Eight threads scan and deliver at once: one claim, one mail."""
    from concurrent.futures import ThreadPoolExecutor

    owner, client_id, address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        book(owner, client_id, service_id, clinic_id, "2026-06-11T09:30")

        def scan_and_send(_: int) -> list[str]:
            return [reminders.deliver(i) for i in reminders.claim_due()]

        with ThreadPoolExecutor(8) as pool:
            outcomes = [o for result in pool.map(scan_and_send, range(8)) for o in result]
    assert outcomes.count("sent") == 1
    assert len(smtp_sink.messages_to(address)) == 1


# --- the client's answer ---------------------------------------------------------------------

def _token(owner, appointment_id, purpose: str) -> str:
    with workspace_session(owner) as session:
        row = session.get(Appointment, appointment_id)
        return reminders.make_token(purpose, row.id, row.workspace_id, row.starts_at)


def _status(owner, appointment_id) -> str:
    with workspace_session(owner) as session:
        return session.get(Appointment, appointment_id).status


def test_confirm_link_confirms_and_is_audited_with_the_client_as_actor(practice):
    owner, client_id, _address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        appointment_id = book(owner, client_id, service_id, clinic_id, "2026-06-12T09:30")
        token = _token(owner, appointment_id, "confirm")
        view = reminders.view_link(token, "confirm")
        assert view.practice == "Dana's Physio" and "12 June 2026, 09:30" in view.when
        assert _status(owner, appointment_id) == "scheduled"  # viewing changes nothing
        assert "confirmed" in reminders.respond(token, "confirm", CLIENT_CTX)
        assert "confirmed" in reminders.respond(token, "confirm", CLIENT_CTX)  # twice: still fine
    assert _status(owner, appointment_id) == "confirmed"
    with system_session() as session:
        [row] = session.exec(select(AuditEvent).where(AuditEvent.entity_id == appointment_id,
                                                      AuditEvent.action == "appointment.status_changed")).all()
    assert row.user_id is None and row.details["actor"] == "client" and row.details["to"] == "confirmed"
    assert "Maya" not in str(row.details)


def test_cancel_inside_the_window_frees_the_slot_and_tells_the_therapist(practice, smtp_sink):
    owner, client_id, _address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        appointment_id = book(owner, client_id, service_id, clinic_id, "2026-06-12T09:30")
        assert reminders.unseen_cancellations(owner) == 0
        message = reminders.respond(_token(owner, appointment_id, "cancel"), "cancel", CLIENT_CTX)
        assert "cancelled" in message
        assert _status(owner, appointment_id) == "cancelled"
        assert reminders.unseen_cancellations(owner) == 1
        # The slot is free: a new booking there raises no conflict.
        book_again = appointments.check_times(owner, "2026-06-12T09:30", "2026-06-12T10:30")
        assert book_again == []
        assert reminders.mark_cancellations_seen(owner) == 1
        assert reminders.unseen_cancellations(owner) == 0
    # The therapist hears of it by mail: when, never who.
    therapist = _owner_address(owner)
    _wait(lambda: smtp_sink.messages_to(therapist))
    [told] = smtp_sink.messages_to(therapist)
    body = told.get_payload(decode=True).decode()
    assert "Friday, 12 June 2026, 09:30" in body and "Maya" not in body and "Cohen" not in body


def _owner_address(owner) -> str:
    from pazpaz.models import User

    with system_session() as session:
        user = session.get(User, owner.user_id)
        return crypto.decrypt_field(session, user.workspace_id, "users", "email_encrypted", user.id,
                                    user.email_encrypted)


def _wait(condition, timeout: float = 20.0) -> None:
    """Mail queued after commit goes out on a background thread: wait for it to arrive."""
    import time as _time

    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline and not condition():
        _time.sleep(0.05)
    assert condition(), "the mail did not arrive"


def test_cancel_outside_the_window_says_please_call_and_changes_nothing(practice):
    owner, client_id, _address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        appointment_id = book(owner, client_id, service_id, clinic_id, "2026-06-11T09:30")  # 23.5 h ahead
        token = _token(owner, appointment_id, "cancel")
        assert reminders.view_link(token, "cancel").can_cancel is False
        with pytest.raises(LinkRefused, match=r"too late.*call"):
            reminders.respond(token, "cancel", CLIENT_CTX)
    assert _status(owner, appointment_id) == "scheduled"


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature broken
    lambda t: t[:10] + ("B" if t[10] != "B" else "C") + t[11:],  # body changed (another id)
    lambda t: "garbage",
    lambda t: "",
    lambda t: t.split(".")[0],
    lambda t: t + "." + t,
])
def test_tampered_tokens_are_refused(practice, mangle):
    owner, client_id, _address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        appointment_id = book(owner, client_id, service_id, clinic_id, "2026-06-12T09:30")
        with pytest.raises(LinkRefused):
            reminders.respond(mangle(_token(owner, appointment_id, "cancel")), "cancel", CLIENT_CTX)
    assert _status(owner, appointment_id) == "scheduled"


def test_other_purpose_expired_and_outdated_tokens_are_refused(practice):
    owner, client_id, _address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        appointment_id = book(owner, client_id, service_id, clinic_id, "2026-06-12T09:30")
        confirm = _token(owner, appointment_id, "confirm")
        with pytest.raises(LinkRefused):
            reminders.respond(confirm, "cancel", CLIENT_CTX)  # a confirm link can't cancel
    with clock.frozen(datetime(2026, 6, 12, 9, 30, tzinfo=BERLIN)), pytest.raises(LinkRefused, match="expired"):
        reminders.respond(confirm, "confirm", CLIENT_CTX)
    with clock.frozen(NOW):
        appointments.move_appointment(owner, appointment_id, "2026-06-13T09:30")
        with pytest.raises(LinkRefused, match="changed"):
            reminders.respond(confirm, "confirm", CLIENT_CTX)
    assert _status(owner, appointment_id) == "scheduled"


def test_a_token_of_another_workspace_finds_nothing(practice):
    owner, client_id, _address, service_id, clinic_id = practice
    with clock.frozen(NOW):
        appointment_id = book(owner, client_id, service_id, clinic_id, "2026-06-12T09:30")
        other = make_workspace("Other")
        with workspace_session(owner) as session:
            row = session.get(Appointment, appointment_id)
            forged = reminders.make_token("cancel", row.id, other.workspace_id, row.starts_at)
        with pytest.raises(LinkRefused, match="no longer exists"):
            reminders.respond(forged, "cancel", CLIENT_CTX)
    assert _status(owner, appointment_id) == "scheduled"


def test_settings_validation(practice):
    owner = practice[0]
    from pazpaz.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as invalid:
        reminders.save_settings(owner, ReminderSettings(enabled=True, offsets_minutes=(7,), quiet_start="25:00",
                                                        cancel_window_hours=-1))
    assert set(invalid.value.errors) == {"offsets", "quiet_start", "cancel_window_hours"}
