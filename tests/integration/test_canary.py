"""No PII in audit rows or logs: a workload writes canaries into every PII field, then
every audit row and every captured log line is searched for them."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

import pazpaz.models as m
from pazpaz.services import (
    appointments,
    attachments,
    audit_log,
    auth,
    clients,
    invitations,
    plans,
    soap_notes,
    team,
    timeline,
)
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.clients import ClientInput, ListQuery
from pazpaz.services.scope import Actor, system_session
from tests.conftest import reset_caches
from tests.support.factories import CTX
from tests.support.services import start_s3

CANARY = "PIICANARY42"


@pytest.fixture
def with_s3(app_env, monkeypatch):
    weed = start_s3("s3-canary")
    s3 = weed.settings
    for name, value in (("S3_ENDPOINT_URL", s3.endpoint_url), ("S3_ACCESS_KEY_ID", s3.access_key_id),
                        ("S3_SECRET_ACCESS_KEY", s3.secret_access_key), ("S3_BUCKET", s3.bucket)):
        monkeypatch.setenv(name, value)
    reset_caches()
    yield
    weed.stop()


def test_canaries_never_reach_audit_rows_or_logs(app_env, with_s3, smtp_sink, caplog):
    caplog.set_level(logging.DEBUG)
    email = f"{CANARY.lower()}.owner@example.com"
    auth.signup(practice_name="Canary Practice", your_name=f"{CANARY} Owner", email=email,
                time_zone="Europe/Berlin", context=CTX)
    auth.request_link(email, CTX)
    auth.request_link(f"{CANARY.lower()}.unknown@example.com", CTX)
    with system_session() as session:
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
    invite_link = smtp_sink.wait_for_invitation(f"{CANARY.lower()}.assistant@example.com")
    team.list_invitations(owner)
    invitations.accept(invite_link.split("token=")[1], f"{CANARY} Accepted", CTX)
    clients.set_archived(owner, client_id, False)
    [appointment] = appointments.create_appointment(owner, AppointmentInput(
        str(client_id), "2026-12-01T10:00", "2026-12-01T11:00", notes=f"{CANARY} door code"))
    note_id, _ = soap_notes.open_for_appointment(owner, appointment)
    sections = {k: f"{CANARY} {k}" for k in soap_notes.SECTIONS}
    version = soap_notes.save_draft(owner, note_id, sections, soap_notes.get_note(owner, note_id).lock_version)
    version = soap_notes.finalize(owner, note_id, sections, version)
    soap_notes.amend(owner, note_id, {**sections, "plan": f"{CANARY} new plan"}, f"{CANARY} reason", version)
    goal = plans.add_goal(owner, client_id, f"{CANARY} goal")
    plans.add_milestone(owner, goal, f"{CANARY} milestone", "2026-12-02", f"{CANARY} progress")
    plans.save_summary(owner, client_id, f"{CANARY} summary")
    attachment = attachments.store(owner, client_id, f"{CANARY}-knee.pdf", b"%PDF-1.7\n%%EOF\n", note_id)
    attachments.download_url(owner, attachment)
    timeline.client_timeline(owner, client_id)
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


def test_the_totp_secret_never_reaches_logs_audit_rows_or_a_dump(app_env, smtp_sink, caplog):
    """The second factor's secret is the one value worth as much as a mailbox: it must stay
    encrypted at rest and out of every log line and audit row, through enrolment, sign-in
    with a code, refusals, a lockout and a reset."""
    import base64
    from datetime import timedelta

    import pyotp

    from pazpaz.services import second_factor, two_factor
    from tests.integration.test_encryption import pg_dump
    from tests.support.factories import make_workspace
    from tests.unit.test_second_factor import T0, enrolled, wrong_code
    from tests.unit.test_two_factor import link_for

    caplog.set_level(logging.DEBUG)
    actor = make_workspace()
    secret, codes = enrolled(actor)
    now = T0 + timedelta(hours=1)
    redeemed = auth.redeem_link(link_for(actor, smtp_sink, now), CTX, now=now)
    for i in range(5):
        with pytest.raises(second_factor.SecondStepRefused):
            two_factor.complete_sign_in(redeemed.pending_token, wrong_code(secret, now), CTX,
                                        now=now + timedelta(seconds=i))
    later = now + timedelta(minutes=16)
    redeemed = auth.redeem_link(link_for(actor, smtp_sink, later), CTX, now=later)
    two_factor.complete_sign_in(redeemed.pending_token, pyotp.TOTP(secret).at(later), CTX, now=later)
    dump = pg_dump(app_env)

    needles = {secret, secret.lower(), base64.b32decode(secret).hex(), *codes}
    assert "CREATE TABLE public.users" in dump
    for needle in needles:
        assert needle not in dump
    with system_session() as session:
        rows = [str(e.model_dump()) for e in session.exec(select(m.AuditEvent))]
    assert any("second_step" in row for row in rows)
    for needle in needles:
        assert not any(needle in row for row in rows)
        assert not any(needle in r.getMessage() for r in caplog.records)
