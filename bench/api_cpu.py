"""Server CPU per API request over real HTTP: the load-independent figure behind `make bench`'s
api.json (wall-clock percentiles move with whatever else shares the cores; CPU time per
request barely does).

Starts the prod server like `python -m bench.api_bench` (same database, tokens, settings),
sends `--requests` keep-alive requests per endpoint from `--clients` clients, and reads the
CPU time (user + system, /proc) the Reflex/Granian process tree spent meanwhile.

    python -m bench.api_cpu [--requests 2000] [--clients 1]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time as clock
from pathlib import Path

from bench import api_bench
from bench.schedule_bench import PGDATA, configure_environment, release_engines

TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def server_pids(launcher_pid: int) -> list[int]:
    """The Reflex process and its Granian workers (not S3, the job worker or the guard)."""
    return [pid for pid in _tree(launcher_pid) if "reflex run" in _command(pid)]


def run(name: str, make, requests: int, clients: int, pids: list[int]) -> None:
    import httpx

    batch = [make() for _ in range(requests)]
    chunks = [batch[i::clients] for i in range(clients)]

    def worker(chunk) -> None:
        with httpx.Client(base_url=api_bench.BASE, timeout=30) as http:
            for token, params in chunk:
                api_bench._timed(http, api_bench.PATHS[name], token, params)

    worker([make() for _ in range(100)])  # warm-up
    cpu, wall = _cpu_seconds(pids), clock.perf_counter()
    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu, wall = _cpu_seconds(pids) - cpu, clock.perf_counter() - wall
    print(f"{name:16} {clients:2} client(s): server CPU {cpu / requests * 1000:5.2f} ms/request, "
          f"{requests / wall:6.1f} req/s (load {os.getloadavg()[0]:.2f})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1])
    args = parser.parse_args(argv)

    configure_environment()
    from bench.seed import Scale
    from pazpaz.infra import postgres

    pg = postgres.start(PGDATA)
    app = None
    try:
        owner_url, app_url = api_bench.seed_if_needed(pg, Scale(workspaces=100, appointments_per_workspace=2000),
                                                      False)
        tokens = api_bench.make_tokens()
        release_engines()
        api_bench.choose_port()
        app = api_bench.start_app(app_url, owner_url)
        pids = server_pids(app.pid)
        makers = api_bench.request_makers(tokens, random.Random(api_bench.SAMPLE_SEED))
        for clients in args.clients:
            for name, make in makers.items():
                run(name, make, args.requests, clients, pids)
        return 0
    finally:
        if app is not None and app.poll() is None:
            app.terminate()
            app.wait(timeout=60)
        release_engines()
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
