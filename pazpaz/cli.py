"""Maintenance commands: `python -m pazpaz.cli rotate-keys [--batch-size N]`.

Uses the same settings as the app (DATABASE_URL, PAZPAZ_KEK or data/secrets.json); safe
to run while the app is up, and to run again after an interruption.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

from pazpaz.services.key_rotation import rotate_all
from pazpaz.settings import SettingsError, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pazpaz.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate = commands.add_parser("rotate-keys", help="new data key per workspace; re-encrypt every value")
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.add_argument("--grace-minutes", type=int, default=10,
                        help="old keys are deleted by a run at least this long after the new key was made")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    if settings.database_url is None:
        # The embedded server: attach to it if `make run` has it up, else start it briefly.
        from pazpaz.infra import postgres

        pg_dir = settings.data_dir / "postgres"
        was_running = (pg_dir / "postmaster.pid").exists()
        pg = postgres.start(pg_dir)
        os.environ["DATABASE_URL"] = pg.url()
        get_settings.cache_clear()
        try:
            return _run(args)
        finally:
            if not was_running:
                pg.stop()
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    if args.command == "rotate-keys":
        report = rotate_all(args.batch_size, progress=lambda line: print(line, flush=True),
                            grace=timedelta(minutes=args.grace_minutes))
        print(f"Rotated {report.workspaces} workspace(s): {report.values} values re-encrypted, "
              f"{report.keys_retired} old key(s) retired.")
        if report.workspaces and not report.keys_retired:
            print(f"Old keys are kept until a run at least {args.grace_minutes} minutes after this one.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
