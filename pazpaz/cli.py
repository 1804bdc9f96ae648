"""Maintenance commands:
  `python -m pazpaz.cli rotate-keys [--batch-size N]`  new data keys; re-encrypt values and files
  `python -m pazpaz.cli encrypt-files [--batch-size N]`  encrypt files stored before file encryption
  `python -m pazpaz.cli create-practice --name NAME --owner-name NAME --email EMAIL --time-zone ZONE`
      a workspace and its owner, no mail sent (the owner then asks for a link on the sign-in page)
  `python -m pazpaz.cli reindex-emails`  bring account addresses to the current email normalisation
  `python -m pazpaz.cli reset-2fa EMAIL`  turn off two-step sign-in of an account whose phone is lost
  `python -m pazpaz.cli api-token create --email EMAIL --name NAME [--read-only] [--days N]`
      a personal access token for /api/v1, printed once (audited)
  `python -m pazpaz.cli backup [--to DIR]`  one encrypted backup file (pazpaz/backup_commands.py)
  `python -m pazpaz.cli restore FILE [--force]`  restore it into an empty data folder / database

Uses the same settings as the app (DATABASE_URL, S3_*, PAZPAZ_KEK or data/secrets.json); safe
to run while the app is up, and to run again after an interruption.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta

from pazpaz import backup_commands
from pazpaz.services.key_rotation import rotate_all
from pazpaz.settings import SettingsError, get_settings

FILE_COMMANDS = ("rotate-keys", "encrypt-files", "backup", "restore")  # the others touch only the database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pazpaz.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate = commands.add_parser("rotate-keys", help="new data key per workspace; re-encrypt every value and file")
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.add_argument("--grace-minutes", type=int, default=10,
                        help="old keys are deleted by a run at least this long after the new key was made")
    encrypt = commands.add_parser("encrypt-files", help="encrypt every stored file still in clear (resumable)")
    encrypt.add_argument("--batch-size", type=int, default=200)
    practice = commands.add_parser("create-practice", help="create a workspace and its owner without mail")
    practice.add_argument("--name", required=True, help="the practice's name")
    practice.add_argument("--owner-name", required=True, help="the owner's name")
    practice.add_argument("--email", required=True, help="the owner's email address (signs in with it)")
    practice.add_argument("--time-zone", required=True, help="IANA time zone, e.g. Europe/Berlin")
    commands.add_parser("reindex-emails", help="re-normalise account addresses (NFKC + casefold); idempotent")
    reset = commands.add_parser("reset-2fa", help="turn off two-step sign-in of one account (lost phone)")
    reset.add_argument("email", help="the account's email address")
    _add_api_token_parser(commands)
    backup_commands.add_parsers(commands)
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        if settings.database_url is None:
            stack.enter_context(_embedded_postgres(settings))
        if settings.s3.endpoint_url is None and args.command in FILE_COMMANDS:
            stack.enter_context(_embedded_s3(get_settings()))
        return _run(args)


@contextmanager
def _embedded_postgres(settings) -> Iterator[None]:
    """Attach to the embedded server if `make run` has it up, else start it for this command."""
    from pazpaz.infra import postgres
    from pazpaz.infra.roles import APP_ROLE

    pg_dir = settings.data_dir / "postgres"
    was_running = (pg_dir / "postmaster.pid").exists()
    pg = postgres.start(pg_dir)
    pg.ensure_app_role(APP_ROLE)
    _use_env({"DATABASE_URL": pg.url(user=APP_ROLE)})  # the app's role, like the app
    try:
        yield
    finally:
        if not was_running:
            pg.stop()


@contextmanager
def _embedded_s3(settings) -> Iterator[None]:
    """The embedded SeaweedFS: attach to it if the app has it up, else start it for this command."""
    from pazpaz.infra import s3
    from pazpaz.launcher import embedded_s3_ports, embedded_s3_settings

    s3_settings, ports = embedded_s3_settings(settings), embedded_s3_ports(settings)
    stop: Callable[[], None] | None = None
    if not s3.port_in_use(ports.s3):
        stop = s3.start(settings.data_dir / "s3", s3_settings, ports).stop
    _use_env({"S3_ENDPOINT_URL": s3_settings.endpoint_url or "", "S3_ACCESS_KEY_ID": s3_settings.access_key_id,
              "S3_SECRET_ACCESS_KEY": s3_settings.secret_access_key, "S3_BUCKET": s3_settings.bucket})
    try:
        yield
    finally:
        if stop:
            stop()


def _use_env(values: dict[str, str]) -> None:
    os.environ.update(values)
    get_settings.cache_clear()


def _print(line: str) -> None:
    print(line, flush=True)


def _run(args: argparse.Namespace) -> int:
    progress = _print
    if args.command in ("backup", "restore"):
        return backup_commands.run(args)
    if args.command == "rotate-keys":
        report = rotate_all(args.batch_size, progress=progress, grace=timedelta(minutes=args.grace_minutes))
        print(f"Rotated {report.workspaces} workspace(s): {report.values} values and files re-encrypted, "
              f"{report.keys_retired} old key(s) retired.")
        if report.workspaces and not report.keys_retired:
            print(f"Old keys are kept until a run at least {args.grace_minutes} minutes after this one.")
    elif args.command == "encrypt-files":
        from pazpaz.services.attachments import seal_stored_objects

        sealed = seal_stored_objects(batch_size=args.batch_size, progress=progress)
        print(f"Checked {sealed.objects} stored object(s): {sealed.encrypted} encrypted now, "
              f"{sealed.objects - sealed.encrypted - sealed.missing} already encrypted, {sealed.missing} missing.")
        if sealed.missing:
            return 1
    elif args.command == "create-practice":
        return _create_practice(args)
    elif args.command == "api-token":
        return _create_api_token(args)
    elif args.command == "reindex-emails":
        from pazpaz.services.auth import reindex_emails

        done = reindex_emails()
        print(f"Checked {done.users} account(s): {done.changed} re-normalised, {done.conflicts} conflict(s).")
        if done.conflicts:
            print("Conflicting accounts kept their old address: deactivate or change one of each pair.")
            return 1
    elif args.command == "reset-2fa":
        return _reset_2fa(args.email)
    return 0


def _reset_2fa(email: str) -> int:
    from pazpaz.services.audit import RequestContext
    from pazpaz.services.two_factor import reset_by_email

    if not reset_by_email(email, RequestContext(user_agent="pazpaz.cli")):
        print("No account has that email address.", file=sys.stderr)
        return 1
    print("Two-step sign-in is off for that account and its sessions have ended. It signs in with a link "
          "alone now (or sets up two-step sign-in again, if the practice requires it).")
    return 0


def _create_practice(args: argparse.Namespace) -> int:
    from pazpaz.services.audit import RequestContext
    from pazpaz.services.auth import create_practice
    from pazpaz.services.errors import ServiceError, ValidationFailed

    try:
        made = create_practice(practice_name=args.name, owner_name=args.owner_name, email=args.email,
                               time_zone=args.time_zone, context=RequestContext(user_agent="pazpaz.cli"))
    except ValidationFailed as invalid:
        for message in invalid.errors.values():
            print(f"Refused: {message}", file=sys.stderr)
        return 1
    except ServiceError as refused:
        print(f"Refused: {refused}", file=sys.stderr)
        return 1
    print(f"Created practice {made.workspace_id} with owner {made.owner_id}.")
    print("The owner signs in by asking for a link on the sign-in page.")
    return 0


def _add_api_token_parser(commands) -> None:
    token = commands.add_parser("api-token", help="personal access tokens for /api/v1")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token for a user and print it once")
    create.add_argument("--email", required=True, help="the user's address (the token acts as this user)")
    create.add_argument("--name", required=True, help="a label, e.g. the script's name")
    create.add_argument("--read-only", action="store_true", help="GET only")
    create.add_argument("--days", type=int, default=None, help="expires after N days (1-365); default never")


def _create_api_token(args: argparse.Namespace) -> int:
    from pazpaz.services.api_tokens import create_for_email
    from pazpaz.services.audit import RequestContext
    from pazpaz.services.errors import ServiceError, ValidationFailed

    try:
        made = create_for_email(args.email, args.name, args.read_only, args.days,
                                RequestContext(user_agent="pazpaz.cli"))
    except ValidationFailed as invalid:
        for message in invalid.errors.values():
            print(f"Refused: {message}", file=sys.stderr)
        return 1
    except ServiceError as refused:
        print(f"Refused: {refused}", file=sys.stderr)
        return 1
    expiry = made.expires_at.isoformat(timespec="minutes") if made.expires_at else "never"
    print(f"Token {made.id} (expires: {expiry}). It is shown only now; keep it secret:", file=sys.stderr)
    print(made.token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
