"""The reminder's Confirm / Cancel links over HTTP (our real routes, in process): GET changes
nothing, only a same-origin POST acts, and hostile tokens get a clear refusal and no change."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from pazpaz import i18n
from pazpaz.api.app import build_api
from pazpaz.models import Appointment, AuditEvent, ClientResponse
from pazpaz.services import appointments, clients, clock, reminders
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.reminders import ReminderSettings
from pazpaz.services.scope import system_session, workspace_session
from tests.support.factories import make_workspace

ORIGIN = "http://localhost:3100"  # tests/conftest.py
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 10, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def booked(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(name="Linden Physio", time_zone="Europe/Berlin")
        reminders.save_settings(owner, ReminderSettings(enabled=True, cancel_window_hours=24))
        client_id = clients.create_client(owner, ClientInput(first_name="Maya", last_name="Cohen",
                                                             email=f"m-{uuid.uuid4().hex[:6]}@example.com"))
        [appointment_id] = appointments.create_appointment(owner, AppointmentInput(
            client_id=str(client_id), start="2026-06-13T09:30", duration_minutes="60"))
    with workspace_session(owner) as session:
        row = session.get(Appointment, appointment_id)
        tokens = {p: reminders.make_token(p, row.id, row.workspace_id, row.starts_at) for p in ("confirm", "cancel")}
    yield owner, appointment_id, tokens


@pytest.fixture
def http():
    with clock.frozen(NOW):
        yield TestClient(build_api(), base_url=ORIGIN)


def status_of(owner, appointment_id) -> str:
    with workspace_session(owner) as session:
        return session.get(Appointment, appointment_id).status


def test_get_shows_a_button_and_changes_nothing(booked, http):
    owner, appointment_id, tokens = booked
    page = http.get(f"/appointment/confirm?t={tokens['confirm']}")
    assert page.status_code == 200
    assert 'method="post" action="/appointment/confirm"' in page.text
    assert "Linden Physio" in page.text and "13 June 2026, 09:30" in page.text
    assert "Maya" not in page.text and "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert status_of(owner, appointment_id) == "scheduled"


def test_post_confirms_and_post_cancels(booked, http):
    owner, appointment_id, tokens = booked
    done = http.post("/appointment/confirm", data={"t": tokens["confirm"]}, headers={"origin": ORIGIN})
    assert done.status_code == 200 and "confirmed" in done.text
    assert status_of(owner, appointment_id) == "confirmed"
    done = http.post("/appointment/cancel", data={"t": tokens["cancel"]}, headers={"origin": ORIGIN})
    assert done.status_code == 200 and "cancelled" in done.text
    assert status_of(owner, appointment_id) == "cancelled"
    with system_session() as session:
        actions = session.exec(select(ClientResponse.action).where(
            ClientResponse.appointment_id == appointment_id)).all()
        audits = session.exec(select(AuditEvent).where(AuditEvent.entity_id == appointment_id,
                                                       AuditEvent.action == "appointment.status_changed")).all()
    assert sorted(actions) == ["cancelled", "confirmed"]
    assert [a.details["to"] for a in sorted(audits, key=lambda a: a.occurred_at)] == ["confirmed", "cancelled"]
    assert all(a.user_id is None and a.details["actor"] == "client" and a.ip for a in audits)
    # The cancel page now says so instead of offering a button.
    assert "is cancelled" in http.get(f"/appointment/cancel?t={tokens['cancel']}").text


def _hostile(tokens: dict[str, str]) -> list[tuple[str, str]]:
    confirm, cancel = tokens["confirm"], tokens["cancel"]
    return [
        ("cancel", confirm),  # other purpose
        ("confirm", cancel),
        ("cancel", cancel[:-3] + "xyz"),  # forged signature
        ("cancel", cancel.replace(".", "")),
        ("cancel", ""),
        ("cancel", "../../etc/passwd"),
        ("cancel", "A" * 5000),
        ("cancel", "<script>alert(1)</script>"),
        ("cancel", cancel + "\x00"),
    ]


def test_hostile_tokens_are_refused_clearly_and_change_nothing(booked, http):
    owner, appointment_id, tokens = booked
    for purpose, token in _hostile(tokens):
        page = http.get(f"/appointment/{purpose}", params={"t": token})
        assert page.status_code == 400 and "This link does not work" in page.text, token[:20]
        assert "<script>alert" not in page.text
        done = http.post(f"/appointment/{purpose}", data={"t": token}, headers={"origin": ORIGIN})
        assert done.status_code == 400 and "not valid" in done.text, token[:20]
    assert http.get("/appointment/delete", params={"t": tokens["cancel"]}).status_code == 404
    assert http.post("/appointment/delete", data={"t": tokens["cancel"]}).status_code == 404
    assert status_of(owner, appointment_id) == "scheduled"


def test_expired_link_is_refused(booked):
    owner, appointment_id, tokens = booked
    with clock.frozen(datetime(2026, 6, 13, 9, 30, tzinfo=BERLIN)):
        http = TestClient(build_api(), base_url=ORIGIN)
        page = http.post("/appointment/confirm", data={"t": tokens["confirm"]}, headers={"origin": ORIGIN})
    assert page.status_code == 400 and "expired" in page.text
    assert status_of(owner, appointment_id) == "scheduled"


def test_cross_site_post_is_refused(booked, http):
    owner, appointment_id, tokens = booked
    page = http.post("/appointment/cancel", data={"t": tokens["cancel"]}, headers={"origin": "https://evil.example"})
    assert page.status_code == 403
    assert status_of(owner, appointment_id) == "scheduled"


def test_late_cancel_page_says_please_call(booked):
    owner, appointment_id, tokens = booked
    with clock.frozen(datetime(2026, 6, 12, 12, 0, tzinfo=BERLIN)):  # 21.5 h before, window 24 h
        http = TestClient(build_api(), base_url=ORIGIN)
        page = http.get(f"/appointment/cancel?t={tokens['cancel']}")
        assert "too late" in page.text and "<form" not in page.text
        done = http.post("/appointment/cancel", data={"t": tokens["cancel"]}, headers={"origin": ORIGIN})
        assert done.status_code == 400 and "call" in done.text
    assert status_of(owner, appointment_id) == "scheduled"


def test_plain_refusals_speak_the_browsers_language(booked, http):
    # A client's phone in Hebrew gets Hebrew words even where there is no page to show.
    owner, appointment_id, tokens = booked
    hebrew = {"accept-language": "he-IL,he;q=0.9"}
    missing = http.get("/appointment/reschedule?t=x", headers=hebrew)
    assert missing.status_code == 404 and missing.text == i18n.gettext("he", "Not found.") != "Not found."
    refused = http.post("/appointment/cancel", data={"t": tokens["cancel"]},
                        headers={"origin": "https://evil.example", **hebrew})
    assert refused.status_code == 403 and refused.text == i18n.gettext("he", "Cross-site request refused.")
    assert http.get("/appointment/reschedule?t=x").text == "Not found."
    assert status_of(owner, appointment_id) == "scheduled"
