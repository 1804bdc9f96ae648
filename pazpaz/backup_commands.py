"""`python -m pazpaz.cli backup [--to DIR]` and `python -m pazpaz.cli restore FILE [--force]`.

Both use the app's settings: the embedded PostgreSQL (data/postgres, started for the command
when `make run` is not up) and embedded S3, or DATABASE_URL / DATABASE_MIGRATION_URL and S3_*.
The backup key comes from PAZPAZ_KEK (env or data/secrets.json): keep those secrets apart from
the backups (README "Backups").
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pazpaz.infra.roles import APP_ROLE, role_of
from pazpaz.settings import Settings, get_settings


def add_parsers(commands) -> None:
    backup = commands.add_parser("backup", help="write one encrypted backup file (database + files + manifest)")
    backup.add_argument("--to", type=Path, default=None,
                        help="folder for the file (default: PAZPAZ_BACKUP_DIR or data/backups)")
    restore = commands.add_parser("restore", help="restore a backup file into an empty data folder / database")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace whatever the database and bucket hold")


def backup_dir(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def database_urls(settings: Settings) -> tuple[str, str | None, bool]:
    """(owner URL, app role to re-grant, external?) for the configured database."""
    if settings.database_url is None or _embedded_url(settings):
        from pazpaz.infra import postgres

        pg = postgres.start(settings.data_dir / "postgres")
        pg.ensure_database()
        pg.ensure_app_role(APP_ROLE)
        return pg.url(), APP_ROLE, False
    if settings.database_migration_url:
        return settings.database_migration_url, role_of(settings.database_url), True
    return settings.database_url, None, True


def _embedded_url(settings: Settings) -> bool:
    """The CLI swaps DATABASE_URL to the embedded server's app role before running us."""
    return str(settings.data_dir / "postgres") in (settings.database_url or "") and \
        settings.database_migration_url is None


def run(args: argparse.Namespace) -> int:
    if args.command == "backup":
        return _backup(args)
    return _restore(args)


def _say(line: str) -> None:
    print(line, flush=True)


def _backup(args: argparse.Namespace) -> int:
    from pazpaz.services import backup, backup_schedule

    settings = get_settings()
    owner_url, _, external = database_urls(settings)
    try:
        # Tracked and audited like the scheduled one, so Settings shows it as the last backup;
        # a folder given with --to is left out of the retention pass of the default folder.
        backup_schedule.run_now(settings, database_url=owner_url, external=external, progress=_say,
                                folder=args.to or backup_dir(settings))
    except backup.BackupError as error:
        print(f"Backup failed: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # storage or database unreachable: say which, no traceback
        print(f"Backup failed ({type(error).__name__}: {str(error)[:300]}); no backup file was left.",
              file=sys.stderr)
        return 1
    print("Keep data/secrets.json (or your PAZPAZ_* secrets) and data/erasures.json apart from the backups: "
          "without the secrets a backup can't be opened.")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from pazpaz.infra import children
    from pazpaz.launcher import run_migrations
    from pazpaz.services import backup_file, erasure
    from pazpaz.services.restore import RestoreError, Target, restore

    settings = get_settings()
    try:
        lock = children.acquire_lock(settings.data_dir)  # no launcher may start meanwhile
    except children.AlreadyRunning as error:
        print(f"Restore refused: {error}", file=sys.stderr)
        return 1
    try:
        owner_url, app_role, external = database_urls(settings)
        target = Target(owner_url=owner_url, app_role=app_role, s3=get_settings().s3, data_dir=settings.data_dir,
                        external_database=external)
        summary = restore(args.file, target, settings.kek, force=args.force, migrate=run_migrations,
                          erase_again=erasure.erase_again, progress=_say)
    except (backup_file.BackupFileError, RestoreError) as error:
        print(f"Restore refused: {error}", file=sys.stderr)
        if not getattr(error, "changed", False):
            print("Nothing was changed.", file=sys.stderr)
        return 1
    finally:
        os.close(lock)
    for line in summary.lines():
        print(line)
    print("Every object and the database matched their SHA-256. `make run` serves the restored practice.")
    return 0
