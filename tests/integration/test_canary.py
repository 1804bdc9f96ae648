"""No PII in audit rows or logs: a workload writes canaries into every PII field, then
every audit row and every captured log line is searched for them."""

from __future__ import annotations

import logging

from sqlmodel import select

import pazpaz.models as m
from pazpaz.services import audit_log, auth, clients, team
from pazpaz.services.clients import ClientInput, ListQuery
from pazpaz.services.scope import Actor, system_session
from tests.support.factories import CTX

CANARY = "PIICANARY42"


def test_canaries_never_reach_audit_rows_or_logs(app_env, smtp_sink, caplog):
    caplog.set_level(logging.DEBUG)
    email = f"{CANARY.lower()}.owner@example.com"
    with system_session() as session:
        auth.signup(session, practice_name="Canary Practice", your_name=f"{CANARY} Owner", email=email,
                    time_zone="Europe/Berlin", context=CTX)
    with system_session() as session:
        auth.request_link(session, email, CTX)
        auth.request_link(session, f"{CANARY.lower()}.unknown@example.com", CTX)
        user = session.exec(select(m.User)).one()
    owner = Actor(workspace_id=user.workspace_id, user_id=user.id, role="owner", context=CTX)
    data = ClientInput(first_name=f"{CANARY}First", last_name=f"{CANARY}Last", email=f"{CANARY.lower()}@example.com",
                       phone="+44 20 7946 0000", date_of_birth="1980-05-05", address=f"{CANARY} Street 1",
                       emergency_contact=f"{CANARY} Emergency", intake_notes=f"{CANARY} medical history")
    client_id = clients.create_client(owner, data)
    clients.update_client(owner, client_id, ClientInput(**{**data.__dict__, "last_name": f"{CANARY}Renamed"}))
    clients.get_client(owner, client_id)
    assert clients.list_clients(owner, ListQuery(search=CANARY.lower())).total == 1
    clients.set_archived(owner, client_id, True)
    team.invite_assistant(owner, f"{CANARY.lower()}.assistant@example.com", f"{CANARY} Assistant")
    csv_text = audit_log.export_csv(owner, audit_log.AuditFilter())
    assert "client.created" in csv_text and "user.invited" in csv_text

    with system_session() as session:
        events = session.exec(select(m.AuditEvent)).all()
    assert len(events) >= 10
    for event in events:
        assert CANARY.lower() not in str(event.model_dump()).lower(), event.action
    # aiosmtpd ("mail.log") is the test's receiving mail server, not PazPaz: skip its lines.
    ours = [r for r in caplog.records if not r.name.startswith("mail.")]
    assert any(r.name.startswith("pazpaz") for r in ours), "the workload should have logged something"
    for record in ours:
        assert CANARY.lower() not in record.getMessage().lower(), record.name
    # The CSV names users (the owner's own staff) but never clients or their details.
    assert f"{CANARY}First".lower() not in csv_text.lower()
