"""Server CPU per Reflex event, by kind, and where it goes (issue 15's load test, one tab).

Uses the load test's database (1,000 practices; `make loadtest` or `make bench` seeds it),
starts the backend like the load test (granian, one worker), drives one signed-in tab over the
real websocket protocol (bench/reflex_client.py) and, per kind of event, sends `--events` of
them back to back and reads the CPU time (user + system, /proc) the server process tree spent:

  week     CalendarState.dates_set for the next week, again and again (the calendar's week move);
  open     CalendarState.open_event on an appointment of the opening week;
  form     CalendarState.new_at (opens the booking form: no database work, so what every event
           costs: the session check, the tab's states from and to Redis, the delta);
  calendar opening the calendar page from another page of the app (the page's on_load chain, as
           a browser sends it after a link or a redirect; with --reload-pages the tab's whole
           hydrate first, as a reload or a new connection does);
  notes    opening a session note's page (the same);
  autosave NoteState.edit of a draft (the note editor's autosave).

With --py-spy FILE the server is sampled meanwhile (py-spy record, raw format) for a profile;
with --redis the tab's state lives in a real redis-server (as with several workers).

    python -m bench.profile_events [--events 200] [--py-spy /tmp/events.txt]

The backend runs in Reflex's prod mode, as `reflex run --env prod` does (REFLEX_ENV_MODE=dev
in the environment measures dev mode instead).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time as clock

from bench.api_cpu import _cpu_seconds, _tree
from bench.load import WORK, Practice, Tally, Therapist, forget_earlier_runs, open_sessions, prepare
from bench.reflex_client import REDIRECT, Tab
from bench.schedule_bench import configure_environment, release_engines


async def _measure(label: str, pids: list[int], count: int, step) -> None:
    cpu, wall = _cpu_seconds(pids), clock.perf_counter()
    for _ in range(count):
        await step()
    cpu, wall = _cpu_seconds(pids) - cpu, clock.perf_counter() - wall
    print(f"{label:9} server CPU {cpu / count * 1000:6.2f} ms/event, round trip {wall / count * 1000:6.2f} ms "
          f"(n={count}; load {os.getloadavg()[0]:.2f})", flush=True)


async def drive(base_url: str, origin: str, practice: Practice, pids: list[int], count: int, kinds: list[str],
                reload_pages: bool = False) -> None:
    from pazpaz.settings import get_settings

    tab = Tab(base_url, f"{get_settings().session_cookie_name}={practice.cookie_token}", origin)
    await tab.connect()
    therapist = Therapist(tab, practice, Tally(), random.Random(3), reload_pages)
    try:
        await therapist.open_calendar()
        opening = therapist.week
        for _ in range(5):  # warm-up
            await therapist.move_week()

        async def week() -> None:
            # "Next week" again and again: 3 moves in 4 stay in the loaded 4-week window (a read
            # of the visible week), the 4th reads a new window; over 150 moves, the real mix.
            therapist.week += clock_days(7)
            await therapist.show_week()

        if "week" in kinds:
            await _measure("week", pids, count, week)
        # Back to the week the calendar opens on (the seeded weeks; the moves above went past them).
        therapist.week = opening
        await therapist.open_calendar()
        if not therapist.appointment_ids:
            raise SystemExit("no appointment in the opening window")

        async def open_one() -> None:
            if not await therapist.open_appointment():
                raise SystemExit("could not open an appointment")

        if "open" in kinds:
            await _measure("open", pids, count, open_one)

        async def form() -> None:
            await therapist._event(f"{therapist.calendar}.new_at", {"date_str": f"{opening.isoformat()}T10:00:00"},
                                   path="/calendar", expect=(therapist.calendar, "form"))

        if "form" in kinds:
            await _measure("form", pids, count, form)
        if "calendar" in kinds:
            await _measure("calendar", pids, count, therapist.open_calendar)
        if not {"notes", "autosave"} & set(kinds):
            return
        await open_one()
        reply = await therapist._event(f"{therapist.calendar}.write_note", path="/calendar", expect=REDIRECT)
        target = reply.redirect() if reply is not None else None
        if not target:
            raise SystemExit("could not open a note")

        async def open_notes() -> None:
            await therapist._event("", path=target, expect=(therapist.notes, "load_key"), hydrate=True)

        await open_notes()
        if "notes" in kinds:
            await _measure("notes", pids, count, open_notes)
        if "autosave" in kinds:
            text = ["Lower back pain"]

            async def autosave() -> None:
                text.append(" improved.")
                await therapist._event(f"{therapist.notes}.edit", {"section": "subjective", "value": "".join(text)},
                                       path=target, expect=(therapist.notes, "saved_at"))

            await _measure("autosave", pids, count, autosave)
    finally:
        if therapist.tally.errors:
            print(f"errors: {therapist.tally.errors}")
        await tab.close()


def clock_days(days: int):
    from datetime import timedelta

    return timedelta(days=days)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_events", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--kinds", default="week,open,form,calendar,notes,autosave")
    parser.add_argument("--py-spy", help="write a py-spy raw profile of the server here")
    parser.add_argument("--reload-pages", action="store_true",
                        help="open pages with the tab's whole hydrate (a reload), not the in-app on_load chain")
    parser.add_argument("--redis", action="store_true",
                        help="keep the tab's state in a real redis-server, as several workers do")
    args = parser.parse_args(argv)

    configure_environment()
    from pazpaz.settings import get_settings
    from tests.support.app_process import start_app, wait_ready
    from tests.support.ports import free_port
    from tests.support.services import start_s3

    pg, owner_url, app_url = prepare(False)
    forget_earlier_runs(owner_url)
    s3 = start_s3("profile-events-s3")
    app = spy = redis = None
    try:
        os.environ["DATABASE_URL"] = app_url
        get_settings.cache_clear()
        release_engines()
        practice = open_sessions(1)[0]
        port = free_port()
        origin = f"http://localhost:{port}"
        env = {"REFLEX_ENV_MODE": "prod", **os.environ, "DATABASE_URL": app_url, "PAZPAZ_PUBLIC_URL": origin,
               "PAZPAZ_LOG_LEVEL": "warning",
               "S3_ENDPOINT_URL": s3.settings.endpoint_url or "", "S3_BUCKET": s3.settings.bucket,
               "S3_ACCESS_KEY_ID": s3.settings.access_key_id, "S3_SECRET_ACCESS_KEY": s3.settings.secret_access_key}
        env.pop("REDIS_URL", None)
        if args.redis:
            from tests.support.redis_server import start_redis

            redis = start_redis("profile-events-redis", data_root=WORK)
            env["REDIS_URL"] = redis.url
        app = start_app(env, port, WORK / "profile-events.log")
        wait_ready(app)
        pids = _tree(app.process.pid)
        if args.py_spy:
            worker = max(pids)  # granian's worker process (the parent only supervises)
            spy = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "-p",
                                    str(worker), "-r", "200", "-f", "raw", "-o", args.py_spy, "--threads", "--gil"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        asyncio.run(drive(app.url, origin, practice, pids, args.events, args.kinds.split(","),
                          args.reload_pages))
        return 0
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        if app is not None:
            app.stop()
        if redis is not None:
            redis.stop()
        s3.stop()
        release_engines()
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
