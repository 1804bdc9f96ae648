"""Backup settings: defaults, a folder relative to the project, bad values named."""

from __future__ import annotations

import pytest

from pazpaz.settings import PROJECT_ROOT, SettingsError
from tests.unit.test_settings import settings_from


def test_backup_defaults(tmp_path):
    settings = settings_from(tmp_path)
    assert settings.backup_dir is None and settings.backup_hour == 2
    assert (settings.backup_keep_daily, settings.backup_keep_weekly) == (7, 4)
    assert settings.backup_s3_bucket is None and settings.backup_s3_prefix == "pazpaz-backups/"


def test_backup_values(tmp_path):
    settings = settings_from(tmp_path, PAZPAZ_BACKUP_DIR="backups-elsewhere", PAZPAZ_BACKUP_HOUR="23",
                             PAZPAZ_BACKUP_KEEP_WEEKLY="0", PAZPAZ_BACKUP_S3_BUCKET="offsite")
    assert settings.backup_dir == PROJECT_ROOT / "backups-elsewhere"
    assert settings.backup_hour == 23 and settings.backup_keep_weekly == 0 and settings.backup_s3_bucket == "offsite"


@pytest.mark.parametrize(("name", "value"), [("PAZPAZ_BACKUP_HOUR", "24"), ("PAZPAZ_BACKUP_HOUR", "2am"),
                                             ("PAZPAZ_BACKUP_KEEP_DAILY", "0")])
def test_bad_backup_values_are_named(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        settings_from(tmp_path, **{name: value})
