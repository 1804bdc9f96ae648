"""Isolation over HTTP: workspace B's token on workspace A's ids answers 404 and changes
nothing; an assistant's token on clinical routes answers 404. The meta-test fails when a
route that takes an id has no case here."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from pazpaz.api.rest import build_fastapi
from tests.integration.test_isolation import row_counts, seed_everything, table_hash
from tests.support.api import api_client, bearer, token_for
from tests.support.factories import make_assistant, make_workspace

Ids = dict[str, uuid.UUID]
Request = tuple[str, dict]  # path (under /api/v1, query included), requests keyword arguments
PDF = b"%PDF-1.7\n%%EOF\n"
WHEN = {"start": "2026-11-03T09:00:00+01:00", "end": "2026-11-03T10:00:00+01:00"}
SECTIONS = {"subjective": "s", "objective": "", "assessment": "", "plan": ""}

# "METHOD /path/{param}" -> the request with workspace A's ids.
CASES: dict[str, Callable[[Ids], Request]] = {
    "GET /clients/{client_id}": lambda i: (f"/clients/{i['clients']}", {}),
    "PUT /clients/{client_id}": lambda i: (f"/clients/{i['clients']}", {"json": {"first_name": "Hijacked"}}),
    "POST /clients/{client_id}/archive": lambda i: (f"/clients/{i['clients']}/archive", {}),
    "POST /clients/{client_id}/restore": lambda i: (f"/clients/{i['clients']}/restore", {}),
    "GET /clients/{client_id}/timeline": lambda i: (f"/clients/{i['clients']}/timeline", {}),
    "GET /appointments/{appointment_id}": lambda i: (f"/appointments/{i['appointments']}", {}),
    "PUT /appointments/{appointment_id}": lambda i: (
        f"/appointments/{i['appointments']}?scope=all", {"json": {"client_id": str(i["clients"]), **WHEN}}),
    "POST /appointments/{appointment_id}/move": lambda i: (f"/appointments/{i['appointments']}/move",
                                                           {"json": WHEN}),
    "POST /appointments/{appointment_id}/status": lambda i: (f"/appointments/{i['appointments']}/status",
                                                             {"json": {"status": "cancelled"}}),
    "POST /appointments/{appointment_id}/note": lambda i: (f"/appointments/{i['appointments']}/note", {}),
    "GET /services/{service_id}": lambda i: (f"/services/{i['services']}", {}),
    "PUT /services/{service_id}": lambda i: (f"/services/{i['services']}",
                                             {"json": {"name": "X", "duration_minutes": 30}}),
    "POST /services/{service_id}/active": lambda i: (f"/services/{i['services']}/active", {"json": {"active": False}}),
    "GET /locations/{location_id}": lambda i: (f"/locations/{i['locations']}", {}),
    "PUT /locations/{location_id}": lambda i: (f"/locations/{i['locations']}", {"json": {"name": "X",
                                                                                       "kind": "online"}}),
    "POST /locations/{location_id}/active": lambda i: (f"/locations/{i['locations']}/active",
                                                       {"json": {"active": False}}),
    "GET /clients/{client_id}/notes": lambda i: (f"/clients/{i['clients']}/notes", {}),
    "POST /clients/{client_id}/notes": lambda i: (f"/clients/{i['clients']}/notes", {}),
    "GET /notes/{note_id}": lambda i: (f"/notes/{i['soap_notes']}", {}),
    "PUT /notes/{note_id}/draft": lambda i: (f"/notes/{i['soap_notes']}/draft",
                                             {"json": {**SECTIONS, "lock_version": 1}}),
    "POST /notes/{note_id}/finalize": lambda i: (f"/notes/{i['soap_notes']}/finalize",
                                                 {"json": {**SECTIONS, "lock_version": 1}}),
    "POST /notes/{note_id}/amend": lambda i: (f"/notes/{i['soap_notes']}/amend",
                                              {"json": {**SECTIONS, "lock_version": 1, "reason": "why"}}),
    "GET /notes/{note_id}/goals": lambda i: (f"/notes/{i['soap_notes']}/goals", {}),
    "PUT /notes/{note_id}/goals": lambda i: (f"/notes/{i['soap_notes']}/goals", {"json": {"goal_ids": []}}),
    "GET /clients/{client_id}/plan": lambda i: (f"/clients/{i['clients']}/plan", {}),
    "PUT /clients/{client_id}/plan/summary": lambda i: (f"/clients/{i['clients']}/plan/summary",
                                                        {"json": {"summary": "x"}}),
    "POST /clients/{client_id}/plan/goals": lambda i: (f"/clients/{i['clients']}/plan/goals", {"json": {"text": "x"}}),
    "POST /goals/{goal_id}/status": lambda i: (f"/goals/{i['goals']}/status", {"json": {"status": "dropped"}}),
    "POST /goals/{goal_id}/milestones": lambda i: (f"/goals/{i['goals']}/milestones", {"json": {"text": "x"}}),
    "GET /clients/{client_id}/attachments": lambda i: (f"/clients/{i['clients']}/attachments", {}),
    "POST /clients/{client_id}/attachments": lambda i: (f"/clients/{i['clients']}/attachments",
                                                        {"files": {"file": ("a.pdf", PDF, "application/pdf")}}),
    "GET /attachments/{attachment_id}/download": lambda i: (f"/attachments/{i['attachments']}/download", {}),
    "GET /attachments/{attachment_id}/content": lambda i: (
        f"/attachments/{i['attachments']}/content?w={i['workspace']}&v=full&e=9999999999&s=x", {}),
    "DELETE /attachments/{attachment_id}": lambda i: (f"/attachments/{i['attachments']}", {}),
    "DELETE /tokens/{token_id}": lambda i: (f"/tokens/{i['api_tokens']}", {}),
}
# Owner-only data (docs/ARCHITECTURE.md "Workspace scoping", roles): an assistant hears 404.
CLINICAL = [key for key in CASES if any(part in key for part in ("/notes", "/note", "/plan", "/goals",
                                                                 "attachments"))] + ["GET /audit-events"]
CLINICAL_REQUESTS: dict[str, Callable[[Ids], Request]] = {**CASES, "GET /audit-events": lambda i: ("/audit-events",
                                                                                                   {})}


def id_routes() -> set[str]:
    """Every operation the API serves whose path takes an id (read from its OpenAPI document)."""
    paths = build_fastapi().openapi()["paths"]
    return {f"{method.upper()} {path}" for path, operations in paths.items() if "{" in path
            for method in operations}


def test_every_route_that_takes_an_id_has_an_isolation_case():
    missing = id_routes() - set(CASES)
    assert not missing, f"routes without an isolation case in this file: {sorted(missing)}"
    assert not set(CASES) - id_routes(), "a case names a route that no longer exists"


def _send(http, key: str, request: Request, token: str):
    method = key.split(" ", 1)[0]
    path, kwargs = request
    return http.request(method, "/api/v1" + path, headers=bearer(token), **kwargs)


@pytest.mark.parametrize("key", sorted(CASES))
def test_another_workspaces_token_gets_404_and_changes_nothing(app_env, key):
    a, b = make_workspace("A"), make_workspace("B")
    ids = {**seed_everything(a), "workspace": a.workspace_id}
    http = api_client()
    token = token_for(b)
    assert http.get("/api/v1/clients", headers=bearer(token)).status_code == 200  # first use recorded now
    before_counts, before_hash = row_counts(), table_hash()
    response = _send(http, key, CASES[key](ids), token)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert row_counts() == before_counts
    assert table_hash() == before_hash, "a refused call changed a row"


@pytest.mark.parametrize("key", sorted(CLINICAL))
def test_an_assistants_token_gets_404_on_clinical_routes(app_env, key):
    a = make_workspace("A")
    ids = {**seed_everything(a), "workspace": a.workspace_id}
    assistant = make_assistant(a)
    http = api_client()
    token = token_for(assistant)
    assert http.get("/api/v1/clients", headers=bearer(token)).status_code == 200
    before_counts, before_hash = row_counts(), table_hash()
    response = _send(http, key, CLINICAL_REQUESTS[key](ids), token)
    assert response.status_code == 404, response.text
    assert row_counts() == before_counts
    assert table_hash() == before_hash


def test_lists_filtered_by_another_workspaces_ids_are_empty(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    ids = seed_everything(a)
    http = api_client()
    auth = bearer(token_for(b))
    week = {"start": "2026-11-01T00:00:00+01:00", "end": "2026-11-08T00:00:00+01:00"}
    assert http.get("/api/v1/appointments", params={**week, "client_id": str(ids["clients"])},
                    headers=auth).json()["total"] == 0
    assert http.get("/api/v1/appointments", params=week, headers=auth).json()["items"] == []
    assert http.get("/api/v1/appointments/conflicts", params={"start": "2026-11-02T09:00:00+00:00",
                                                              "end": "2026-11-02T12:00:00+00:00"},
                    headers=auth).json() == []
    assert http.get("/api/v1/clients", headers=auth).json()["total"] == 0
    assert http.get("/api/v1/services", headers=auth).json()["total"] == 0
    assert all(t["id"] != str(ids["api_tokens"]) for t in http.get("/api/v1/tokens", headers=auth).json()["items"])
