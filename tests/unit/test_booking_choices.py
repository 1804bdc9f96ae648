"""catalog.booking_choices: what the booking form offers (the calendar page reads it on
opening): the practice's active services and locations, by name, and nothing of another
practice's."""

from __future__ import annotations

from pazpaz.services import catalog
from pazpaz.services.catalog import LocationInput, ServiceInput
from tests.support.factories import make_workspace


def test_active_services_and_locations_by_name(app_env):
    owner = make_workspace()
    swedish = catalog.save_service(owner, ServiceInput("Swedish massage", "60", "280"))
    catalog.save_service(owner, ServiceInput("Assessment", "90"))
    retired = catalog.save_service(owner, ServiceInput("Cupping", "30"))
    catalog.set_service_active(owner, retired, False)
    clinic = catalog.save_location(owner, LocationInput("Tel Aviv clinic", "clinic", "Dizengoff 1"))
    catalog.save_location(owner, LocationInput("Home visit", "home"))

    choices = catalog.booking_choices(owner)

    assert [(s.name, s.duration_minutes) for s in choices.services] == [("Assessment", 90),
                                                                         ("Swedish massage", 60)]
    assert swedish in {s.id for s in choices.services}
    assert [(loc.name, loc.kind) for loc in choices.locations] == [("Home visit", "home"),
                                                                    ("Tel Aviv clinic", "clinic")]
    assert clinic in {loc.id for loc in choices.locations}


def test_another_practice_sees_none_of_them(app_env):
    owner, other = make_workspace("A"), make_workspace("B")
    catalog.save_service(owner, ServiceInput("Massage", "60"))
    catalog.save_location(owner, LocationInput("Home visit", "home"))
    catalog.save_service(other, ServiceInput("Physio", "45"))

    choices = catalog.booking_choices(other)

    assert [s.name for s in choices.services] == ["Physio"] and choices.locations == []
