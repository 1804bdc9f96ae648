"""Schemathesis against /api/v1's own OpenAPI document (fetched from the running ASGI app)
with a read-write token: every operation gets generated requests, valid and invalid;
no response may be a 5xx, every response must match the document, and every error must be
application/problem+json. The last test checks at least 2,000 requests were sent."""

from __future__ import annotations

import hashlib
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from pazpaz.api.app import build_api
from pazpaz.services import clock
from tests.integration.test_isolation import seed_everything
from tests.support.api import token_for
from tests.support.factories import make_workspace

EXAMPLES_PER_OPERATION = 30
MIN_REQUESTS = 2_000
SENT: list[int] = []

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", build_api())
# Which seeded row a path parameter may point at (otherwise the generated id is kept: a 404).
SEEDED = {"client_id": "clients", "appointment_id": "appointments", "service_id": "services",
          "location_id": "locations", "note_id": "soap_notes", "goal_id": "goals", "attachment_id": "attachments",
          "token_id": "api_tokens"}


@schemathesis.check
def errors_are_problem_json(ctx, response, case) -> bool | None:
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        value = content_type[0] if isinstance(content_type, list) else content_type
        assert value.startswith("application/problem+json"), f"{response.status_code} answered as {value!r}"
        body = response.json()
        assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == response.status_code
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection, errors_are_problem_json]


@pytest.fixture
def fuzz_env(app_env, monkeypatch):
    from datetime import UTC, datetime

    from tests.conftest import reset_caches

    # The generator sends far more than a person would: lift the per-token limits here
    # (they have their own test), keep everything else as in production.
    monkeypatch.setenv("PAZPAZ_API_RATE_READ", "100000/minute")
    monkeypatch.setenv("PAZPAZ_API_RATE_WRITE", "100000/minute")
    reset_caches()
    owner = make_workspace()
    ids = seed_everything(owner)
    with clock.frozen(datetime(2026, 11, 2, 7, tzinfo=UTC)):
        yield {"Authorization": f"Bearer {token_for(owner)}"}, ids


def _negated(case, location: ParameterLocation) -> bool:
    component = case.meta.components.get(location) if case.meta else None
    return component is not None and component.mode == GenerationMode.NEGATIVE


def _point_at_seeded_rows(case, ids: dict[str, uuid.UUID]) -> None:
    """Half of the generated ids become real rows of the token's practice, so operations are
    exercised past the 404 (which half is decided by the case itself: reproducible). A path
    made invalid on purpose stays as generated."""
    if _negated(case, ParameterLocation.PATH):
        return
    for name, value in list((case.path_parameters or {}).items()):
        table = SEEDED.get(name)
        if table and hashlib.sha256(repr(value).encode()).digest()[0] % 2 == 0:
            case.path_parameters[name] = str(ids[table])


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(fuzz_env, case):
    auth, ids = fuzz_env
    _point_at_seeded_rows(case, ids)
    SENT.append(1)
    # Headers made invalid on purpose (a missing Authorization) are sent as generated.
    case.call_and_validate(headers=None if _negated(case, ParameterLocation.HEADER) else auth, checks=CHECKS)


def test_enough_requests_were_generated():
    # Counts what the fuzz test above sent in this session: run with the whole file (pytest
    # keeps file order), never on its own, or it fails with a count of 0.
    print(f"schemathesis sent {len(SENT)} requests")
    assert len(SENT) >= MIN_REQUESTS, len(SENT)
