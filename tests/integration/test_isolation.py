"""Workspace isolation: every scoped table is in this suite, and every service that
takes an id answers "not found" to another workspace and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, text
from sqlmodel import SQLModel, select

import pazpaz.models as m
from pazpaz.db import get_engine
from pazpaz.services import (
    api_tokens,
    appointments,
    attachments,
    audit_log,
    catalog,
    clients,
    erasure,
    exports,
    plans,
    reminders,
    sessions,
    soap_notes,
    team,
    timeline,
    two_factor,
)
from pazpaz.services.clients import ClientInput, ListQuery
from pazpaz.services.errors import NotFound
from pazpaz.services.scope import ScopeViolation, scoped_models, system_session, workspace_session
from tests.support.factories import CTX, make_assistant, make_workspace

# Every table with a workspace_id column must be listed here, with the model that maps it.
ISOLATED_TABLES: dict[str, type[SQLModel]] = {
    "users": m.User, "workspace_keys": m.WorkspaceKey, "magic_link_tokens": m.MagicLinkToken,
    "auth_sessions": m.AuthSession, "audit_events": m.AuditEvent, "clients": m.Client,
    "services": m.Service, "locations": m.Location, "appointments": m.Appointment,
    "soap_notes": m.SoapNote, "soap_note_versions": m.SoapNoteVersion, "plans_of_care": m.PlanOfCare,
    "goals": m.Goal, "milestones": m.Milestone, "attachments": m.Attachment, "soap_note_goals": m.SoapNoteGoal,
    "backup_codes": m.BackupCode, "pending_signins": m.PendingSignIn,
    "calendar_feed_tokens": m.CalendarFeedToken,
    "invitations": m.Invitation,
    "reminder_deliveries": m.ReminderDelivery, "client_responses": m.ClientResponse,
    "agenda_deliveries": m.AgendaDelivery,
    "api_tokens": m.ApiToken,
    "data_exports": m.DataExport,
}


def test_every_workspace_table_is_in_the_isolation_suite(app_env):
    inspector = inspect(get_engine())
    with_workspace = {
        table for table in inspector.get_table_names()
        if any(c["name"] == "workspace_id" for c in inspector.get_columns(table))
    }
    assert with_workspace == set(ISOLATED_TABLES), "a table with workspace_id is missing from this suite"
    assert {model.__tablename__ for model in scoped_models()} == with_workspace


def test_workspace_id_leads_a_composite_or_own_index(app_env):
    inspector = inspect(get_engine())
    for table in ISOLATED_TABLES:
        leading = {next(iter(ix["column_names"])) for ix in inspector.get_indexes(table)}
        assert "workspace_id" in leading, f"{table} has no index starting with workspace_id"


def seed_everything(actor) -> dict[str, uuid.UUID]:
    """One row in every scoped table, owned by actor's workspace."""
    from pazpaz.services import auth, calendar_feed, crypto, second_factor

    ids: dict[str, uuid.UUID] = {}
    client_id = clients.create_client(actor, ClientInput(first_name="Seed", last_name="Client",
                                                         intake_notes="seed notes"))
    ids["clients"] = client_id
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with workspace_session(actor) as session:
        ws = actor.workspace_id
        service = m.Service(workspace_id=ws, name="Massage 60", default_duration_minutes=60)
        location = m.Location(workspace_id=ws, name="Clinic", kind="clinic")
        session.add_all([service, location])
        session.flush()
        appointment = m.Appointment(workspace_id=ws, client_id=client_id, service_id=service.id,
                                    location_id=location.id, starts_at=now, ends_at=now + timedelta(hours=1))
        session.add(appointment)
        session.flush()
        note = m.SoapNote(workspace_id=ws, client_id=client_id, appointment_id=appointment.id,
                          session_date=date(2026, 11, 2))
        session.add(note)
        session.flush()
        crypto.seal(session, note, "subjective_enc", "seed subjective")
        version = m.SoapNoteVersion(workspace_id=ws, note_id=note.id, version_number=1, content_hash="0" * 64,
                                    created_by=actor.user_id)
        plan = m.PlanOfCare(workspace_id=ws, client_id=client_id)
        session.add_all([version, plan])
        session.flush()
        goal = m.Goal(id=uuid.uuid4(), workspace_id=ws, plan_id=plan.id, text_enc=b"")
        crypto.seal(session, goal, "text_enc", "walk 5 km")
        session.add(goal)
        session.flush()
        milestone = m.Milestone(id=uuid.uuid4(), workspace_id=ws, goal_id=goal.id, text_enc=b"")
        crypto.seal(session, milestone, "text_enc", "walk 1 km")
        attachment = m.Attachment(id=uuid.uuid4(), workspace_id=ws, client_id=client_id, file_name_enc=b"",
                                  content_type="image/jpeg", s3_key=f"workspaces/{ws}/{uuid.uuid4()}",
                                  status="complete")
        crypto.seal(session, attachment, "file_name_enc", "back.jpg")
        session.add_all([milestone, attachment, m.SoapNoteGoal(note_id=note.id, goal_id=goal.id, workspace_id=ws)])
        user = session.exec(select(m.User).where(m.User.id == actor.user_id)).one()
        auth.issue_link(session, user, "signin", "/", actor.context, now)
        _, signed_in = auth.open_session(session, user, actor.context, now)
        ids["auth_sessions"] = signed_in.session_id
        second_factor.replace_backup_codes(session, user, now)
        second_factor.start_pending(session, user, "enrol", "/", CTX, now)
        ids.update(seed_reminders(session, ws, appointment.id, actor.user_id, now))
        export = m.DataExport(workspace_id=ws, user_id=actor.user_id, client_id=client_id, status="done")
        session.add(export)
        session.flush()
        ids["data_exports"] = export.id
        ids.update(services=service.id, locations=location.id, appointments=appointment.id, soap_notes=note.id,
                   soap_note_versions=version.id, plans_of_care=plan.id, goals=goal.id, milestones=milestone.id,
                   attachments=attachment.id)
    calendar_feed.issue(actor)
    with workspace_session(actor) as session:
        ids["calendar_feed_tokens"] = session.exec(select(m.CalendarFeedToken.id)).one()
    ids["invitations"] = team.invite_assistant(actor, f"invitee-{uuid.uuid4().hex[:8]}@example.com", "Invitee")
    ids["api_tokens"] = api_tokens.create(actor, "Seed token", "read", 30).id
    return ids


def seed_reminders(session, ws: uuid.UUID, appointment_id: uuid.UUID, user_id: uuid.UUID,
                   now: datetime) -> dict[str, uuid.UUID]:
    delivery = m.ReminderDelivery(workspace_id=ws, appointment_id=appointment_id, offset_minutes=1440,
                                  starts_at=now, status="sent")
    response = m.ClientResponse(workspace_id=ws, appointment_id=appointment_id, action="cancelled")
    agenda = m.AgendaDelivery(workspace_id=ws, user_id=user_id, day=now.date())
    session.add_all([delivery, response, agenda])
    session.flush()
    return {"reminder_deliveries": delivery.id, "client_responses": response.id, "agenda_deliveries": agenda.id}


def row_counts() -> dict[str, int]:
    with system_session() as session:
        return {t: session.exec(select(func.count()).select_from(model)).one() for t, model in ISOLATED_TABLES.items()}


def table_hash() -> str:
    with get_engine().connect() as connection:
        parts = [str(connection.execute(text(f"SELECT md5(coalesce(string_agg(t::text, '' ORDER BY t::text), '')) "
                                             f"FROM {table} t")).scalar()) for table in ISOLATED_TABLES]
    return "".join(parts)


def test_a_scoped_session_sees_only_its_own_rows_in_every_table(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    seed_everything(a)
    seed_everything(b)
    for table, model in ISOLATED_TABLES.items():
        with workspace_session(b) as session:
            rows = session.exec(select(model)).all()
            assert rows, f"{table}: B should see its own rows"
            assert {r.workspace_id for r in rows} == {b.workspace_id}, f"{table} leaked across workspaces"


def test_lookups_by_id_of_another_workspace_find_nothing(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    ids = seed_everything(a)
    for table, row_id in ids.items():
        model = ISOLATED_TABLES[table]
        with workspace_session(b) as session:
            assert session.exec(select(model).where(model.id == row_id)).first() is None, table
            assert session.get(model, row_id) is None, table


def test_queries_without_a_workspace_context_raise(app_env):
    from pazpaz.db import transaction

    for _table, model in ISOLATED_TABLES.items():
        with pytest.raises(ScopeViolation), transaction() as session:
            session.exec(select(model)).all()


def test_writes_into_another_workspace_are_refused(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    with pytest.raises(ScopeViolation), workspace_session(b) as session:
        session.add(m.Service(workspace_id=a.workspace_id, name="Sneaky"))
    before = row_counts()
    with pytest.raises(ScopeViolation), workspace_session(b) as session:
        session.add(m.Location(workspace_id=a.workspace_id, name="Sneaky", kind="home"))
    assert row_counts() == before


def test_insert_statements_into_another_workspace_are_refused(app_env):
    """INSERT ... ON CONFLICT (open-or-create) bypasses the flush: the choke point checks it too."""
    from sqlalchemy.dialects.postgresql import insert

    a, b = make_workspace("A"), make_workspace("B")
    client_id = clients.create_client(a, ClientInput(first_name="Plan", last_name="Owner"))
    before = row_counts()
    statement = insert(m.PlanOfCare).values(id=uuid.uuid4(), workspace_id=a.workspace_id, client_id=client_id,
                                            created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
    with pytest.raises(ScopeViolation), workspace_session(b) as session:
        session.execute(statement)
    with pytest.raises(ScopeViolation), workspace_session(b) as session:
        session.execute(insert(m.PlanOfCare), [{"id": uuid.uuid4(), "workspace_id": a.workspace_id,
                                                "client_id": client_id, "created_at": datetime.now(UTC),
                                                "updated_at": datetime.now(UTC)}])
    assert row_counts() == before
    with workspace_session(a) as session:  # the owner's own insert goes through
        session.execute(statement)
    assert row_counts()["plans_of_care"] == before["plans_of_care"] + 1


def _idor_calls(a_ids: dict[str, uuid.UUID], a_user: uuid.UUID) -> dict[str, Callable]:
    from pazpaz.services import calendar_feed

    client_id = a_ids["clients"]
    return {
        "clients.get_client": lambda actor: clients.get_client(actor, client_id),
        "clients.update_client": lambda actor: clients.update_client(actor, client_id,
                                                                     ClientInput(first_name="Hijacked")),
        "clients.set_archived": lambda actor: clients.set_archived(actor, client_id, True),
        "clients.set_restored": lambda actor: clients.set_archived(actor, client_id, False),
        "team.deactivate": lambda actor: team.deactivate(actor, a_user),
        "team.reactivate": lambda actor: team.reactivate(actor, a_user),
        "catalog.save_service": lambda actor: catalog.save_service(
            actor, catalog.ServiceInput("X", "30"), a_ids["services"]),
        "catalog.set_service_active": lambda actor: catalog.set_service_active(actor, a_ids["services"], False),
        "catalog.save_location": lambda actor: catalog.save_location(
            actor, catalog.LocationInput("X", "online"), a_ids["locations"]),
        "catalog.set_location_active": lambda actor: catalog.set_location_active(actor, a_ids["locations"], False),
        "appointments.get_appointment": lambda actor: appointments.get_appointment(actor, a_ids["appointments"]),
        "appointments.update_appointment": lambda actor: appointments.update_appointment(
            actor, a_ids["appointments"], appointments.AppointmentInput(str(client_id), "2026-11-03T09:00",
                                                                        "2026-11-03T10:00")),
        "appointments.move_appointment": lambda actor: appointments.move_appointment(
            actor, a_ids["appointments"], "2026-11-03T09:00", "2026-11-03T10:00"),
        "appointments.set_status": lambda actor: appointments.set_status(actor, a_ids["appointments"], "cancelled"),
        "soap_notes.get_note": lambda actor: soap_notes.get_note(actor, a_ids["soap_notes"]),
        "soap_notes.save_draft": lambda actor: soap_notes.save_draft(actor, a_ids["soap_notes"], {"plan": "x"}, 1),
        "soap_notes.finalize": lambda actor: soap_notes.finalize(actor, a_ids["soap_notes"], {"plan": "x"}, 1),
        "soap_notes.amend": lambda actor: soap_notes.amend(actor, a_ids["soap_notes"], {"plan": "x"}, "why", 1),
        "soap_notes.open_for_appointment": lambda actor: soap_notes.open_for_appointment(
            actor, a_ids["appointments"]),
        "soap_notes.create_for_client": lambda actor: soap_notes.create_for_client(actor, client_id),
        "attachments.store": lambda actor: attachments.store(actor, client_id, "a.pdf", b"%PDF-1.7\n%%EOF\n"),
        "attachments.download_url": lambda actor: attachments.download_url(actor, a_ids["attachments"]),
        "attachments.delete": lambda actor: attachments.delete(actor, a_ids["attachments"]),
        "plans.get_plan": lambda actor: plans.get_plan(actor, client_id),
        "plans.save_summary": lambda actor: plans.save_summary(actor, client_id, "x"),
        "plans.add_goal": lambda actor: plans.add_goal(actor, client_id, "x"),
        "plans.set_goal_status": lambda actor: plans.set_goal_status(actor, a_ids["goals"], "dropped"),
        "plans.add_milestone": lambda actor: plans.add_milestone(actor, a_ids["goals"], "x"),
        "plans.tag_goals": lambda actor: plans.tag_goals(actor, a_ids["soap_notes"], []),
        "plans.note_goals": lambda actor: plans.note_goals(actor, a_ids["soap_notes"]),
        "timeline.client_timeline": lambda actor: timeline.client_timeline(actor, client_id),
        "two_factor.reset_for": lambda actor: two_factor.reset_for(actor, a_user),
        # B has no feed link of its own: changing "the" link finds nothing, A's stays as it was.
        "calendar_feed.set_full_names": lambda actor: calendar_feed.set_full_names(actor, True),
        "team.resend_invitation": lambda actor: team.resend_invitation(actor, a_ids["invitations"]),
        "team.revoke_invitation": lambda actor: team.revoke_invitation(actor, a_ids["invitations"]),
        "sessions.revoke_session": lambda actor: sessions.revoke_session(actor, a_ids["auth_sessions"]),
        "reminders.set_client_opt_out": lambda actor: reminders.set_client_opt_out(actor, client_id, True),
        "reminders.client_status": lambda actor: reminders.client_status(actor, client_id),
        "api_tokens.revoke": lambda actor: api_tokens.revoke(actor, a_ids["api_tokens"]),
        "erasure.erase_client": lambda actor: erasure.erase_client(actor, client_id, "Seed Client", "client_request"),
        "erasure.set_legal_hold": lambda actor: erasure.set_legal_hold(actor, client_id, "hold"),
        "erasure.legal_hold": lambda actor: erasure.legal_hold(actor, client_id),
        "exports.request_export": lambda actor: exports.request_export(actor, client_id, defer=False),
        "exports.export_status": lambda actor: exports.export_status(actor, a_ids["data_exports"]),
        "exports.download_url": lambda actor: exports.download_url(actor, a_ids["data_exports"]),
    }


@pytest.mark.parametrize("call", list(_idor_calls({t: uuid.uuid4() for t in ISOLATED_TABLES}, uuid.uuid4())))
def test_services_answer_not_found_to_another_workspace(app_env, call):
    a, b = make_workspace("A"), make_workspace("B")
    a_ids = seed_everything(a)
    assistant_a = make_assistant(a)
    before_counts, before_hash = row_counts(), table_hash()
    with pytest.raises(NotFound):
        _idor_calls(a_ids, assistant_a.user_id)[call](b)
    assert row_counts() == before_counts
    assert table_hash() == before_hash, "a refused call changed a row"


def a_ids_client(actor) -> uuid.UUID:
    with workspace_session(actor) as session:
        return session.exec(select(m.Client.id)).first()


def test_lists_never_include_another_workspace(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    seed_everything(a)
    assert clients.list_clients(b, ListQuery()).total == 0
    assert all(member.id != a.user_id for member in team.list_members(b))
    assert team.list_invitations(b) == [] and len(team.list_invitations(a)) == 1
    assert sessions.list_sessions(b) == []
    with system_session() as session:
        b_events = session.exec(select(func.count()).select_from(m.AuditEvent).where(
            m.AuditEvent.workspace_id == b.workspace_id)).one()
        a_events = session.exec(select(func.count()).select_from(m.AuditEvent).where(
            m.AuditEvent.workspace_id == a.workspace_id)).one()
    assert a_events > 0
    assert audit_log.list_events(b, audit_log.AuditFilter()).total == b_events
    assert catalog.list_services(b) == [] and catalog.list_locations(b) == []
    assert catalog.booking_choices(b) == catalog.BookingChoices([], [])
    assert appointments.schedule(b, date(2026, 11, 1), days=7) == []
    assert appointments.check_times(b, "2026-11-02T09:00", "2026-11-02T12:00") == []
    assert len(appointments.check_times(a, "2026-11-02T09:00", "2026-11-02T12:00")) == 1
    assert soap_notes.client_notes(b, a_ids_client(a)) == []
    assert attachments.list_for(b, a_ids_client(a)) == []


def test_joined_scoped_tables_are_filtered_too(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    seed_everything(a)
    seed_everything(b)
    with workspace_session(b) as session:
        # Selecting only B-scoped columns while joining clients: no A row may come through.
        joined = session.exec(select(m.Appointment.id, m.Client.workspace_id)
                              .join(m.Client, m.Client.id == m.Appointment.client_id)).all()
        assert joined and {ws for _, ws in joined} == {b.workspace_id}
        counted = session.exec(select(func.count()).select_from(m.Appointment)).one()
        assert counted == 1


def test_counting_a_scoped_table_without_context_raises(app_env):
    from pazpaz.db import transaction

    with pytest.raises(ScopeViolation), transaction() as session:
        session.exec(select(func.count()).select_from(m.Client)).one()


def test_a_feed_link_of_workspace_b_never_shows_workspace_a(app_env):
    """The link is resolved across workspaces only to find its owner; the schedule is then
    read through B's scoped session, so A's appointments can't appear."""
    from icalendar import Calendar
    from starlette.testclient import TestClient

    from pazpaz.api.app import build_api
    from pazpaz.services import calendar_feed, clock

    a, b = make_workspace("A"), make_workspace("B")
    a_ids, b_ids = seed_everything(a), seed_everything(b)
    with clock.frozen(datetime(2026, 11, 1, 12, tzinfo=UTC)):
        a_url, b_url = calendar_feed.issue(a).url, calendar_feed.issue(b).url
        with TestClient(build_api()) as client:
            b_feed = Calendar.from_ical(client.get(b_url.removeprefix("http://localhost:3100")).content)
            a_feed = Calendar.from_ical(client.get(a_url.removeprefix("http://localhost:3100")).content)
    assert [str(e["UID"]) for e in b_feed.walk("VEVENT")] == [f"{b_ids['appointments']}@pazpaz"]
    assert [str(e["UID"]) for e in a_feed.walk("VEVENT")] == [f"{a_ids['appointments']}@pazpaz"]
    assert str(b_feed["X-WR-CALNAME"]) == "PazPaz · B"


def test_client_answers_and_reminder_settings_stay_in_their_workspace(app_env):
    a, b = make_workspace("A"), make_workspace("B")
    seed_everything(a)
    assert reminders.unseen_cancellations(a) == 1
    assert reminders.unseen_cancellations(b) == 0
    assert reminders.mark_cancellations_seen(b) == 0
    assert reminders.unseen_cancellations(a) == 1
    reminders.save_settings(a, reminders.ReminderSettings(enabled=True))
    assert reminders.get_settings_for(b).enabled is False


def test_today_shows_only_its_own_workspace(app_env):
    from pazpaz.services import clock, today

    a, b = make_workspace("A", time_zone="UTC"), make_workspace("B", time_zone="UTC")
    seed_everything(a)  # an appointment at 09:00 UTC on 2 Nov 2026 and a draft note
    with clock.frozen(datetime(2026, 11, 2, 8, tzinfo=UTC)):
        mine, theirs = today.today(a), today.today(b)
    assert len(mine.appointments) == 1 and len(mine.drafts) == 1
    assert theirs.appointments == [] and theirs.drafts == [] and theirs.gaps == []
    # B's checklist counts B's data only: A's service, client and booking tick nothing.
    assert [step.done for step in theirs.checklist] == [False] * 6
