"""Words on the pages come in the reader's language (docs/ARCHITECTURE.md, "Translation layer"):
client, calendar and plan texts; every page builds (t() refuses a msgid missing from the English
catalog); Settings > Language names currencies in the reader's language."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import reflex as rx

from pazpaz import i18n
from pazpaz.components.words import appointment_status, note_status
from pazpaz.i18n import msg, translate
from pazpaz.services import appointments, clients, clock, languages, plans, soap_notes, timeline
from pazpaz.services.appointments import AppointmentInput, AppointmentView
from pazpaz.services.clients import ClientInput
from pazpaz.state.calendar import event_of
from tests.support.factories import make_workspace

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Jerusalem"))


def test_timeline_and_progress_lines_translate_but_keep_the_therapists_words(app_env):
    with clock.frozen(NOW):
        owner = make_workspace(time_zone="Asia/Jerusalem")
        client_id = clients.create_client(owner, ClientInput(first_name="Noa", last_name="Levi"))
        goal = plans.add_goal(owner, client_id, "Other")  # user text that happens to be a msgid
        plans.add_milestone(owner, goal, "Walk 3 km", "2026-12-01")
        [appointment] = appointments.create_appointment(owner, AppointmentInput(str(client_id), "2026-12-15T10:00",
                                                                                "2026-12-15T11:00"))
        note_id, _ = soap_notes.open_for_appointment(owner, appointment)
        plans.tag_goals(owner, note_id, [goal])
        titles = {str(i.title): translate("he", i.title) for i in timeline.client_timeline(owner, client_id).items}
        progress = plans.get_plan(owner, client_id).goals[0].progress
    assert titles["Appointment · scheduled"] == "תור · נקבע"
    assert titles["Session note · draft"] == "סיכום טיפול · טיוטה"
    assert titles["Goal added · Other"] == "נוספה מטרה · Other"  # the goal's own text is not translated
    assert titles["Milestone · Walk 3 km"] == "אבן דרך · Walk 3 km"
    session = next(p for p in progress if p.kind == "session")
    assert str(session.text) == "Session note (draft)" and translate("he", session.text) == "סיכום טיפול (טיוטה)"


def test_a_count_placeholder_is_filled_in_every_language():
    refusal = msg("Not moved: that time overlaps {overlaps} appointment(s). "
                  "Open the appointment and use Edit to book it anyway.", overlaps=2)
    assert str(refusal).startswith("Not moved: that time overlaps 2 appointment(s).")
    assert "2" in translate("he", refusal) and "{" not in translate("he", refusal)
    assert "{" not in translate("he", appointments_batch_error())


def appointments_batch_error() -> str:
    from pazpaz.services.attachments import upload_batch_error

    return upload_batch_error(10_000)


def test_calendar_event_titles_name_the_location_kind_in_the_readers_language():
    when = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Jerusalem"))
    view = AppointmentView(uuid.uuid4(), uuid.uuid4(), "Noa Levi", when, when, "scheduled", None, "Massage", None,
                           "Home", "home", "", None)
    assert event_of(view)["title"] == "Noa Levi · Massage · Home visit"
    assert event_of(view, "he")["title"] == "Noa Levi · Massage · ביקור בית"


def test_status_codes_become_words_on_the_page_and_unknown_codes_stay():
    compiled = str(appointment_status(rx.Var("status", _var_type=str)))
    assert "לא הגיע" in compiled and "no-show" in compiled and '"no_show"' in compiled
    assert "טיוטה" in str(note_status(rx.Var("status", _var_type=str)))


@pytest.mark.parametrize("module, page", [
    ("today", "today_page"), ("settings", "settings_page"), ("security", "security_page"),
    ("audit", "audit_page"), ("more", "more_page"), ("signup", "signup_page"), ("signin", "signin_page"),
])
def test_page_builds_with_every_word_in_the_catalog(module, page):
    import importlib

    built = getattr(importlib.import_module(f"pazpaz.pages.{module}"), page)()
    assert built is not None


def test_currencies_are_named_in_the_readers_language():
    hebrew, english = dict(languages.currency_choices("he")), dict(languages.currency_choices("en"))
    assert hebrew["ILS"] == "ILS \u00b7 שקל חדש" and english["ILS"] == "ILS \u00b7 Israeli New Shekel"
    assert [code for code, _ in languages.currency_choices("he")] == languages.currencies()
    assert hebrew["AFA"] == "AFA"  # no Hebrew name: the code alone, not "AFA · AFA"


def test_marked_service_words_have_hebrew():
    from pazpaz.services.appointments import STATUS_LABELS
    from pazpaz.services.jobs import JOB_KINDS

    for msgid in [*STATUS_LABELS.values(), *JOB_KINDS.values()]:
        assert i18n.gettext("he", msgid) != msgid, msgid
