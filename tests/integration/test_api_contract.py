"""/api/v1 contracts: booking conflicts (409 / override), stale lock_version (409), pagination
past 1,000 clients, the sort allow-list, bad ids, upload size and type, and the week list."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlmodel import select

from pazpaz.models import AuditEvent
from pazpaz.services import clients, clock
from pazpaz.services.clients import ClientInput
from pazpaz.services.scope import system_session
from tests.conftest import reset_caches
from tests.integration.test_api_foundations import assert_problem
from tests.support.api import api_client, bearer, token_for
from tests.support.factories import make_assistant, make_workspace
from tests.support.services import start_s3

NOW = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Berlin


@pytest.fixture
def api(app_env):
    owner = make_workspace()
    with clock.frozen(NOW):
        yield owner, api_client(), bearer(token_for(owner))


def _client(http, auth, first="Ann", last="Lee") -> str:
    response = http.post("/api/v1/clients", json={"first_name": first, "last_name": last}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _book(http, auth, client_id, start, end, **extra):
    return http.post("/api/v1/appointments", json={"client_id": client_id, "start": start, "end": end, **extra},
                     headers=auth)


def test_a_conflicting_booking_is_409_listing_conflicts_and_override_books_it(api):
    _owner, http, auth = api
    client_id = _client(http, auth)
    first = _book(http, auth, client_id, "2026-11-03T09:00:00+01:00", "2026-11-03T10:00:00+01:00")
    assert first.status_code == 201
    first_id = first.json()["ids"][0]
    clash = _book(http, auth, client_id, "2026-11-03T09:30:00+01:00", "2026-11-03T10:30:00+01:00")
    body = assert_problem(clash, 409)
    assert body["conflicts"] == [{"id": first_id, "start": "2026-11-03T09:00:00+01:00",
                                  "end": "2026-11-03T10:00:00+01:00", "client_initials": "A.L."}]
    checked = http.get("/api/v1/appointments/conflicts", params={"start": "2026-11-03T09:30:00+01:00",
                                                                 "end": "2026-11-03T10:30:00+01:00"}, headers=auth)
    assert checked.json() == [{**body["conflicts"][0]}]
    assert http.get("/api/v1/appointments/conflicts", params={
        "start": "2026-11-03T09:30:00+01:00", "end": "2026-11-03T10:30:00+01:00", "exclude_id": first_id},
        headers=auth).json() == []
    back_to_back = _book(http, auth, client_id, "2026-11-03T10:00:00+01:00", "2026-11-03T11:00:00+01:00")
    assert back_to_back.status_code == 201
    forced = _book(http, auth, client_id, "2026-11-03T09:30:00+01:00", "2026-11-03T10:30:00+01:00", override=True)
    assert forced.status_code == 201
    with system_session() as session:
        overrides = session.exec(select(AuditEvent).where(AuditEvent.action == "appointment.conflict_override")).all()
    assert [str(o.entity_id) for o in overrides] == forced.json()["ids"]
    assert overrides[0].details["source"] == "api"


def test_moving_onto_another_appointment_is_409_too(api):
    _owner, http, auth = api
    client_id = _client(http, auth)
    _book(http, auth, client_id, "2026-11-03T09:00:00+01:00", "2026-11-03T10:00:00+01:00")
    later = _book(http, auth, client_id, "2026-11-03T12:00:00+01:00", "2026-11-03T13:00:00+01:00").json()["ids"][0]
    move = {"start": "2026-11-03T09:15:00+01:00"}
    assert_problem(http.post(f"/api/v1/appointments/{later}/move", json=move, headers=auth), 409)
    moved = http.post(f"/api/v1/appointments/{later}/move", json={**move, "override": True}, headers=auth)
    assert moved.status_code == 200
    got = http.get(f"/api/v1/appointments/{later}", headers=auth).json()
    assert got["start"] == "2026-11-03T09:15:00+01:00" and got["end"] == "2026-11-03T10:15:00+01:00"


def test_weekly_series_and_scoped_changes(api):
    _owner, http, auth = api
    client_id = _client(http, auth)
    made = http.post("/api/v1/appointments", json={
        "client_id": client_id, "start": "2026-11-04T09:00:00+01:00", "duration_minutes": 50,
        "recurrence": {"interval_weeks": 1, "count": 4}}, headers=auth)
    assert made.status_code == 201 and len(made.json()["ids"]) == 4
    second = made.json()["ids"][1]
    cancelled = http.post(f"/api/v1/appointments/{second}/status", json={"status": "cancelled", "scope": "following"},
                          headers=auth)
    assert len(cancelled.json()["ids"]) == 3
    listed = http.get("/api/v1/appointments", params={"start": "2026-11-01T00:00:00+01:00",
                                                      "end": "2026-12-01T00:00:00+01:00", "status": "cancelled"},
                      headers=auth).json()
    assert listed["total"] == 3 and all(a["status"] == "cancelled" for a in listed["items"])
    assert_problem(http.put(f"/api/v1/appointments/{second}?scope=sometimes", json={
        "client_id": client_id, "start": "2026-11-11T09:00:00+01:00"}, headers=auth), 422)


def test_week_list_pages_filters_and_sorts(api):
    _owner, http, auth = api
    ann, bob = _client(http, auth), _client(http, auth, "Bob", "Ray")
    for day in range(2, 7):
        _book(http, auth, ann, f"2026-11-0{day}T09:00:00+01:00", f"2026-11-0{day}T10:00:00+01:00")
        _book(http, auth, bob, f"2026-11-0{day}T11:00:00+01:00", f"2026-11-0{day}T12:00:00+01:00")
    week = {"start": "2026-11-02T00:00:00+01:00", "end": "2026-11-09T00:00:00+01:00"}
    page = http.get("/api/v1/appointments", params={**week, "page_size": 4, "page": 3}, headers=auth).json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (10, 3, 4, 2)
    newest = http.get("/api/v1/appointments", params={**week, "sort": "-start"}, headers=auth).json()["items"]
    assert newest[0]["start"] == "2026-11-06T11:00:00+01:00"
    only_bob = http.get("/api/v1/appointments", params={**week, "client_id": bob}, headers=auth).json()
    assert only_bob["total"] == 5 and {a["client_name"] for a in only_bob["items"]} == {"Bob Ray"}
    assert_problem(http.get("/api/v1/appointments", params={**week, "sort": "client"}, headers=auth), 422)
    naive = {"start": "2026-11-02T00:00:00", "end": "2026-11-09T00:00:00"}
    assert_problem(http.get("/api/v1/appointments", params=naive, headers=auth), 422)


def test_stale_lock_version_is_409(api):
    _owner, http, auth = api
    client_id = _client(http, auth)
    note_id = http.post(f"/api/v1/clients/{client_id}/notes", headers=auth).json()["id"]
    note = http.get(f"/api/v1/notes/{note_id}", headers=auth).json()
    assert note["lock_version"] == 1 and note["versions"] == []
    draft = {"subjective": "sore neck", "objective": "", "assessment": "", "plan": "", "lock_version": 1}
    saved = http.put(f"/api/v1/notes/{note_id}/draft", json=draft, headers=auth)
    assert saved.json() == {"lock_version": 2}
    assert_problem(http.put(f"/api/v1/notes/{note_id}/draft", json=draft, headers=auth), 409)
    final = http.post(f"/api/v1/notes/{note_id}/finalize", json={**draft, "lock_version": 2}, headers=auth)
    assert final.json() == {"lock_version": 3}
    amended = http.post(f"/api/v1/notes/{note_id}/amend", json={**draft, "subjective": "better", "lock_version": 3,
                                                                "reason": "typo"}, headers=auth)
    assert amended.status_code == 200
    versions = http.get(f"/api/v1/notes/{note_id}", headers=auth).json()["versions"]
    assert [v["number"] for v in versions] == [1, 2] and versions[1]["reason"] == "typo"
    assert_problem(http.put(f"/api/v1/notes/{note_id}/draft", json={**draft, "lock_version": 4}, headers=auth), 409)


def test_pagination_totals_past_a_thousand_clients(api):
    owner, http, auth = api
    clients.import_clients(owner, [ClientInput(first_name=f"C{n:04d}", last_name="Bulk") for n in range(1001)])
    last = http.get("/api/v1/clients", params={"page": 6, "page_size": 200}, headers=auth).json()
    assert (last["total"], last["page"], last["page_size"], len(last["items"])) == (1001, 6, 200, 1)
    assert last["items"][0]["first_name"] == "C1000"
    default = http.get("/api/v1/clients", headers=auth).json()
    assert default["page_size"] == 50 and len(default["items"]) == 50
    found = http.get("/api/v1/clients", params={"q": "c0999"}, headers=auth).json()
    assert found["total"] == 1


def test_sort_allow_list_and_bad_uuids_are_422(api):
    _owner, http, auth = api
    assert_problem(http.get("/api/v1/clients", params={"sort": "email"}, headers=auth), 422)
    assert http.get("/api/v1/clients", params={"sort": "last_visit"}, headers=auth).status_code == 200
    for path in ("/api/v1/clients/123", "/api/v1/appointments/zzz", "/api/v1/notes/1e3", "/api/v1/goals/x/status",
                 "/api/v1/attachments/%00/download"):
        method = "POST" if path.endswith("status") else "GET"
        body = assert_problem(http.request(method, path, headers=auth, json={"status": "active"}), 422)
        assert body["errors"]
    bad_body = http.post("/api/v1/appointments", json={"client_id": "nope", "start": "2026-11-03T09:00:00+01:00"},
                         headers=auth)
    assert "client_id" in assert_problem(bad_body, 422)["errors"]


def test_assistant_tokens_see_clients_without_clinical_notes(api):
    owner, http, auth = api
    client_id = http.post("/api/v1/clients", json={"first_name": "Ann", "intake_notes": "clinical"},
                          headers=auth).json()["id"]
    assistant = bearer(token_for(make_assistant(owner)))
    seen = http.get(f"/api/v1/clients/{client_id}", headers=assistant).json()
    assert seen["first_name"] == "Ann" and seen["intake_notes"] is None
    assert http.get(f"/api/v1/clients/{client_id}", headers=auth).json()["intake_notes"] == "clinical"
    assert_problem(http.post("/api/v1/services", json={"name": "Massage", "duration_minutes": 60}, headers=assistant),
                   404)


def test_upload_over_the_limit_is_413_and_a_wrong_type_415(api):
    _owner, http, auth = api
    client_id = _client(http, auth)
    too_big = b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 + 1 - 9)
    assert len(too_big) == 10 * 1024 * 1024 + 1
    url = f"/api/v1/clients/{client_id}/attachments"
    assert_problem(http.post(url, files={"file": ("big.pdf", too_big, "application/pdf")}, headers=auth), 413)
    assert_problem(http.post(url, files={"file": ("notes.txt", b"just text", "text/plain")}, headers=auth), 415)
    assert_problem(http.post(url, files={"file": ("x.pdf", b"MZ\x90\x00", "application/pdf")}, headers=auth), 415)
    assert http.get(url, headers=auth).json()["total"] == 0


@pytest.fixture(scope="module")
def s3_server():
    weed = start_s3("s3-api")
    yield weed
    weed.stop()


def test_upload_list_download_and_delete(api, s3_server, monkeypatch):
    _owner, http, auth = api
    s3 = s3_server.settings
    for name, value in (("S3_ENDPOINT_URL", s3.endpoint_url), ("S3_ACCESS_KEY_ID", s3.access_key_id),
                        ("S3_SECRET_ACCESS_KEY", s3.secret_access_key), ("S3_BUCKET", s3.bucket)):
        monkeypatch.setenv(name, value)
    reset_caches()
    client_id = _client(http, auth)
    image = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 30)).save(image, format="PNG")
    made = http.post(f"/api/v1/clients/{client_id}/attachments",
                     files={"file": ("knee.png", image.getvalue(), "image/png")}, headers=auth)
    assert made.status_code == 201, made.text
    attachment_id = made.json()["id"]
    listed = http.get(f"/api/v1/clients/{client_id}/attachments", headers=auth).json()
    assert [a["file_name"] for a in listed["items"]] == ["knee.png"]
    link = http.get(f"/api/v1/attachments/{attachment_id}/download", headers=auth).json()
    assert link["url"].startswith(f"/api/v1/attachments/{attachment_id}/content?")
    assert http.get(link["url"]).status_code == 401  # the URL alone opens nothing
    other = bearer(token_for(make_workspace()))
    assert_problem(http.get(link["url"], headers=other), 404)
    body = http.get(link["url"], headers=auth)
    assert body.status_code == 200 and body.content.startswith(b"\x89PNG")
    assert http.delete(f"/api/v1/attachments/{attachment_id}", headers=auth).status_code == 204
    assert http.get(f"/api/v1/clients/{client_id}/attachments", headers=auth).json()["total"] == 0


def test_audit_events_as_json_and_csv(api):
    _owner, http, auth = api
    _client(http, auth)
    page = http.get("/api/v1/audit-events", params={"action": "client.created"}, headers=auth).json()
    assert page["total"] == 1 and page["items"][0]["action"] == "client.created"
    csv = http.get("/api/v1/audit-events", headers={**auth, "Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "client.created" in csv.text
    assert_problem(http.get("/api/v1/audit-events", params={"start": "yesterday"}, headers=auth), 422)


def test_plan_goals_and_milestones(api):
    _owner, http, auth = api
    client_id = _client(http, auth)
    assert http.put(f"/api/v1/clients/{client_id}/plan/summary", json={"summary": "Back pain"},
                    headers=auth).status_code == 204
    goal = http.post(f"/api/v1/clients/{client_id}/plan/goals", json={"text": "Walk 5 km",
                                                                       "target_date": "2027-03-01"}, headers=auth)
    goal_id = goal.json()["id"]
    assert http.post(f"/api/v1/goals/{goal_id}/milestones", json={"text": "1 km", "reached_on": "2026-11-01"},
                     headers=auth).status_code == 201
    plan = http.get(f"/api/v1/clients/{client_id}/plan", headers=auth).json()
    assert plan["summary"] == "Back pain" and plan["goals"][0]["progress"][0]["text"] == "1 km"
    assert http.post(f"/api/v1/goals/{goal_id}/status", json={"status": "achieved"}, headers=auth).status_code == 204
