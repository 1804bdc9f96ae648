"""Plans of care (goals, milestones, note tags, progress) and the client timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pazpaz.services import appointments, clients, clock, plans, soap_notes, timeline
from pazpaz.services.appointments import AppointmentInput
from pazpaz.services.clients import ClientInput
from pazpaz.services.errors import NotFound, ServiceError, ValidationFailed
from tests.support.factories import make_assistant, make_workspace

# Goals' target dates are checked against "today"; these tests live in late November 2026.
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def client(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(time_zone="Europe/Berlin")
        yield owner, clients.create_client(owner, ClientInput(first_name="Goal", last_name="Client"))


def test_goals_milestones_and_tagged_notes_show_progress_over_time(client):
    owner, client_id = client
    plans.save_summary(owner, client_id, "Return to running")
    goal = plans.add_goal(owner, client_id, "Run 5 km pain-free", "2027-03-01")
    other = plans.add_goal(owner, client_id, "Sleep through the night")
    plans.add_milestone(owner, goal, "Walk 3 km", "2026-12-01", "no pain")
    plans.add_milestone(owner, goal, "Jog 1 km", "2027-01-10")
    [appointment] = appointments.create_appointment(owner, AppointmentInput(str(client_id), "2026-12-15T10:00",
                                                                            "2026-12-15T11:00"))
    note_id, _ = soap_notes.open_for_appointment(owner, appointment)
    plans.tag_goals(owner, note_id, [goal])
    choices, tagged = plans.note_goals(owner, note_id)
    assert {g for g, _ in choices} == {goal, other} and tagged == {goal}
    plan = plans.get_plan(owner, client_id)
    assert plan.summary == "Return to running"
    [first, second] = plan.goals
    assert first.text == "Run 5 km pain-free" and str(first.target_date) == "2027-03-01"
    assert [(str(p.when), p.kind) for p in first.progress] == [
        ("2026-12-01", "milestone"), ("2026-12-15", "session"), ("2027-01-10", "milestone")]
    assert first.progress[0].text == "Walk 3 km — no pain"
    assert second.progress == []
    plans.set_goal_status(owner, goal, "achieved")
    assert plans.get_plan(owner, client_id).goals[0].status == "achieved"


def test_validation_and_foreign_goals(client):
    owner, client_id = client
    with pytest.raises(ValidationFailed):
        plans.add_goal(owner, client_id, "  ", "soon")
    with pytest.raises(ValidationFailed):
        plans.set_goal_status(owner, uuid.uuid4(), "finished")
    other_client = clients.create_client(owner, ClientInput(first_name="Other"))
    foreign_goal = plans.add_goal(owner, other_client, "Not this client's goal")
    note_id = soap_notes.create_for_client(owner, client_id)
    with pytest.raises(NotFound):
        plans.tag_goals(owner, note_id, [foreign_goal])


def test_a_finalized_notes_goal_tags_are_frozen(client):
    owner, client_id = client
    walk, sleep = plans.add_goal(owner, client_id, "Walk"), plans.add_goal(owner, client_id, "Sleep")
    note_id = soap_notes.create_for_client(owner, client_id)
    plans.tag_goals(owner, note_id, [walk])  # a draft's tags change freely
    plans.tag_goals(owner, note_id, [walk, sleep])
    soap_notes.finalize(owner, note_id, {"subjective": "ok"}, soap_notes.get_note(owner, note_id).lock_version)
    for wanted in ([], [walk], [walk, sleep]):
        with pytest.raises(ServiceError, match="finalized"):
            plans.tag_goals(owner, note_id, wanted)
    assert plans.note_goals(owner, note_id)[1] == {walk, sleep}


@pytest.mark.parametrize(("target", "accepted"), [
    ("2026-11-19", False),  # yesterday (Berlin): a new goal can't already be overdue
    ("2026-11-20", True),
    ("2036-11-20", True),
    ("2036-11-21", False),
    ("2999-01-01", False),
])
def test_goal_target_is_today_or_later_and_within_ten_years(client, target, accepted):
    owner, client_id = client
    if accepted:
        plans.add_goal(owner, client_id, "Run", target)
        return
    with pytest.raises(ValidationFailed) as invalid:
        plans.add_goal(owner, client_id, "Run", target)
    assert invalid.value.errors == {"target_date": "Choose a date between 2026-11-20 and 2036-11-20."}
    assert plans.get_plan(owner, client_id).goals == []


def test_goal_target_today_follows_the_workspace_zone(app_env):
    # 23:30 UTC on 19 Nov is already 20 Nov in Auckland: "today" there is the 20th.
    with clock.frozen(datetime(2026, 11, 19, 23, 30, tzinfo=ZoneInfo("UTC"))):
        owner = make_workspace(time_zone="Pacific/Auckland")
        client_id = clients.create_client(owner, ClientInput(first_name="Kiwi"))
        with pytest.raises(ValidationFailed):
            plans.add_goal(owner, client_id, "Swim", "2026-11-19")
        plans.add_goal(owner, client_id, "Swim", "2026-11-20")


def test_milestone_dates_stay_within_the_practice_range(client):
    owner, client_id = client
    goal = plans.add_goal(owner, client_id, "Run")
    with pytest.raises(ValidationFailed) as invalid:
        plans.add_milestone(owner, goal, "Jog", "1900-05-01")
    assert set(invalid.value.errors) == {"reached_on"}
    plans.add_milestone(owner, goal, "Jog", "2026-11-01")


def test_assistant_cannot_read_plans(client):
    owner, client_id = client
    plans.add_goal(owner, client_id, "Private goal")
    with pytest.raises(NotFound):
        plans.get_plan(make_assistant(owner), client_id)


def test_timeline_newest_first_paginated_and_role_aware(client):
    owner, client_id = client
    [appointment] = appointments.create_appointment(owner, AppointmentInput(str(client_id), "2026-12-01T10:00",
                                                                            "2026-12-01T11:00"))
    note_id, _ = soap_notes.open_for_appointment(owner, appointment)
    version = soap_notes.get_note(owner, note_id).lock_version
    version = soap_notes.finalize(owner, note_id, {"subjective": "ok"}, version)
    soap_notes.amend(owner, note_id, {"subjective": "better"}, "typo", version)
    plans.add_goal(owner, client_id, "Goal A")
    page = timeline.client_timeline(owner, client_id)
    kinds = [i.kind for i in page.items]
    assert set(kinds) == {"appointment", "note", "goal"}
    assert [i.when for i in page.items] == sorted((i.when for i in page.items), reverse=True)
    assert any(i.title == "Session note · amended" for i in page.items)
    assert [i.kind for i in timeline.client_timeline(make_assistant(owner), client_id).items] == ["appointment"]
    small = timeline.client_timeline(owner, client_id, page=2, page_size=2)
    assert small.pages == 2 and len(small.items) == 1 and small.total == 3
