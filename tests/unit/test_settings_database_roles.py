"""DATABASE_MIGRATION_URL: the owner's URL for migrations next to the app's DATABASE_URL."""

from __future__ import annotations

import pytest

from pazpaz.settings import SettingsError, build_settings
from tests.unit.test_settings import KEYS


def test_migration_url_is_read_and_normalised(tmp_path):
    settings = build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS,
                               "DATABASE_URL": "postgresql://pazpaz_app:a@db/pazpaz",
                               "DATABASE_MIGRATION_URL": "postgresql://pazpaz_owner:b@db/pazpaz"})
    assert settings.database_migration_url == "postgresql+psycopg://pazpaz_owner:b@db/pazpaz"
    assert "pazpaz_owner" not in repr(settings)  # the owner's password stays out of logs


@pytest.mark.parametrize("env", [
    {"DATABASE_MIGRATION_URL": "postgresql://owner@db/pazpaz"},  # no app URL
    {"DATABASE_URL": "postgresql://app@db/pazpaz", "DATABASE_MIGRATION_URL": "mysql://owner@db/pazpaz"},
])
def test_bad_migration_settings_name_the_variable(tmp_path, env):
    with pytest.raises(SettingsError, match="DATABASE_MIGRATION_URL"):
        build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS, **env})


@pytest.mark.parametrize("given", ["postgresql://app@db/pazpaz", "postgresql+psycopg2://app@db/pazpaz",
                                   "postgresql+psycopg://app@db/pazpaz"])
def test_every_postgresql_url_uses_the_one_driver(tmp_path, given):
    settings = build_settings({"PAZPAZ_DATA_DIR": str(tmp_path), **KEYS, "DATABASE_URL": given})
    assert settings.database_url == "postgresql+psycopg://app@db/pazpaz"
