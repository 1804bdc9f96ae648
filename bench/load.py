"""`make loadtest`: simulated therapists on the real websocket protocol, against 1 worker
(tab state in memory) and 2 workers (REDIS_URL), on 1,000 seeded practices.

Each simulated therapist is one tab (bench/reflex_client.py) of a seeded practice's owner with
a real session (opened through pazpaz.services.auth, as a sign-in does): it connects and
hydrates once, as a browser does, opens the calendar, moves between weeks, opens appointments,
now and then books one, and writes a session note whose draft autosaves every few seconds,
going between the calendar and the note as the browser does inside the app (the page's
on_load chain; `--reload-pages`: a full hydrate each time, as a reload would); between clicks
it thinks for 1-3 s (a person's pace).
A round trip is from sending an event until the delta carrying its result arrives (what the
browser then draws). An error is an event with no answer in 30 s, a closed websocket, a
refusal shown to the user (the calendar's error line, "Not saved") or a redirect to sign-in.

Runs for a fixed time per (workers, users) pair and writes bench/results/load.json with, per
run: users, workers, events, errors, round-trip p50/p95/p99 (ms), the server's CPU (cores
busy on average) and peak RSS, and the machine's load average (other work on a shared machine
shows there). The database is the benchmark's (.testdata/bench-pg, `make bench` seeds the
same), seeded once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.reflex_client import REDIRECT, Reply, Tab, state_name
from bench.schedule_bench import PGDATA, PROJECT_ROOT, configure_environment, release_engines

RESULTS = PROJECT_ROOT / "bench" / "results" / "load.json"
WORK = PROJECT_ROOT / ".testdata" / "load"
GOAL_USERS, GOAL_P95_MS = 200, 200.0
THINK_SECONDS = (1.0, 3.0)
AUTOSAVE_SECONDS = 3.0


@dataclass
class Practice:
    cookie_token: str
    time_zone: str


@dataclass
class Tally:
    round_trips: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    bookings: int = 0
    autosaves: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


# ---- the simulated therapist ------------------------------------------------------------------

class Therapist:
    def __init__(self, tab: Tab, practice: Practice, tally: Tally, rng: random.Random,
                 reload_pages: bool = False) -> None:
        from pazpaz.state.calendar import WEEK_SLOTS, CalendarShownState, CalendarState
        from pazpaz.state.notes import NoteState

        self.tab, self.practice, self.tally, self.rng = tab, practice, tally, rng
        self.calendar, self.notes = state_name(CalendarState), state_name(NoteState)
        self.calendar_shown = state_name(CalendarShownState)
        today = datetime.now(ZoneInfo(practice.time_zone)).date()
        self.opening_week = self.week = today - timedelta(days=today.weekday())
        self.appointment_ids: list[str] = []
        self.week_ids: dict[int, list[str]] = {}  # by CalendarShownState week slot
        self.week_slots = WEEK_SLOTS
        self.clients: list[str] = []
        self.services: list[str] = []
        # A browser hydrates once per connection and then changes pages inside the app (links,
        # redirects: only the page's on_load chain); reload_pages hydrates on every page opened,
        # as a reload would (this harness's only mode before 1 Dec 2026).
        self.reload_pages, self.hydrated = reload_pages, False

    async def _event(self, name: str, payload: dict | None = None, path: str | None = None,
                     expect: tuple[str, str] | None = None, hydrate: bool = False) -> Reply | None:
        kind = f"open {path.split('/')[1]}" if hydrate and path else name.rpartition(".")[2]
        try:
            if hydrate and (self.reload_pages or not self.hydrated):
                reply = await self.tab.hydrate(path or "/", expect=expect)
                self.hydrated = True
            elif hydrate:
                reply = await self.tab.navigate(path or "/", expect=expect)
            else:
                reply = await self.tab.send(name, payload, path=path, expect=expect)
        except TimeoutError:
            self.tally.error(f"timeout ({kind})")
            return None
        except ConnectionError:
            self.tally.error("disconnected")
            raise
        self.tally.round_trips.append(reply.seconds)
        self.tally.by_kind.setdefault(kind, []).append(reply.seconds)
        self._take_weeks(reply)
        target = reply.redirect()
        if target is not None and target.startswith("/signin"):
            self.tally.error("sent to sign-in")
        elif reply.var(self.calendar, "error", "") or reply.var(self.notes, "save_error", ""):
            self.tally.error("refused")
        return reply

    async def think(self, deadline: float) -> bool:
        await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))
        return time.monotonic() < deadline

    async def open_calendar(self) -> None:
        reply = await self._event("", path="/calendar", expect=(self.calendar, "clients"), hydrate=True)
        if reply is not None:
            self.clients = [row[0] for row in reply.var(self.calendar, "clients", [])]
            self.services = [row[0] for row in reply.var(self.calendar, "services", [])]
        await self.show_week()

    async def show_week(self) -> None:
        end = self.week + timedelta(days=7)
        # Every dates_set answers with the range (with the read's week slots and nav_version when
        # it reads; the first one after opening the page is answered from load's read).
        await self._event(f"{self.calendar}.dates_set",  # its week slots are taken in _event
                          {"start": self.week.isoformat(), "end": end.isoformat(), "view_type": "timeGridWeek"},
                          path="/calendar", expect=(self.calendar_shown, "range_start"))

    def _take_weeks(self, reply: Reply) -> None:
        """The appointments shown, from any reply that changed a week slot (week_0...): opening
        the page, a read, a write. Every read bumps nav_version; a slot comes only when its week's
        events changed (the calendar reads 4-week blocks: most week moves change nothing)."""
        for slot in range(self.week_slots):
            events = reply.var(self.calendar_shown, f"week_{slot}")
            if events is not None:
                self.week_ids[slot] = [event["id"] for event in events]
        self.appointment_ids = [appointment for ids in self.week_ids.values() for appointment in ids]

    async def move_week(self) -> None:
        self.week += timedelta(days=7 * self.rng.choice((-1, 1)))
        await self.show_week()

    async def open_appointment(self) -> bool:
        if not self.appointment_ids:
            return False
        appointment = self.rng.choice(self.appointment_ids)
        reply = await self._event(f"{self.calendar}.open_event", {"appointment_id": appointment},
                                  path="/calendar", expect=(self.calendar, "selected"))
        return reply is not None

    async def book(self, deadline: float) -> None:
        if not self.clients or not self.services:
            return
        day = self.week + timedelta(days=self.rng.randrange(5))
        start = datetime.combine(day, datetime.min.time()).replace(hour=self.rng.randrange(8, 18))
        await self._event(f"{self.calendar}.new_at", {"date_str": start.strftime("%Y-%m-%dT%H:%M:%S")},
                          path="/calendar", expect=(self.calendar, "form_open"))
        fields = (("client_id", self.rng.choice(self.clients)), ("service_id", self.rng.choice(self.services)),
                  ("end", (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")))
        for name, value in fields:
            if not await self.think(deadline):
                return
            await self._event(f"{self.calendar}.set_field", {"name": name, "value": value}, path="/calendar",
                              expect=(self.calendar, "form"))
        # Over whatever is there: a person who sees the conflict list books anyway (audited).
        if await self._event(f"{self.calendar}.save", {"override": True}, path="/calendar",
                             expect=(self.calendar, "form_open")) is not None:
            self.tally.bookings += 1

    async def write_note(self, deadline: float) -> None:
        if not await self.open_appointment():
            return
        reply = await self._event(f"{self.calendar}.write_note", path="/calendar", expect=REDIRECT)
        target = reply.redirect() if reply is not None else None
        if not target or not target.startswith("/notes/"):
            return
        await self.leave_calendar(target)
        loaded = await self._event("", path=target, expect=(self.notes, "load_key"), hydrate=True)
        if loaded is None:
            return
        text = ""
        for _ in range(self.rng.randrange(3, 8)):  # typing, with an autosave every few seconds
            await asyncio.sleep(AUTOSAVE_SECONDS)
            if time.monotonic() >= deadline:
                break
            text += self.rng.choice(("Lower back pain, ", "improved since last week. ", "ROM +10 deg. ",
                                     "Home exercises reviewed. "))
            section = self.rng.choice(("subjective", "objective", "assessment", "plan"))
            if await self._event(f"{self.notes}.edit", {"section": section, "value": text}, path=target,
                                 expect=(self.notes, "saved_at")) is not None:
                self.tally.autosaves += 1
        await self.open_calendar()

    async def leave_calendar(self, path: str) -> None:
        """The calendar's on_unmount as the browser leaves the page: its window leaves the tab,
        and the next visit opens on the opening week again."""
        await self._event(f"{self.calendar}.left", path=path, expect=(self.calendar_shown, "range_start"))
        self.week, self.week_ids, self.appointment_ids = self.opening_week, {}, []

    async def run(self, deadline: float) -> None:
        await self.open_calendar()
        while await self.think(deadline):
            roll = self.rng.random()
            if roll < 0.50:
                await self.move_week()
            elif roll < 0.80:
                await self.open_appointment()
            elif roll < 0.90:
                await self.book(deadline)
            else:
                await self.write_note(deadline)


async def one_user(base_url: str, origin: str, practice: Practice, tally: Tally, seed: int, start_after: float,
                   deadline: float, reload_pages: bool = False) -> None:
    from pazpaz.settings import get_settings

    await asyncio.sleep(start_after)
    cookie = f"{get_settings().session_cookie_name}={practice.cookie_token}"
    tab = Tab(base_url, cookie, origin)
    try:
        await tab.connect()
    except Exception:
        tally.error("could not connect")
        return
    try:
        await Therapist(tab, practice, tally, random.Random(seed), reload_pages).run(deadline)
    except ConnectionError:
        pass
    finally:
        await tab.close()


async def simulate(base_url: str, origin: str, practices: list[Practice], users: int, seconds: float,
                   reload_pages: bool = False) -> Tally:
    tally = Tally()
    ramp = min(10.0, seconds / 6)  # arrivals spread over the first seconds, as a morning's logins
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(one_user(base_url, origin, practices[i % len(practices)], tally, i,
                                    ramp * i / users, deadline, reload_pages) for i in range(users)))
    return tally


# ---- the server and its measurements -----------------------------------------------------------

class ServerMeter:
    """CPU seconds and peak RSS of a process and its children (granian and its workers; the
    postmaster and its backends; this harness), sampled every second per process, so a child
    that starts or ends during the run counts for the time it ran."""

    def __init__(self, pid: int, children: bool = True) -> None:
        import psutil

        self._root, self._children = psutil.Process(pid), children
        self.peak_rss = 0
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._measure(first=True)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _processes(self):
        import psutil

        try:
            children = self._root.children(recursive=True) if self._children else []
        except psutil.Error:  # a child exited while being listed: count the others this second
            children = []
        return [self._root, *children]

    def _measure(self, first: bool = False) -> None:
        rss = 0
        for process in self._processes():
            with contextlib.suppress(Exception):
                times = process.cpu_times()
                used = times.user + times.system
                # A process born during the run: what it used since it started counts.
                self._first.setdefault(process.pid, used if first else 0.0)
                self._last[process.pid] = used
                rss += process.memory_info().rss
        self.peak_rss = max(self.peak_rss, rss)

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            self._measure()

    def finish(self) -> tuple[float, int]:
        self._stop.set()
        self._thread.join()
        self._measure()
        return sum(self._last[pid] - self._first[pid] for pid in self._last), self.peak_rss


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def postmaster_pid() -> int:
    return int((PGDATA / "postmaster.pid").read_text().split()[0])


def _ms_percentiles(seconds: list[float]) -> dict[str, float]:
    ms = [value * 1000 for value in seconds]
    return {"n": len(ms), "p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1)}


def summarise(tally: Tally, users: int, workers: int, seconds: float, cpu_seconds: float, rss: int,
              load_before: tuple[float, float, float], db_cpu: float, client_cpu: float) -> dict:
    ms = [value * 1000 for value in tally.round_trips]
    return {
        "users": users, "workers": workers, "seconds": seconds, "events": len(ms),
        "events_per_second": round(len(ms) / seconds, 1), "errors": sum(tally.errors.values()),
        "errors_by_kind": tally.errors, "bookings": tally.bookings, "autosaves": tally.autosaves,
        "round_trip_ms": {"p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1),
                          "p99": round(percentile(ms, 99), 1),
                          "mean": round(statistics.fmean(ms), 1) if ms else 0.0},
        "by_event": {kind: _ms_percentiles(values) for kind, values in sorted(tally.by_kind.items())},
        "server_cpu_cores": round(cpu_seconds / seconds, 2), "server_peak_rss_mb": round(rss / 2**20),
        "postgres_cpu_cores": round(db_cpu / seconds, 3), "load_generator_cpu_cores": round(client_cpu / seconds, 3),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
    }


def open_sessions(count: int) -> list[Practice]:
    """A signed-in session for the owners of the first `count` seeded practices."""
    from bench.seed import seeded_workspaces
    from pazpaz.models import User
    from pazpaz.models.base import utcnow
    from pazpaz.services import auth
    from pazpaz.services.audit import RequestContext
    from pazpaz.services.scope import system_session

    context = RequestContext(ip="127.0.0.1", user_agent="pazpaz-loadtest")
    practices = []
    with system_session() as session:
        for _, owner_id, zone in seeded_workspaces()[:count]:
            token, _ = auth.open_session(session, session.get(User, owner_id), context, utcnow())
            practices.append(Practice(token, zone))
    return practices


# What earlier load runs wrote, deleted before each run (dependents first): the notes of the
# seeded practices (the seed writes none) and the appointments booked after the seed.
_EARLIER_RUNS = (
    "CREATE TEMP TABLE run_notes ON COMMIT DROP AS SELECT n.id FROM soap_notes n "
    "JOIN workspaces w ON w.id = n.workspace_id WHERE w.name LIKE :prefix",
    "CREATE TEMP TABLE run_appointments ON COMMIT DROP AS SELECT a.id FROM appointments a "
    "JOIN workspaces w ON w.id = a.workspace_id WHERE w.name LIKE :prefix AND a.created_at > :seeded_at",
    "DELETE FROM soap_note_goals WHERE note_id IN (SELECT id FROM run_notes)",
    "DELETE FROM soap_note_versions WHERE note_id IN (SELECT id FROM run_notes)",
    "DELETE FROM attachments WHERE note_id IN (SELECT id FROM run_notes)",
    "DELETE FROM soap_notes WHERE id IN (SELECT id FROM run_notes)",
    "DELETE FROM reminder_deliveries WHERE appointment_id IN (SELECT id FROM run_appointments)",
    "DELETE FROM client_responses WHERE appointment_id IN (SELECT id FROM run_appointments)",
    "DELETE FROM appointments WHERE id IN (SELECT id FROM run_appointments)",
)


def forget_earlier_runs(owner_url: str) -> int:
    """Every run starts from the seeded appointments and no notes (the seeded appointments a
    note was opened for stay marked attended, as opening a note does). The bookings of earlier
    runs all land in the weeks the simulated therapists visit (around today, in the first
    practices), so keeping them made each run read fuller weeks than the one before: +25-35 %
    appointments in those weeks after a day of runs. Returns how many appointments were deleted."""
    from sqlalchemy import create_engine, text

    from bench.seed import NAME_PREFIX, SEEDED_AT

    engine = create_engine(owner_url)  # the tables' owner: the app role's row policies don't apply
    try:
        with engine.begin() as connection:
            params = {"prefix": NAME_PREFIX + " %", "seeded_at": SEEDED_AT}
            for statement in _EARLIER_RUNS:
                connection.execute(text(statement), params)
            return connection.execute(text("SELECT count(*) FROM run_appointments")).scalar_one()
    finally:
        engine.dispose()


def prepare(reseed: bool):
    """The bench database, seeded (1,000 practices x 2,000 appointments); (pg, owner URL, app URL)."""
    from bench.api_bench import prepare_database, seed_if_needed
    from bench.seed import Scale, row_counts
    from pazpaz.infra import postgres

    pg = postgres.start(PGDATA)
    scale = Scale()
    if not reseed:
        owner_url, app_url = prepare_database(pg, reseed=False)
        counts = row_counts()
        if counts["workspaces"] == scale.workspaces and counts["appointments"] >= scale.expected_rows()["appointments"]:
            return pg, owner_url, app_url
        release_engines()
    owner_url, app_url = seed_if_needed(pg, scale, reseed)
    return pg, owner_url, app_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="50,100,200", help="concurrent users per run, comma-separated")
    parser.add_argument("--workers", default="1,2", help="backend workers per run (2+ use Redis)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--oplock", action="store_true",
                        help="with Redis, let a worker hold a tab's state between its events "
                             "(REFLEX_OPLOCK_ENABLED=true; PazPaz keeps it off)")
    parser.add_argument("--reload-pages", action="store_true",
                        help="hydrate the whole tab on every page opened, as a reload does (the harness's "
                             "only mode before 1 Dec 2026), instead of once per connection as a browser does")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    user_counts = [int(x) for x in args.users.split(",")]
    worker_counts = [int(x) for x in args.workers.split(",")]

    configure_environment()
    from pazpaz.settings import get_settings
    from tests.support.app_process import start_app, wait_ready
    from tests.support.ports import free_port
    from tests.support.redis_server import start_redis
    from tests.support.services import start_s3

    pg, owner_url, app_url = prepare(args.reseed)
    s3 = start_s3("load-s3")
    redis = start_redis("load-redis", data_root=WORK)
    runs: list[dict] = []
    try:
        os.environ["DATABASE_URL"] = app_url
        get_settings.cache_clear()
        release_engines()
        practices = open_sessions(max(user_counts))
        port = free_port()
        origin = f"http://localhost:{port}"
        env = {**os.environ, "DATABASE_URL": app_url, "PAZPAZ_PUBLIC_URL": origin, "PAZPAZ_LOG_LEVEL": "warning",
               # As `reflex run --env prod` runs the backend: Reflex's dev mode type-checks every
               # element of a list var on each assignment (several ms of a week move).
               "REFLEX_ENV_MODE": "prod",
               "S3_ENDPOINT_URL": s3.settings.endpoint_url or "", "S3_BUCKET": s3.settings.bucket,
               "S3_ACCESS_KEY_ID": s3.settings.access_key_id, "S3_SECRET_ACCESS_KEY": s3.settings.secret_access_key}
        for workers in worker_counts:
            # One worker keeps tab state in memory (the default); more share it through Redis.
            run_env = {k: v for k, v in env.items() if k != "REDIS_URL"}
            if workers > 1:
                run_env["REDIS_URL"] = redis.url
                if args.oplock:
                    run_env["REFLEX_OPLOCK_ENABLED"] = "true"
            for users in user_counts:
                forgotten = forget_earlier_runs(owner_url)
                app = start_app(run_env, port, WORK / f"app-{workers}w-{users}u.log", workers=workers)
                try:
                    wait_ready(app)
                    print(f"{users} users, {workers} worker(s), {args.seconds:.0f} s "
                          f"({forgotten} appointments of earlier runs deleted) ...", flush=True)
                    load_before = os.getloadavg()
                    meter, db_meter = ServerMeter(app.process.pid), ServerMeter(postmaster_pid())
                    client_meter = ServerMeter(os.getpid(), children=False)  # the app is our child
                    redis_meter = ServerMeter(redis.process.pid)
                    started = time.monotonic()
                    tally = asyncio.run(simulate(app.url, origin, practices, users, args.seconds,
                                                 args.reload_pages))
                    elapsed = time.monotonic() - started
                    cpu, rss = meter.finish()
                    db_cpu, _ = db_meter.finish()
                    client_cpu, _ = client_meter.finish()
                    redis_cpu, _ = redis_meter.finish()
                finally:
                    app.stop()
                run = summarise(tally, users, workers, elapsed, cpu, rss, load_before, db_cpu, client_cpu)
                run["redis_cpu_cores"] = round(redis_cpu / elapsed, 3)
                run["oplock"] = workers > 1 and args.oplock
                run["reload_pages"] = args.reload_pages
                run["server_cpu_ms_per_event"] = round(cpu * 1000 / max(1, run["events"]), 1)
                # The machine's speed during the run: the harness does the same work per event in
                # every run, so its CPU per event rises when the machine is slower (README "Load test").
                run["load_generator_cpu_ms_per_event"] = round(client_cpu * 1000 / max(1, run["events"]), 2)
                runs.append(run)
                rt = run["round_trip_ms"]
                print(f"  {run['events']} events ({run['events_per_second']}/s), {run['errors']} errors "
                      f"{run['errors_by_kind'] or ''}; round trip p50 {rt['p50']} / p95 {rt['p95']} "
                      f"/ p99 {rt['p99']} ms; "
                      f"server {run['server_cpu_cores']} cores ({run['server_cpu_ms_per_event']} ms per event), "
                      f"{run['server_peak_rss_mb']} MB, "
                      f"postgres {run['postgres_cpu_cores']}, redis {run['redis_cpu_cores']}, "
                      f"load generator {run['load_generator_cpu_cores']} cores "
                      f"({run['load_generator_cpu_ms_per_event']} ms per event); "
                      f"load {run['load_average_before'][0]} -> {run['load_average_after'][0]}", flush=True)
                write(runs, args.results)
    finally:
        redis.stop()
        s3.stop()
        release_engines()
        pg.stop()
    goal = [r for r in runs if r["users"] == GOAL_USERS]
    for run in goal:
        met = run["round_trip_ms"]["p95"] <= GOAL_P95_MS and run["errors"] == 0
        print(f"goal ({GOAL_USERS} users, p95 <= {GOAL_P95_MS:.0f} ms, 0 errors) with {run['workers']} worker(s): "
              f"{'met' if met else 'MISSED'}")
    print(f"Written to {args.results}")
    return 0


def write(runs: list[dict], results: Path = RESULTS) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({"measured_at": datetime.now().isoformat(timespec="seconds"),
                                   "think_seconds": THINK_SECONDS, "autosave_seconds": AUTOSAVE_SECONDS,
                                   "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
