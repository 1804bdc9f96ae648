"""The audit log reads as who / what / which record, resolved from ids when it is read;
a From date after the To date is refused at the date fields; the CSV has the same columns."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pazpaz.services import appointments, audit_log, clients, clock, erasure, timeline
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.audit_log import AuditFilter
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import ValidationFailed
from pazpaz.state.audit import AuditState, row_item
from tests.support.factories import make_assistant, make_workspace
from tests.unit.test_state_handlers import run_handler, signed_in_cookie, state_in_tree

ZONE = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)


@pytest.fixture
def practice(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(owner_name="Dana Levi", time_zone="Asia/Jerusalem")
        client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen"))
        [appointment_id] = appointments.create_appointment(
            owner, AppointmentInput(str(client_id), "2026-12-01T10:00", "2026-12-01T11:00"))
        timeline.client_timeline(owner, client_id)
        yield owner, client_id, appointment_id


def by_action(rows, action):
    return next(r for r in rows if r.action == action)


def test_rows_say_who_what_and_which_record(practice):
    owner, _, _ = practice
    rows = audit_log.list_events(owner, AuditFilter()).rows
    read = by_action(rows, "client.timeline_read")
    assert (read.who, read.what, read.record) == ("Dana Levi", "Opened a client's timeline", "M.C.")
    booked = by_action(rows, "appointment.created")
    assert booked.what == "Booked an appointment"
    assert booked.record == "1 Dec 2026, 10:00 · M.C."  # the practice's zone, not UTC (08:00)
    # The page's row keeps the old keys and adds the readable ones, "when" formatted.
    item = row_item(read)
    assert {"when", "who", "what", "record", "user", "action", "entity_type", "entity_id", "ip"} <= set(item)
    assert item["when"] == read.when_text and "," in item["when"]


def test_a_record_erased_since_reads_as_removed(practice):
    owner, client_id, _ = practice
    erasure.erase_client(owner, client_id, "Maya Cohen", "client_request")
    rows = audit_log.list_events(owner, AuditFilter(action="client.timeline_read")).rows
    assert rows[0].record == "(removed)" and rows[0].who == "Dana Levi"


def test_a_from_date_after_the_to_date_is_refused_at_the_date_fields(practice):
    owner, _, _ = practice
    with pytest.raises(ValidationFailed) as refused:
        audit_log.list_events(owner, AuditFilter(start="2026-12-05", end="2026-12-01"))
    assert set(refused.value.errors) == {"end"} and "before the From date" in refused.value.errors["end"]
    with pytest.raises(ValidationFailed):
        audit_log.export_csv(owner, AuditFilter(start="2026-12-05", end="2026-12-01"))
    # Audit times are the real clock (not the frozen one), so the day to filter on is the
    # day the rows were written in the practice's zone, whatever the date the test runs on.
    written = audit_log.list_events(owner, AuditFilter()).rows[0].when[:10]
    assert audit_log.list_events(owner, AuditFilter(start=written, end=written)).total > 0


def test_the_csv_has_the_readable_columns(practice):
    owner, _, _ = practice
    rows = list(csv.DictReader(io.StringIO(audit_log.export_csv(owner, AuditFilter()))))
    assert list(rows[0])[:4] == ["time", "who", "what", "record"]
    read = next(r for r in rows if r["action"] == "client.timeline_read")
    assert (read["who"], read["what"], read["record"]) == ("Dana Levi", "Opened a client's timeline", "M.C.")
    assert "Maya" not in "".join(str(r) for r in rows)


def test_an_assistant_still_gets_not_found(practice):
    owner, _, _ = practice
    from pazpaz.services.errors import NotFound

    with pytest.raises(NotFound):
        audit_log.list_events(make_assistant(owner), AuditFilter())


@pytest.mark.asyncio
async def test_the_page_state_puts_the_date_error_on_the_to_field(app_env, smtp_sink):
    state = state_in_tree(AuditState, "/audit", signed_in_cookie(smtp_sink, "audit-dates@example.com"))
    await run_handler(state, "load")
    assert state.total >= 1 and state.total_text.endswith(("event", "events"))
    assert state.rows[0]["who"] == "Dana Handler"
    await run_handler(state, "apply", {"start": "2026-12-05", "end": "2026-12-01"})
    assert "before the From date" in state.field_errors["end"] and "before the From date" in state.error
    assert state.rows == [] and state.total == 0
    await run_handler(state, "apply", {"start": "", "end": ""})
    assert state.field_errors == {} and state.rows


def test_the_log_reads_in_the_readers_language_with_stable_csv_headers(practice):
    owner, client_id, _ = practice
    rows = audit_log.list_events(owner, AuditFilter(), language="he").rows
    read = by_action(rows, "client.timeline_read")
    assert (read.what, read.record) == ("פתיחת ציר הזמן של מטופל/ת", "M.C.")
    assert by_action(rows, "appointment.created").record == "1 בדצמ׳ 2026, 10:00 · M.C."
    erasure.erase_client(owner, client_id, "Maya Cohen", "client_request")
    text = audit_log.export_csv(owner, AuditFilter(action="client.timeline_read"), language="he")
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    assert header == ["time", "who", "what", "record", "action", "entity_type", "entity_id", "ip"]
    assert first[2:5] == ["פתיחת ציר הזמן של מטופל/ת", "(נמחק)", "client.timeline_read"]
