"""/api/v1 foundations: tokens, auth, problem+json, pagination conventions, limits, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from pazpaz.models import ApiToken, AuditEvent
from pazpaz.models.base import utcnow
from pazpaz.services import api_tokens, clients, team
from pazpaz.services.errors import NotFound, ValidationFailed
from pazpaz.services.scope import system_session
from tests.support.api import api_client, bearer, token_for
from tests.support.factories import CTX, make_assistant, make_workspace

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"] and body["title"] and "instance" in body
    return body


def test_token_is_shown_once_and_stored_as_a_hash(app_env):
    owner = make_workspace()
    made = api_tokens.create(owner, "Import script", "read", 30)
    assert made.token.startswith("pzp_") and len(made.token) > 40
    with system_session() as session:
        row = session.exec(select(ApiToken).where(ApiToken.id == made.id)).one()
    assert made.token not in row.token_hash and len(row.token_hash) == 64
    assert row.expires_at - row.created_at == timedelta(days=30)
    listed = api_tokens.list_tokens(owner)
    assert [t.id for t in listed] == [made.id] and not hasattr(listed[0], "token")


def test_token_input_is_validated(app_env):
    owner = make_workspace()
    with pytest.raises(ValidationFailed) as refused:
        api_tokens.create(owner, " ", "admin", 0)
    assert set(refused.value.errors) == {"name", "scope", "days"}


def test_missing_unknown_expired_revoked_and_deactivated_tokens_get_401(app_env):
    owner = make_workspace()
    assistant = make_assistant(owner)
    http = api_client()
    assert_problem(http.get("/api/v1/clients"), 401)
    assert_problem(http.get("/api/v1/clients", headers=bearer("pzp_nope")), 401)
    assert http.get("/api/v1/clients").headers["www-authenticate"].startswith("Bearer")
    expired = api_tokens.create(owner, "old", "read", 1, now=utcnow() - timedelta(days=2)).token
    assert_problem(http.get("/api/v1/clients", headers=bearer(expired)), 401)
    revoked = api_tokens.create(owner, "gone", "read", None)
    api_tokens.revoke(owner, revoked.id)
    assert_problem(http.get("/api/v1/clients", headers=bearer(revoked.token)), 401)
    assistant_token = token_for(assistant)
    assert http.get("/api/v1/clients", headers=bearer(assistant_token)).status_code == 200
    team.deactivate(owner, assistant.user_id)
    assert_problem(http.get("/api/v1/clients", headers=bearer(assistant_token)), 401)
    with system_session() as session:
        row = session.exec(select(ApiToken).where(ApiToken.user_id == assistant.user_id)).one()
    assert row.revoked_at is not None, "deactivating a user revokes their tokens"
    team.reactivate(owner, assistant.user_id)
    assert_problem(http.get("/api/v1/clients", headers=bearer(assistant_token)), 401)


def test_cookies_are_never_authentication(app_env):
    from tests.support.factories import session_cookie

    owner = make_workspace()
    http = api_client()
    http.cookies.update(session_cookie(owner))
    assert_problem(http.get("/api/v1/clients"), 401)


def test_only_the_owner_or_the_tokens_user_revokes(app_env):
    owner, other = make_workspace(), make_workspace()
    assistant = make_assistant(owner)
    mine = api_tokens.create(owner, "mine", "read", 30)
    with pytest.raises(NotFound):
        api_tokens.revoke(assistant, mine.id)
    with pytest.raises(NotFound):
        api_tokens.revoke(other, mine.id)
    theirs = api_tokens.create(assistant, "theirs", "read", 30)
    api_tokens.revoke(owner, theirs.id)


def test_read_only_token_cannot_write(app_env):
    owner = make_workspace()
    http = api_client()
    token = token_for(owner, "read")
    body = assert_problem(http.post("/api/v1/clients", json={"first_name": "Ann"}, headers=bearer(token)), 403)
    assert "read-only" in body["detail"]
    assert clients.list_clients(owner, clients.ListQuery()).total == 0


def test_errors_are_problem_json(app_env):
    owner = make_workspace()
    http = api_client()
    auth = bearer(token_for(owner))
    assert_problem(http.get("/api/v1/clients/not-a-uuid", headers=auth), 422)
    assert_problem(http.get("/api/v1/clients/6a0e1d5e-0000-4000-8000-000000000000", headers=auth), 404)
    assert_problem(http.get("/api/v1/nowhere", headers=auth), 404)
    assert_problem(http.delete("/api/v1/clients", headers=auth), 405)
    assert_problem(http.post("/api/v1/clients", content=b"first_name=x", headers={
        **auth, "Content-Type": "application/x-www-form-urlencoded"}), 415)
    invalid = assert_problem(http.post("/api/v1/clients", json={"first_name": "", "email": "nope"}, headers=auth), 422)
    assert set(invalid["errors"]) == {"first_name", "email"}
    missing = assert_problem(http.post("/api/v1/clients", json={}, headers=auth), 422)
    assert "first_name" in missing["errors"]
    assert_problem(http.get("/api/v1/clients?sort=created_at", headers=auth), 422)
    assert_problem(http.get("/api/v1/clients?page_size=201", headers=auth), 422)
    assert_problem(http.get("/api/v1/clients?page=0", headers=auth), 422)
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    assert_problem(http.post("/api/v1/clients", content=big, headers={**auth, "Content-Type": "application/json"}),
                   413)


def test_an_unexpected_error_is_a_bare_problem_500(app_env, monkeypatch, caplog):
    owner = make_workspace()
    http = api_client()
    auth = bearer(token_for(owner))

    def broken(*args, **kwargs):
        raise RuntimeError("secret-canary-detail")

    monkeypatch.setattr(clients, "list_clients", broken)
    body = assert_problem(http.get("/api/v1/clients", headers=auth), 500)
    assert "secret-canary-detail" not in str(body) and "Traceback" not in str(body)
    assert "secret-canary-detail" not in caplog.text


def test_rate_limit_answers_429_with_retry_after(app_env, monkeypatch):
    from tests.conftest import reset_caches

    monkeypatch.setenv("PAZPAZ_API_RATE_READ", "3/minute")
    monkeypatch.setenv("PAZPAZ_API_RATE_WRITE", "1/minute")
    reset_caches()
    owner = make_workspace()
    http = api_client()
    auth = bearer(token_for(owner))
    for _ in range(3):
        assert http.get("/api/v1/clients", headers=auth).status_code == 200
    limited = http.get("/api/v1/clients", headers=auth)
    assert_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert http.post("/api/v1/clients", json={"first_name": "A"}, headers=auth).status_code == 201
    assert_problem(http.post("/api/v1/clients", json={"first_name": "B"}, headers=auth), 429)
    other = bearer(token_for(owner))  # limits are per token
    assert http.get("/api/v1/clients", headers=other).status_code == 200


def test_the_rate_limiter_fails_closed(app_env, monkeypatch):
    from pazpaz.services import ratelimit

    owner = make_workspace()
    http = api_client()
    auth = bearer(token_for(owner))

    def down(*args, **kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(ratelimit.get_api_limiter()._limiter, "hit", down)
    assert_problem(http.get("/api/v1/clients", headers=auth), 429)


def test_calls_are_audited_with_source_api_and_token_id(app_env):
    owner = make_workspace()
    http = api_client()
    made = api_tokens.create(owner, "audit me", "read-write", 30)
    created = http.post("/api/v1/clients", json={"first_name": "Ann", "last_name": "Lee"}, headers=bearer(made.token))
    client_id = created.json()["id"]
    http.get(f"/api/v1/clients/{client_id}", headers=bearer(made.token))
    http.get("/api/v1/clients", headers=bearer(made.token))
    with system_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.workspace_id == owner.workspace_id,
                                                       AuditEvent.action.like("client.%"))).all()
    assert sorted(e.action for e in events) == ["client.created", "client.listed", "client.read"]
    for event in events:
        assert event.details["source"] == "api" and event.details["token_id"] == str(made.id)
        assert made.token not in str(event.details)
        assert event.user_id == owner.user_id


def test_last_use_is_recorded(app_env):
    owner = make_workspace()
    made = api_tokens.create(owner, "used", "read", 30)
    assert api_tokens.list_tokens(owner)[0].last_used_at is None
    api_client().get("/api/v1/clients", headers=bearer(made.token))
    assert api_tokens.list_tokens(owner)[0].last_used_at is not None


def test_openapi_document_and_docs_page(app_env):
    http = api_client()
    document = http.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/clients" in document["paths"] and "Problem" in document["components"]["schemas"]
    page = http.get("/api/v1/docs")
    assert page.status_code == 200 and "<script" not in page.text.lower() and "/appointments" in page.text
    assert http.get("/api/v1/health").status_code in (200, 503)


def test_cli_creates_a_token_and_audits_it(app_env, capsys):
    from pazpaz import cli
    from pazpaz.models import User
    from pazpaz.services import crypto

    owner = make_workspace()
    with system_session() as session:
        user = session.exec(select(User).where(User.id == owner.user_id)).one()
        email = crypto.unseal(session, user, "email_encrypted")
    assert cli.main(["api-token", "create", "--email", email, "--name", "script", "--read-only", "--days", "7"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    identity = api_tokens.authenticate(token, CTX)
    assert identity is not None and identity.scope == "read" and identity.actor.user_id == owner.user_id
    with system_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "api_token.created")).one()
    assert event.details["via"] == "cli" and token not in str(event.details)
    assert cli.main(["api-token", "create", "--email", "nobody@example.com", "--name", "x"]) == 1


def test_a_revocation_written_elsewhere_is_seen_once_the_short_cache_lapses(app_env, monkeypatch):
    """Another worker process revokes in the database only; this process re-reads the token
    after AUTH_CACHE_SECONDS (0 here, so at once)."""
    from sqlalchemy import update

    owner = make_workspace()
    http = api_client()
    made = api_tokens.create(owner, "elsewhere", "read", 30)
    assert http.get("/api/v1/clients", headers=bearer(made.token)).status_code == 200
    monkeypatch.setattr(api_tokens, "AUTH_CACHE_SECONDS", 0.0)
    with system_session() as session:
        session.execute(update(ApiToken).where(ApiToken.id == made.id).values(revoked_at=utcnow()))
    assert_problem(http.get("/api/v1/clients", headers=bearer(made.token)), 401)


def test_a_busy_token_is_rechecked_in_the_background_and_a_revocation_elsewhere_is_seen(app_env, monkeypatch):
    """A request served from the still-fresh entry starts a re-check off its path (at most
    every AUTH_REFRESH_SECONDS, 0 here); it finds the revocation another process wrote, so
    the following request is refused long before AUTH_CACHE_SECONDS (60 here)."""
    import time

    from sqlalchemy import update

    owner = make_workspace()
    http = api_client()
    made = api_tokens.create(owner, "busy", "read", 30)
    monkeypatch.setattr(api_tokens, "AUTH_CACHE_SECONDS", 60.0)
    monkeypatch.setattr(api_tokens, "AUTH_REFRESH_SECONDS", 0.0)
    assert http.get("/api/v1/clients", headers=bearer(made.token)).status_code == 200
    with system_session() as session:
        session.execute(update(ApiToken).where(ApiToken.id == made.id).values(revoked_at=utcnow()))
    assert http.get("/api/v1/clients", headers=bearer(made.token)).status_code == 200  # within the bound
    deadline = time.monotonic() + 10
    while api_tokens.recently_verified(made.token, CTX) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api_tokens.recently_verified(made.token, CTX) is None
    assert_problem(http.get("/api/v1/clients", headers=bearer(made.token)), 401)
    assert not api_tokens._rechecking  # none left under way


def test_the_background_recheck_reads_every_due_token_in_one_statement(app_env, monkeypatch):
    """Tokens of many practices (a hosted server) are re-checked together: one SELECT for every
    token used in the last AUTH_ACTIVE_SECONDS, each refreshed or dropped; an idle one is not."""
    from sqlalchemy import event, update

    from pazpaz.db import get_read_engine

    made = [api_tokens.create(make_workspace(), f"script {n}", "read", 30) for n in range(4)]
    for token in made:
        assert api_tokens.authenticate(token.token, CTX) is not None
    before = {token.id: api_tokens._verified[api_tokens.hash_token(token.token)].checked_at for token in made}
    with system_session() as session:  # revoked by another process: only the database knows
        session.execute(update(ApiToken).where(ApiToken.id == made[2].id).values(revoked_at=utcnow()))
    monkeypatch.setattr(api_tokens, "AUTH_REFRESH_SECONDS", 0.0)
    starts = [api_tokens.cached(token.token, CTX)[1] for token in made[:3]]
    assert starts == [True, False, False]  # one re-check for all three
    selects: list[str] = []
    listener = lambda *args: selects.append(args[2]) if "api_tokens" in args[2] else None  # noqa: E731
    event.listen(get_read_engine(), "before_cursor_execute", listener)
    try:
        api_tokens.recheck_due()
    finally:
        event.remove(get_read_engine(), "before_cursor_execute", listener)
    assert len(selects) == 1
    for token in made[:2]:
        assert api_tokens._verified[api_tokens.hash_token(token.token)].checked_at > before[token.id]
    assert api_tokens.recently_verified(made[2].token, CTX) is None
    idle = api_tokens.hash_token(made[3].token)  # verified, never used since: not re-read
    assert api_tokens._verified[idle].checked_at == before[made[3].id]
    assert not api_tokens._rechecking


def test_a_check_that_read_before_a_revocation_here_does_not_cache_the_token(app_env, monkeypatch):
    """A check whose read saw the token valid, finishing after this process revoked it (a
    background re-check racing the revoke button), must not put it back in the cache."""
    from contextlib import contextmanager

    owner = make_workspace()
    made = api_tokens.create(owner, "racing", "read", 30)
    real = api_tokens.system_read_session

    @contextmanager
    def revoked_meanwhile():
        with real() as session:
            yield session
        api_tokens.revoke(owner, made.id)

    monkeypatch.setattr(api_tokens, "system_read_session", revoked_meanwhile)
    assert api_tokens.authenticate(made.token, CTX) is not None  # what the read saw
    assert api_tokens.recently_verified(made.token, CTX) is None


def test_a_check_between_the_revoke_and_its_commit_does_not_keep_the_token(app_env, monkeypatch):
    """The revoking transaction has forgotten the token but not committed yet: a request's check
    then still reads it as valid and caches it. The commit forgets it again."""
    from pazpaz.services import audit

    owner = make_workspace()
    made = api_tokens.create(owner, "racing", "read", 30)
    record = audit.record
    seen: list[object] = []

    def record_then_check(*args, **kwargs):
        record(*args, **kwargs)
        if args[1] == "api_token.revoked":  # inside revoke's transaction, before its commit
            seen.append(api_tokens.authenticate(made.token, CTX))

    monkeypatch.setattr(audit, "record", record_then_check)
    api_tokens.revoke(owner, made.id)
    assert seen and seen[0] is not None  # the uncommitted revocation was not visible to it
    assert api_tokens.recently_verified(made.token, CTX) is None


def test_no_pii_reaches_audit_rows_logs_or_problem_bodies(app_env, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    canary = "Zebracanary"
    owner = make_workspace()
    http = api_client()
    auth = bearer(token_for(owner))
    made = http.post("/api/v1/clients", json={"first_name": canary, "last_name": canary, "phone": "+972 50 123 4567",
                                              "intake_notes": canary}, headers=auth)
    client_id = made.json()["id"]
    http.get("/api/v1/clients", params={"q": canary}, headers=auth)
    http.put(f"/api/v1/clients/{client_id}", json={"first_name": canary, "email": canary}, headers=auth)
    refused = http.post("/api/v1/clients", json={"first_name": canary, canary: canary}, headers=auth)
    assert refused.status_code == 422 and canary.lower() not in refused.text.replace(f'"{canary}"', "").lower()
    assert "?" not in http.get("/api/v1/clients", params={"q": canary, "page": 0}, headers=auth).json()["instance"]
    with system_session() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.workspace_id == owner.workspace_id)).all()
    assert rows and all(canary.lower() not in str(row.details).lower() for row in rows)
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]  # httpx: the client
    assert server_lines and all(canary.lower() not in line.lower() for line in server_lines)
