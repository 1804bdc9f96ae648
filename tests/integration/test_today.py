"""Today (services/today.py, state/today.py): the practice's day in its own zone, the next
appointment, where to go, free time, drafts for the owner only, the first-run checklist."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from pazpaz.models import AuditEvent, User
from pazpaz.services import appointments, catalog, clients, clock, soap_notes, team, today
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.catalog import LocationInput, ServiceInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.scope import system_session
from pazpaz.state.today import TodayState
from tests.support.factories import make_assistant, make_workspace
from tests.unit.test_state_handlers import run_handler, signed_in_cookie, state_in_tree

NEW_YORK = ZoneInfo("America/New_York")
# 10:30 in New York is 15:30 UTC: "today" and every time below are the practice's.
MID_MORNING = datetime(2026, 12, 1, 10, 30, tzinfo=NEW_YORK)
DASH = "\u2009\u2013\u2009"


def book(owner, client_id, start: str, end: str, location_id=None) -> str:
    [appointment_id] = appointments.create_appointment(
        owner, AppointmentInput(str(client_id), start, end, location_id=str(location_id or "")), override=True)
    return appointment_id


@pytest.fixture
def day(app_env):
    with clock.frozen(MID_MORNING):
        owner = make_workspace(time_zone="America/New_York")
        maya = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen",
                                                        address="12 Elm St\nBrooklyn, NY"))
        home = catalog.save_location(owner, LocationInput("Client's home", "home"))
        online = catalog.save_location(owner, LocationInput("Video", "online", video_link="https://meet.example/abc"))
        ids = {
            "late_yesterday": book(owner, maya, "2026-11-30T23:30", "2026-12-01T00:15"),
            "early": book(owner, maya, "2026-12-01T09:00", "2026-12-01T10:00"),
            "now": book(owner, maya, "2026-12-01T10:00", "2026-12-01T11:00"),
            "home": book(owner, maya, "2026-12-01T12:00", "2026-12-01T13:00", home),
            "cancelled": book(owner, maya, "2026-12-01T13:00", "2026-12-01T14:00"),
            "online": book(owner, maya, "2026-12-01T15:00", "2026-12-01T15:45", online),
            "tomorrow": book(owner, maya, "2026-12-02T00:00", "2026-12-02T01:00"),
        }
        appointments.set_status(owner, ids["cancelled"], "cancelled")
        yield owner, maya, ids


def test_the_days_appointments_in_order_with_the_next_one(day):
    owner, _, ids = day
    with clock.frozen(MID_MORNING):
        view = today.today(owner)
    assert view.day_text == "Tue 1 Dec"
    assert [a.id for a in view.appointments] == [ids[k] for k in ("early", "now", "home", "cancelled", "online")]
    assert [a.time_text for a in view.appointments][:2] == [f"09:00{DASH}10:00", f"10:00{DASH}11:00"]
    assert [a.id for a in view.appointments if a.is_next] == [ids["now"]]  # under way counts as next
    assert view.appointments[0].is_past and not view.appointments[1].is_past
    with clock.frozen(datetime(2026, 12, 1, 13, 30, tzinfo=NEW_YORK)):
        # The cancelled one is never "next": the online session at 15:00 is.
        assert [a.id for a in today.today(owner).appointments if a.is_next] == [ids["online"]]
    with clock.frozen(datetime(2026, 12, 1, 20, 0, tzinfo=NEW_YORK)):
        assert not any(a.is_next for a in today.today(owner).appointments)


def test_where_to_go_a_map_for_home_visits_a_link_for_online(day):
    owner, _, ids = day
    with clock.frozen(MID_MORNING):
        by_id = {a.id: a for a in today.today(owner).appointments}
    home, online = by_id[ids["home"]], by_id[ids["online"]]
    assert home.address == "12 Elm St\nBrooklyn, NY"
    assert home.map_url.startswith("https://www.google.com/maps/search/?api=1&query=")
    assert unquote(home.map_url.split("query=")[1]) == "12 Elm St Brooklyn, NY"
    assert "\n" not in home.map_url and " " not in home.map_url
    assert home.video_url == "" and online.address == "" and online.video_url == "https://meet.example/abc"


def test_only_http_links_are_clickable():
    assert today.safe_link("javascript:alert(1)") == ""
    assert today.safe_link("meet.example/abc") == ""
    assert today.safe_link(" https://meet.example/x ") == "https://meet.example/x"
    assert today.map_url("  ") == ""


def test_free_time_between_active_appointments(day):
    owner, _, _ = day
    with clock.frozen(MID_MORNING):
        gaps = today.today(owner).gaps
    assert [g.text for g in gaps] == ["11:00\u2009\u2013\u200912:00 free (1 h)",
                                      "13:00\u2009\u2013\u200915:00 free (2 h)"]  # the cancelled hour is free


def test_a_day_crossing_dst_keeps_real_durations(app_env):
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 29 March 2026: clocks jump from 02:00 to 03:00 in Berlin.
    with clock.frozen(datetime(2026, 3, 29, 0, 30, tzinfo=berlin)):
        owner = make_workspace(time_zone="Europe/Berlin")
        client_id = clients.create_client(owner, ClientInput(first_name="Lena", last_name="Vogel"))
        book(owner, client_id, "2026-03-28T23:00", "2026-03-28T23:45")  # Saturday: not today
        first = book(owner, client_id, "2026-03-29T01:00", "2026-03-29T01:30")
        second = book(owner, client_id, "2026-03-29T03:30", "2026-03-29T04:00")
        last = book(owner, client_id, "2026-03-29T23:15", "2026-03-29T23:45")
        view = today.today(owner)
    assert view.day_text == "Sun 29 Mar"
    assert [a.id for a in view.appointments] == [first, second, last]
    # 01:30 to 03:30 on the wall clock is one real hour that night.
    assert view.gaps[0].minutes == 60 and view.gaps[0].text == "01:30\u2009\u2013\u200903:30 free (1 h)"
    assert [a.time_text for a in view.appointments][1] == "03:30\u2009\u2013\u200904:00"


def test_drafts_for_the_owner_never_for_an_assistant(day):
    owner, _, ids = day
    with clock.frozen(MID_MORNING):
        note_id, _ = soap_notes.open_for_appointment(owner, ids["early"])
        owner_view = today.today(owner)
        assistant_view = today.today(make_assistant(owner))
    assert [(d.id, d.client_name, d.date_text) for d in owner_view.drafts] == [(note_id, "Maya Cohen", "1 Dec 2026")]
    assert assistant_view.drafts == [] and assistant_view.checklist == []
    assert [a.id for a in assistant_view.appointments] == [a.id for a in owner_view.appointments]


def test_the_read_is_audited_with_counts_only(day):
    owner, _, _ = day
    with clock.frozen(MID_MORNING):
        today.today(owner)
    with system_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "today.read")).one()
    assert event.user_id == owner.user_id and event.details["appointments"] == 5
    assert "Maya" not in str(event.details) and "Elm" not in str(event.details)


def test_the_checklist_ticks_itself_off_then_goes_away(app_env):
    with clock.frozen(MID_MORNING):
        owner = make_workspace(time_zone="America/New_York")
        steps = today.today(owner).checklist
        assert [s.key for s in steps] == ["service", "location", "client", "appointment", "assistant", "two_step"]
        assert not any(s.done for s in steps)
        catalog.save_service(owner, ServiceInput("Massage 60", "60"))
        assert [s.key for s in today.today(owner).checklist if s.done] == ["service"]
        catalog.save_location(owner, LocationInput("Clinic", "clinic", address="1 Main St"))
        client_id = clients.create_client(owner, ClientInput(first_name="Ada", last_name="Byron"))
        book(owner, client_id, "2026-12-03T10:00", "2026-12-03T11:00")
        team.invite_assistant(owner, "assistant-today@example.com", "Noa")
        assert [s.key for s in today.today(owner).checklist if not s.done] == ["two_step"]
        with system_session() as session:
            session.get(User, owner.user_id).totp_enabled_at = MID_MORNING
        assert today.today(owner).checklist == []


@pytest.mark.asyncio
async def test_the_page_state_of_a_new_practice(app_env, smtp_sink):
    state = state_in_tree(TodayState, "/", signed_in_cookie(smtp_sink, "today-state@example.com"))
    await run_handler(state, "load")
    assert state.loaded and state.appointments == [] and state.appointments_text == "0 appointments"
    assert state.checklist_text == "0 of 6 done" and state.checklist[0] == {
        "key": "service", "label": "Add a service", "done": False, "href": "/settings"}
    assert state.drafts_text == "0 notes in draft"


def test_today_in_the_readers_language(day):
    owner, _, _ = day
    with clock.frozen(MID_MORNING):
        view = today.today(owner, language="he")
    assert view.day_text == "יום ג׳ 1 דצמ׳"
    assert [g.text for g in view.gaps] == [f"11:00{DASH}12:00 פנוי (1 ש׳)", f"13:00{DASH}15:00 פנוי (2 ש׳)"]
    assert [s.label for s in view.checklist][:2] == ["Add a service", "Add a location"]  # msgids: the state translates
    assert today.duration_text(90, "he") == "1 ש׳ 30 דק׳" and today.duration_text(90) == "1 h 30 min"
