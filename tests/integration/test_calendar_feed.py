"""The calendar feed against the real database, through the real HTTP route (build_api).

The clock is frozen through services/clock.py; the practice is in Asia/Jerusalem, whose DST
change (Friday 27 March 2026) falls inside the frozen window.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import func, select
from starlette.testclient import TestClient

import pazpaz.models as m
from pazpaz.api.app import build_api
from pazpaz.services import appointments, calendar_feed, catalog, clients, clock, ratelimit, team
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.catalog import LocationInput, ServiceInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound
from pazpaz.services.recurrence import Recurrence
from pazpaz.services.scope import system_session
from tests.support.factories import make_assistant, make_workspace

ZONE = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=ZONE)  # a Friday, one week before DST starts
FIRST, LAST = "Maya", "Cohen-Levinson"
ADDRESS = "7 Rothschild Blvd, Tel Aviv"
VIDEO = "https://meet.example/abc-def"
NOTE = "CANARY-scheduling-note-4512"


@pytest.fixture
def frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def http(app_env) -> Iterator[TestClient]:
    with TestClient(build_api(), base_url="http://localhost:3100") as client:
        yield client


def local(days: int, hour: int = 10) -> str:
    """A workspace-local wall-clock string `days` from NOW's date, at `hour`."""
    return (NOW + timedelta(days=days)).replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def practice(name: str = "Calm Hands"):
    owner = make_workspace(name, time_zone="Asia/Jerusalem")
    client_id = clients.create_client(owner, ClientInput(first_name=FIRST, last_name=LAST, address=ADDRESS))
    service_id = catalog.save_service(owner, ServiceInput("Massage 60", "60"))
    home = catalog.save_location(owner, LocationInput("Client's home", "home"))
    online = catalog.save_location(owner, LocationInput("Video", "online", video_link=VIDEO))
    clinic = catalog.save_location(owner, LocationInput("Clinic", "clinic", address="1 Herzl St, Haifa"))
    return owner, client_id, service_id, {"home": home, "online": online, "clinic": clinic}


def book(owner, client_id, service_id, start: str, location_id=None, notes: str = "",
         recurrence: Recurrence | None = None) -> list[uuid.UUID]:
    return appointments.create_appointment(
        owner, AppointmentInput(str(client_id), start, service_id=str(service_id),
                                location_id=str(location_id or ""), notes=notes),
        recurrence, override=True)


def fetch(http: TestClient, url: str):
    return http.get(urlsplit(url).path)


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def events_by_uid(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def uid(appointment_id: uuid.UUID) -> str:
    return f"{appointment_id}@pazpaz"


def audit_rows(action: str, **where) -> list[m.AuditEvent]:
    with system_session() as session:
        statement = select(m.AuditEvent).where(m.AuditEvent.action == action)
        for key, value in where.items():
            statement = statement.where(getattr(m.AuditEvent, key) == value)
        return list(session.exec(statement.order_by(m.AuditEvent.occurred_at)).all())


def test_the_feed_holds_the_window_with_initials_places_and_links(app_env, frozen, http):
    owner, client_id, service_id, places = practice()
    inside = {
        "past": book(owner, client_id, service_id, local(-29), places["home"], notes=NOTE)[0],
        "soon": book(owner, client_id, service_id, local(1), places["online"])[0],
        "far": book(owner, client_id, service_id, local(89), places["clinic"])[0],
        "nowhere": book(owner, client_id, service_id, local(2))[0],
        # The window is whole local days: from 00:00 thirty days ago to the end of day +90.
        "first_minute": book(owner, client_id, service_id, local(-30, hour=0))[0],
        "last_hour": book(owner, client_id, service_id, local(90, hour=23))[0],
    }
    outside = [book(owner, client_id, service_id, local(-31, hour=23))[0],
               book(owner, client_id, service_id, local(91, hour=0))[0]]
    cancelled = book(owner, client_id, service_id, local(3))[0]
    appointments.set_status(owner, cancelled, "cancelled")
    no_show = book(owner, client_id, service_id, local(-2))[0]
    appointments.set_status(owner, no_show, "no_show")

    url = calendar_feed.issue(owner).url
    assert url.startswith("http://localhost:3100/feed/") and url.endswith(".ics")
    response = fetch(http, url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["cache-control"] and "private" in response.headers["cache-control"]

    calendar = parse(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "PazPaz · Calm Hands"
    assert str(calendar["VERSION"]) == "2.0"
    found = events_by_uid(calendar)
    assert set(found) == {uid(i) for i in inside.values()} | {uid(no_show)}
    assert not {uid(i) for i in [*outside, cancelled]} & set(found)

    home = found[uid(inside["past"])]
    assert str(home["SUMMARY"]) == "M.C. · Massage 60"
    assert str(home["LOCATION"]) == f"Client's home, {ADDRESS}"
    assert str(home["URL"]) == f"http://localhost:3100/calendar/?appointment={inside['past']}"
    assert str(home["URL"]) in str(home["DESCRIPTION"])
    assert home.start == (NOW - timedelta(days=29)).replace(hour=10, minute=0)
    assert home.end - home.start == timedelta(minutes=60)
    assert home["LAST-MODIFIED"].dt.tzinfo is not None
    assert str(found[uid(inside["soon"])]["LOCATION"]) == f"Video, {VIDEO}"
    assert VIDEO in str(found[uid(inside["soon"])]["DESCRIPTION"])
    assert str(found[uid(inside["far"])]["LOCATION"]) == "Clinic, 1 Herzl St, Haifa"
    assert "LOCATION" not in found[uid(inside["nowhere"])]
    # No full name and no clinical or scheduling note, anywhere in the body.
    text = response.content.decode()
    for secret in (FIRST, LAST, NOTE):
        assert secret not in text


def test_full_names_when_switched_on_and_the_choice_survives_regeneration(app_env, frozen, http):
    owner, client_id, service_id, _ = practice()
    appointment_id = book(owner, client_id, service_id, local(1))[0]
    calendar_feed.issue(owner)
    assert calendar_feed.set_full_names(owner, True).include_full_names
    url = calendar_feed.issue(owner).url  # regenerating keeps the choice
    event = events_by_uid(parse(fetch(http, url).content))[uid(appointment_id)]
    assert str(event["SUMMARY"]) == f"{FIRST} {LAST} · Massage 60"
    calendar_feed.set_full_names(owner, False)
    event = events_by_uid(parse(fetch(http, url).content))[uid(appointment_id)]
    assert str(event["SUMMARY"]) == "M.C. · Massage 60"


def test_regenerating_kills_the_old_link_at_once_and_turning_off_kills_the_new(app_env, frozen, http):
    owner, *_ = practice()
    assert calendar_feed.status(owner) is None
    first = calendar_feed.issue(owner).url
    assert fetch(http, first).status_code == 200
    second = calendar_feed.issue(owner).url
    assert second != first
    assert fetch(http, first).status_code == 404
    assert fetch(http, second).status_code == 200
    calendar_feed.turn_off(owner)
    assert calendar_feed.status(owner) is None
    assert fetch(http, second).status_code == 404
    with pytest.raises(NotFound):
        calendar_feed.set_full_names(owner, True)
    actions = [row.action for row in audit_rows("calendar_feed.created") + audit_rows("calendar_feed.regenerated")
               + audit_rows("calendar_feed.revoked")]
    assert sorted(actions) == ["calendar_feed.created", "calendar_feed.regenerated", "calendar_feed.revoked"]


def test_a_deactivated_user_is_refused_and_reactivation_does_not_revive_the_link(app_env, frozen, http):
    owner, client_id, service_id, _ = practice()
    book(owner, client_id, service_id, local(1))
    assistant = make_assistant(owner)
    url = calendar_feed.issue(assistant).url
    assert len(events_by_uid(parse(fetch(http, url).content))) == 1  # assistants see the schedule
    unknown = fetch(http, f"/feed/{'x' * 43}.ics")

    # The read itself refuses an inactive user, whatever state the link is in.
    with system_session() as session:
        session.get(m.User, assistant.user_id).active = False
    refused = fetch(http, url)
    assert (refused.status_code, refused.text) == (unknown.status_code, unknown.text) == (404, "Not found.")
    with system_session() as session:
        session.get(m.User, assistant.user_id).active = True
    assert fetch(http, url).status_code == 200

    team.deactivate(owner, assistant.user_id)
    assert fetch(http, url).status_code == 404
    team.reactivate(owner, assistant.user_id)
    assert fetch(http, url).status_code == 404
    assert calendar_feed.status(assistant) is None
    reasons = [row.details["reason"] for row in audit_rows("calendar_feed.refused", user_id=assistant.user_id)]
    assert reasons == ["inactive", "revoked", "revoked"]


def test_one_audit_row_per_read_with_ids_and_count_only(app_env, frozen, http):
    owner, client_id, service_id, places = practice()
    book(owner, client_id, service_id, local(1), places["home"], notes=NOTE)
    book(owner, client_id, service_id, local(2))
    issued = calendar_feed.issue(owner)
    calendar_feed.set_full_names(owner, True)
    for _ in range(3):
        assert fetch(http, issued.url).status_code == 200
    rows = audit_rows("calendar_feed.read", workspace_id=owner.workspace_id)
    assert len(rows) == 3
    with system_session() as session:
        feed_id = session.exec(select(m.CalendarFeedToken.id).where(
            m.CalendarFeedToken.user_id == owner.user_id)).one()
    for row in rows:
        assert (row.user_id, row.entity_type, row.entity_id) == (owner.user_id, "calendar_feed", feed_id)
        assert row.details["count"] == 2 and row.details["full_names"] is True
        assert row.ip == "testclient" and row.user_agent
        dump = repr(row.details) + repr(row.user_agent)
        for secret in (FIRST, LAST, ADDRESS, NOTE, urlsplit(issued.url).path):
            assert secret not in dump


def test_reads_are_rate_limited_per_link_and_per_address_and_refusals_audited(app_env, frozen, http, monkeypatch):
    monkeypatch.setattr(ratelimit, "FEED_TOKEN_RATE", "2/hour")
    monkeypatch.setattr(ratelimit, "FEED_IP_RATE", "4/hour")
    ratelimit.get_feed_limiter.cache_clear()
    owner, *_ = practice()
    second_user = make_assistant(owner)
    url, other = calendar_feed.issue(owner).url, calendar_feed.issue(second_user).url

    assert [fetch(http, url).status_code for _ in range(3)] == [200, 200, 429]
    limited = fetch(http, url)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Too many attempts" in limited.text
    # The address budget (4) is now spent too: another user's link from here is refused.
    assert fetch(http, other).status_code == 429
    refused = audit_rows("calendar_feed.refused")
    assert [(r.details["reason"], r.details["limit"]) for r in refused] == [
        ("rate_limited", "token"), ("rate_limited", "token"), ("rate_limited", "ip")]
    assert refused[0].user_id == owner.user_id and refused[0].workspace_id == owner.workspace_id
    assert refused[2].user_id == second_user.user_id  # named even when refused before the token check
    assert len(audit_rows("calendar_feed.read")) == 2
    ratelimit.get_feed_limiter.cache_clear()


def test_times_carry_the_practice_zone_across_the_dst_change(app_env, frozen, http):
    owner, client_id, service_id, _ = practice()
    ids = book(owner, client_id, service_id, local(0, hour=10), recurrence=Recurrence(count=3))
    response = fetch(http, calendar_feed.issue(owner).url)
    calendar = parse(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Jerusalem"]
    found = events_by_uid(calendar)
    starts = [found[uid(i)].start for i in ids]
    assert [s.hour for s in starts] == [10, 10, 10]  # 10:00 local every week
    assert [s.utcoffset() for s in starts] == [timedelta(hours=2), timedelta(hours=3), timedelta(hours=3)]
    assert [s.astimezone(UTC).hour for s in starts] == [8, 7, 7]
    assert "DTSTART;TZID=Asia/Jerusalem:20260320T100000" in response.text
    assert "DTSTART;TZID=Asia/Jerusalem:20260327T100000" in response.text


@pytest.mark.parametrize("path", [
    "/feed/" + "A" * 10_000 + ".ics",
    "/feed/" + "A" * 43 + ".ics",
    "/feed/%E2%98%83%F0%9F%93%85" + "é" * 40 + ".ics",
    "/feed/..%2F..%2Fetc%2Fpasswd.ics",
    "/feed/../../etc/passwd.ics",
    "/feed/%2e%2e%2f%2e%2e%2fsecrets.ics",
    "/feed/abc%00def" + "a" * 40 + ".ics",
    "/feed/.ics",
    "/feed/" + "A" * 43 + ".ics.ics",
    "/feed/%27%20OR%201%3D1--" + "a" * 40 + ".ics",
    "/feed/" + "A" * 43,
])
def test_hostile_links_get_not_found_never_an_error(app_env, frozen, path):
    owner, *_ = practice()
    calendar_feed.issue(owner)
    with TestClient(build_api(), base_url="http://localhost:3100", raise_server_exceptions=True) as client:
        response = client.get(path)
    assert response.status_code == 404
    assert "BEGIN:VCALENDAR" not in response.text


def test_simultaneous_regenerations_leave_exactly_one_live_link(app_env, frozen, http):
    owner, *_ = practice()
    calendar_feed.issue(owner)
    barrier = threading.Barrier(8)
    urls: list[str] = []
    errors: list[BaseException] = []

    def regenerate() -> None:
        try:
            barrier.wait()
            urls.append(calendar_feed.issue(owner).url)
        except BaseException as error:  # reported below, with the thread's own traceback
            errors.append(error)

    threads = [threading.Thread(target=regenerate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(urls) == 8
    with system_session() as session:
        live = session.exec(select(func.count()).select_from(m.CalendarFeedToken).where(
            m.CalendarFeedToken.user_id == owner.user_id, m.CalendarFeedToken.revoked_at.is_(None))).one()
    assert live == 1
    assert sorted(fetch(http, url).status_code for url in urls) == [200] + [404] * 7


def _statements_during(fn) -> int:
    from sqlalchemy import event

    from pazpaz.db import get_engine

    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    return len(seen)


def test_reading_costs_the_same_statements_for_3_or_60_appointments(app_env, frozen):
    """No N+1: the window is one query, however many appointments (and clients) it holds."""
    from pazpaz.services.audit import RequestContext

    owner, client_id, service_id, places = practice()
    token = calendar_feed.issue(owner).url.rsplit("/", 1)[1].removesuffix(".ics")
    context = RequestContext(ip="192.0.2.50", user_agent="pytest")
    for day in range(3):
        book(owner, client_id, service_id, local(day + 1), places["home"])
    calendar_feed.read(token, context)  # warm: data keys are cached per process after the first read
    few = _statements_during(lambda: calendar_feed.read(token, context))
    for index in range(57):
        other = clients.create_client(owner, ClientInput(first_name=f"C{index}", last_name="X", address="Y"))
        book(owner, other, service_id, local(index % 80 + 1, hour=8 + index % 10), places["home"])
    body = calendar_feed.read(token, context)
    assert len(parse(body).walk("VEVENT")) == 60
    assert _statements_during(lambda: calendar_feed.read(token, context)) == few


def test_a_change_shows_at_the_next_read_however_the_body_is_kept(app_env, frozen, http):
    """Unchanged reads are served from the kept body; any change to what an event shows
    (a client's name, a move, a cancellation, a location's address) is in the next read."""
    owner, client_id, service_id, places = practice()
    first, second = (book(owner, client_id, service_id, local(d), places["clinic"])[0] for d in (1, 2))
    url = calendar_feed.issue(owner).url
    calendar_feed.set_full_names(owner, True)
    body = fetch(http, url).content
    assert fetch(http, url).content == body

    clients.update_client(owner, client_id, ClientInput(first_name="Yael", last_name=LAST, address=ADDRESS))
    assert f"Yael {LAST}" in fetch(http, url).text
    appointments.move_appointment(owner, first, local(5, hour=15))
    moved = events_by_uid(parse(fetch(http, url).content))[uid(first)]
    assert moved.start == (NOW + timedelta(days=5)).replace(hour=15, minute=0)
    appointments.set_status(owner, second, "cancelled")
    assert set(events_by_uid(parse(fetch(http, url).content))) == {uid(first)}
    catalog.save_location(owner, LocationInput("Clinic", "clinic", address="2 New St"), places["clinic"])
    assert str(events_by_uid(parse(fetch(http, url).content))[uid(first)]["LOCATION"]) == "Clinic, 2 New St"
    assert len(audit_rows("calendar_feed.read", workspace_id=owner.workspace_id)) == 6


def test_the_events_words_are_in_the_owners_language(app_env, frozen, http):
    from pazpaz.services import languages

    owner, client_id, service_id, places = practice()
    appointment_id = book(owner, client_id, service_id, local(1), places["online"])[0]
    url = calendar_feed.issue(owner).url
    english = str(events_by_uid(parse(fetch(http, url).content))[uid(appointment_id)]["DESCRIPTION"])
    assert english.startswith("Status: Scheduled") and f"Video link: {VIDEO}" in english
    languages.set_user_language(owner, "he")  # a kept body in English is not served again
    hebrew = str(events_by_uid(parse(fetch(http, url).content))[uid(appointment_id)]["DESCRIPTION"])
    assert hebrew.startswith("מצב: נקבע") and f"קישור לשיחת וידאו: {VIDEO}" in hebrew
    assert "פתיחה ב-PazPaz: http://localhost:3100/calendar/" in hebrew
