"""`python -m pazpaz.worker`: run the job worker (reminders, agenda, clean-ups).

The launcher starts one next to Reflex; a container can run it as its own process with the
same environment (DATABASE_URL as the app role, SMTP_*, S3_*, secrets). Several workers on
several machines are safe: jobs are fetched with SKIP LOCKED and every task is idempotent.
SIGTERM / Ctrl+C stop it after the jobs in hand finish.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pazpaz.settings import SettingsError, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pazpaz.worker")
    parser.add_argument("--concurrency", type=int, default=4, help="jobs run at once (threads)")
    parser.add_argument("--name", default="pazpaz-worker")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # procrastinate logs job arguments at INFO; ours are ids only, but keep its chatter down.
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    if settings.database_url is None:
        print("Configuration error: DATABASE_URL is not set.", file=sys.stderr)
        return 2
    from pazpaz.jobs.app import get_app

    app = get_app(settings.database_url)
    app.run_worker(concurrency=max(1, args.concurrency), name=args.name, install_signal_handlers=True,
                   delete_jobs="successful")
    return 0


if __name__ == "__main__":
    sys.exit(main())
