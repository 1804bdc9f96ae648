"""Profile /api/v1 in process: the whole ASGI stack the port serves, without the network.

Uses the database `python -m bench.api_bench` seeded (100 practices x 2,000 appointments),
builds the same ASGI app Granian serves (PazPazApp: host guard, security headers, websocket
cookie layer, Reflex's Starlette layers, our routes, FastAPI) and calls it directly, so the
numbers are the app's own cost per request:

  cpu     process CPU time per request (all threads: the route's worker-thread hand-off
          included), no profiler attached;
  calls   Python function calls per request under cProfile, with the worker-thread hand-off
          run inline so the profile sees the route too; the top functions by own time.

    python -m bench.profile_api [--calls 1000] [--top 30] [--only api_week_list]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import sys
import time as clock
from urllib.parse import urlencode

from bench.schedule_bench import bench_postgres, configure_environment, release_engines

PORT = 8765  # never bound: only the Host header and the public URL carry it
BASE = f"http://localhost:{PORT}"


def build_asgi(app_url: str):
    from pazpaz.settings import get_settings

    os.environ.update(PAZPAZ_PORT=str(PORT), PAZPAZ_PUBLIC_URL=BASE, DATABASE_URL=app_url,
                      PAZPAZ_API_RATE_READ="10000000/minute", PAZPAZ_API_RATE_WRITE="10000000/minute",
                      PAZPAZ_LOG_LEVEL="warning",
                      # As `reflex run --env prod` starts its backend: the front end is already built.
                      REFLEX_SKIP_COMPILE="true", REFLEX_ENV_MODE="prod")
    os.environ.pop("DATABASE_MIGRATION_URL", None)
    get_settings.cache_clear()
    from pazpaz.launcher import reflex_env

    os.environ.update(reflex_env(dict(os.environ)))
    from pazpaz.pazpaz import app

    return app()


async def call(asgi, path: str, params: dict, token: str) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": urlencode(params).encode(), "root_path": "",
             "headers": [(b"host", f"localhost:{PORT}".encode()), (b"user-agent", b"python-httpx/0.28.1"),
                         (b"accept", b"*/*"), (b"accept-encoding", b"gzip, deflate"),
                         (b"connection", b"keep-alive"), (b"authorization", f"Bearer {token}".encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", PORT), "state": {}}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await asgi(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


def run_inline() -> None:
    """The route's thread hand-off runs in the calling thread (cProfile sees one thread)."""
    import anyio.to_thread

    async def inline(func, *args, **kwargs):
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]


async def measure(asgi, name: str, make, calls: int, warmup: int, top: int, profile: bool) -> None:
    from bench.api_bench import PATHS

    for _ in range(warmup):
        status, body = await call(asgi, PATHS[name], *reversed(make()))
        assert status == 200, (status, body[:300])
    requests = [make() for _ in range(calls)]
    if not profile:
        cpu, wall = clock.process_time(), clock.perf_counter()
        for token, params in requests:
            await call(asgi, PATHS[name], params, token)
        cpu, wall = clock.process_time() - cpu, clock.perf_counter() - wall
        print(f"== {name}: {cpu / calls * 1000:.2f} ms CPU, {wall / calls * 1000:.2f} ms wall per request "
              f"(no profiler; n={calls}; load {os.getloadavg()[0]:.2f})", flush=True)
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for token, params in requests:
        await call(asgi, PATHS[name], params, token)
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"== {name}: {stats.total_calls / calls:.0f} function calls per request (profiled, inline; n={calls})")  # type: ignore[attr-defined]
    _breakdown(stats, calls)
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue().split("\n", 6)[-1], flush=True)
    if os.environ.get("PROFILE_DUMP"):
        stats.dump_stats(f"{os.environ['PROFILE_DUMP']}.{name}.prof")


# Where a request's profiled time goes: the route's own work, the token check, the rest (the
# ASGI layers, FastAPI's parameter handling, serialisation, the thread hand-off).
PARTS = {"request": "call", "route (service + body)": ("list_appointments", "conflicts"),
         "token check (current_actor)": "current_actor", "authenticate (cache miss)": "authenticate",
         "FastAPI parameters (solve_dependencies)": "solve_dependencies"}


def _breakdown(stats: pstats.Stats, calls: int) -> None:
    cumulative: dict[str, tuple[int, float]] = {}
    for (filename, _, function), (_, primitive, _, total, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "pazpaz" in filename or "bench" in filename or function == "solve_dependencies":
            count, seconds = cumulative.get(function, (0, 0.0))
            cumulative[function] = (count + primitive, max(seconds, total) if function == "solve_dependencies"
                                    else seconds + total)
    for label, names in PARTS.items():
        names = (names,) if isinstance(names, str) else names
        count = sum(cumulative.get(n, (0, 0.0))[0] for n in names)
        seconds = sum(cumulative.get(n, (0, 0.0))[1] for n in names)
        print(f"   {label:42} {seconds / calls * 1000:6.2f} ms profiled per request ({count / calls:.2f} calls)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_api", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--only", choices=("api_week_list", "api_conflicts"))
    parser.add_argument("--no-profile", action="store_true", help="CPU per request only")
    parser.add_argument("--cached-tokens", action="store_true",
                        help="every token check after the first is a cache hit (deterministic call counts)")
    args = parser.parse_args(argv)

    configure_environment()
    if args.cached_tokens:
        from pazpaz.services import api_tokens

        api_tokens.AUTH_CACHE_SECONDS = 1e9
    from bench.api_bench import make_tokens, request_makers, seed_if_needed
    from bench.seed import Scale

    with bench_postgres() as pg:
        _, app_url = seed_if_needed(pg, Scale(workspaces=100, appointments_per_workspace=2000), False)
        tokens = make_tokens()
        release_engines()
        asgi = build_asgi(app_url)
        makers = request_makers(tokens, random.Random(11))

        async def run() -> None:
            for name, make in makers.items():
                if args.only in (None, name):
                    await measure(asgi, name, make, args.calls, args.warmup, args.top, profile=False)
            if not args.no_profile:
                run_inline()
                for name, make in makers.items():
                    if args.only in (None, name):
                        await measure(asgi, name, make, args.calls, 20, args.top, profile=True)

        asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
