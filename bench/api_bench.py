"""`make bench`: the REST API over real HTTP against the prod server.

Starts its own embedded PostgreSQL under .testdata/bench-pg (database pazpaz_api_bench),
seeds it once like the reference measurement (100 workspaces x 2,000 appointments, about 19
appointments a week; --reseed starts over), makes one read token per workspace, starts the
app through the launcher in prod mode (Reflex + Granian, the same port as the UI) and times,
with one keep-alive HTTP connection per client:

  api_week_list  GET /api/v1/appointments?start=&end= for a random practice and week;
  api_conflicts  GET /api/v1/appointments/conflicts?start=&end= for a random hour;

2,000 sequential requests each (p50/p95/p99), then 2,000 more each from 10 concurrent
clients (requests per second and p95). Writes bench/results/api.json.

The issue's keys are the default deployment (one worker, no Redis). Then, unless
--scale-out-workers 0, the 10-client runs again against PAZPAZ_WORKERS=2 with REDIS_URL (a
redis-server started for the run: tab state, rate limits and token news shared through it),
written as "<name>_10_clients_2_workers_redis".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time as clock
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bench.schedule_bench import PGDATA, PROJECT_ROOT, configure_environment, drop_database, release_engines
from tests.support.ports import free_port

DATABASE = "pazpaz_api_bench"
APP_DATA = PROJECT_ROOT / ".testdata" / "bench-api"
RESULTS = PROJECT_ROOT / "bench" / "results" / "api.json"
# Chosen when the bench starts (a free port, not a fixed one another program may hold).
PORT = 0
BASE = ""
TARGETS = {"api_week_list": 9.0, "api_conflicts": 5.0}  # p95 ms
TARGET_RPS = 160.0
SAMPLE_SEED = 11


def prepare_database(pg, reseed: bool) -> tuple[str, str]:
    """(owner URL, app-role URL) of the bench database, migrated."""
    from pazpaz.infra.roles import APP_ROLE
    from pazpaz.launcher import run_migrations
    from pazpaz.settings import get_settings

    if reseed:
        drop_database(pg, DATABASE)
    pg.ensure_database(DATABASE)
    pg.ensure_app_role(APP_ROLE)
    owner_url = pg.url(DATABASE)
    os.environ["DATABASE_URL"] = owner_url
    get_settings.cache_clear()
    run_migrations(owner_url, APP_ROLE)
    return owner_url, pg.url(DATABASE, user=APP_ROLE)


def seed_if_needed(pg, scale, reseed: bool) -> tuple[str, str]:
    from bench.seed import row_counts, seed

    urls = prepare_database(pg, reseed)
    if row_counts() != scale.expected_rows():
        release_engines()
        urls = prepare_database(pg, reseed=True)
        print(f"Seeding {scale.workspaces} workspaces x {scale.appointments_per_workspace:,} appointments ...",
              flush=True)
        seeded = seed(scale)
        print(f"Seeded {seeded.rows['appointments']:,} appointments in {seeded.seconds:.1f} s", flush=True)
    else:
        print("Database already seeded; use --reseed to start over.", flush=True)
    return urls


def make_tokens() -> list[tuple[str, str]]:
    """(token, time zone) per seeded workspace: a fresh read token for each owner."""
    from bench.seed import seeded_workspaces
    from pazpaz.services import api_tokens
    from pazpaz.services.scope import Actor

    made = []
    for workspace_id, owner_id, zone in seeded_workspaces():
        actor = Actor(workspace_id=workspace_id, user_id=owner_id, role="owner")
        made.append((api_tokens.create(actor, "bench", "read", 1).token, zone))
    return made


def choose_port() -> None:
    global PORT, BASE
    PORT = free_port()
    BASE = f"http://localhost:{PORT}"


def start_app(app_url: str, owner_url: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    from pazpaz.launcher import wait_for_health
    from tests.support.ports import free_launcher_s3_port

    APP_DATA.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("S3_ENDPOINT_URL", "SMTP_HOST")}
    env.update(PAZPAZ_DATA_DIR=str(APP_DATA), PAZPAZ_PORT=str(PORT), PAZPAZ_PUBLIC_URL=BASE,
               PAZPAZ_EMBEDDED_S3_PORT=str(free_launcher_s3_port()), PAZPAZ_LOG_LEVEL="warning", DATABASE_URL=app_url,
               DATABASE_MIGRATION_URL=owner_url,
               # The benchmark is one client far above a person's pace: lift the per-token limits.
               PAZPAZ_API_RATE_READ="10000000/minute", PAZPAZ_API_RATE_WRITE="10000000/minute")
    env.update(extra_env or {})
    log = open(APP_DATA / "app.log", "wb")  # noqa: SIM115 (held by the child for its lifetime)
    process = subprocess.Popen([sys.executable, "-m", "pazpaz.launcher"], cwd=PROJECT_ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    if not wait_for_health(BASE, process, 900):
        process.terminate()
        raise SystemExit(f"the app did not become healthy; see {APP_DATA / 'app.log'}")
    return process


def request_makers(tokens: list[tuple[str, str]], rng: random.Random) -> dict[str, Callable[[], tuple[str, dict]]]:
    from bench.seed import FIRST_DAY, LAST_DAY, workdays

    zones = {zone: ZoneInfo(zone) for _, zone in tokens}
    days = {zone: workdays(zone) for zone in zones}
    span = (LAST_DAY - FIRST_DAY).days - 7

    def week() -> tuple[str, dict]:
        token, zone = rng.choice(tokens)
        first = datetime.combine(FIRST_DAY + timedelta(days=rng.randint(0, span)), time(), zones[zone])
        return token, {"start": first.isoformat(), "end": (first + timedelta(days=7)).isoformat()}

    def hour() -> tuple[str, dict]:
        token, zone = rng.choice(tokens)
        start = datetime.combine(rng.choice(days[zone]), time(8), zones[zone]) + timedelta(
            minutes=5 * rng.randint(0, 120))
        return token, {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}

    return {"api_week_list": week, "api_conflicts": hour}


PATHS = {"api_week_list": "/api/v1/appointments", "api_conflicts": "/api/v1/appointments/conflicts"}


def _timed(http, path: str, token: str, params: dict) -> float:
    began = clock.perf_counter()
    response = http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    elapsed = (clock.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
    return elapsed


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100)
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2), "n": len(samples)}


def sequential(name: str, make: Callable[[], tuple[str, dict]], samples: int, warmup: int) -> dict[str, float]:
    import httpx

    with httpx.Client(base_url=BASE, timeout=30) as http:  # one keep-alive connection
        for _ in range(warmup):
            _timed(http, PATHS[name], *make())
        timings = [_timed(http, PATHS[name], *make()) for _ in range(samples)]
    return percentiles(timings)


def concurrent(name: str, make: Callable[[], tuple[str, dict]], samples: int, clients: int) -> dict[str, float]:
    import httpx

    requests = [make() for _ in range(samples)]
    chunks = [requests[i::clients] for i in range(clients)]
    timings: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)

    def worker(chunk: list[tuple[str, dict]]) -> None:
        with httpx.Client(base_url=BASE, timeout=30) as http:
            _timed(http, PATHS[name], *chunk[0])  # opens the connection before the clock starts
            ready.wait()
            mine = [_timed(http, PATHS[name], token, params) for token, params in chunk]
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    ready.wait()
    began = clock.perf_counter()
    for thread in threads:
        thread.join()
    seconds = clock.perf_counter() - began
    return {"rps": round(len(timings) / seconds, 1), "p95": percentiles(timings)["p95"], "n": len(timings),
            "clients": clients}


def stop_app(app: subprocess.Popen) -> None:
    if app.poll() is None:
        app.terminate()  # the launcher stops Reflex and the embedded S3 it started
        try:
            app.wait(timeout=60)
        except subprocess.TimeoutExpired:
            app.kill()


def scale_out(app_url: str, owner_url: str, makers: dict[str, Callable[[], tuple[str, dict]]], samples: int,
              clients: int, workers: int) -> dict[str, dict[str, float]]:
    """The concurrent runs against `workers` Granian workers sharing a real Redis."""
    from tests.support.redis_server import start_redis

    redis = start_redis("bench-api-redis", data_root=PROJECT_ROOT / ".testdata")
    app = None
    results: dict[str, dict[str, float]] = {}
    try:
        choose_port()
        print(f"Starting the app (prod, {workers} workers, REDIS_URL) on {BASE} ...", flush=True)
        app = start_app(app_url, owner_url, {"PAZPAZ_WORKERS": str(workers), "REDIS_URL": redis.url})
        for name, make in makers.items():
            print(f"{name}: {samples} requests from {clients} concurrent clients, {workers} workers + Redis ...",
                  flush=True)
            figure = concurrent(name, make, samples, clients)
            results[f"{name}_{clients}_clients_{workers}_workers_redis"] = {**figure, "workers": workers,
                                                                           "redis": True}
    finally:
        if app is not None:
            stop_app(app)
        redis.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed it again")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--scale-out-workers", type=int, default=2,
                        help="also run the concurrent part with this many workers and Redis (0: skip)")
    args = parser.parse_args(argv)

    configure_environment()
    from bench.seed import Scale
    from pazpaz.infra import postgres
    from pazpaz.settings import get_settings

    scale = Scale(workspaces=100, appointments_per_workspace=2000)
    pg = postgres.start(PGDATA)
    app = None
    try:
        owner_url, app_url = seed_if_needed(pg, scale, args.reseed)
        tokens = make_tokens()
        release_engines()
        choose_port()
        print(f"Starting the app (prod) on {BASE} ...", flush=True)
        app = start_app(app_url, owner_url)
        rng = random.Random(SAMPLE_SEED)
        makers = request_makers(tokens, rng)
        results: dict[str, dict[str, float]] = {}
        for name, make in makers.items():
            print(f"{name}: {args.warmup} warm-up + {args.samples} sequential requests ...", flush=True)
            results[name] = sequential(name, make, args.samples, args.warmup)
        for name, make in makers.items():
            print(f"{name}: {args.samples} requests from {args.clients} concurrent clients ...", flush=True)
            results[f"{name}_{args.clients}_clients"] = concurrent(name, make, args.samples, args.clients)
        stop_app(app)
        app = None
        if args.scale_out_workers > 0:
            results.update(scale_out(app_url, owner_url, makers, args.samples, args.clients,
                                     args.scale_out_workers))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print()
        for name, target in TARGETS.items():
            values = results[name]
            verdict = "ok" if values["p95"] <= target else "MISSED"
            print(f"{name:28} p50 {values['p50']:6.2f}  p95 {values['p95']:6.2f}  p99 {values['p99']:6.2f} ms"
                  f"   target p95 <= {target:.0f} ms {verdict}")
            many = results[f"{name}_{args.clients}_clients"]
            verdict = "ok" if many["rps"] >= TARGET_RPS else "MISSED"
            print(f"{name + f'_{args.clients}_clients':28} {many['rps']:7.1f} req/s  p95 {many['p95']:6.2f} ms"
                  f"   target >= {TARGET_RPS:.0f} req/s {verdict}")
        for name, values in results.items():
            if name.endswith("_redis"):
                print(f"{name:44} {values['rps']:7.1f} req/s  p95 {values['p95']:6.2f} ms")
        print(f"Written to {RESULTS.relative_to(PROJECT_ROOT)}")
        return 0
    finally:
        if app is not None:
            stop_app(app)
        try:
            if get_settings().database_url:
                release_engines()
        finally:
            pg.stop()


if __name__ == "__main__":
    sys.exit(main())

