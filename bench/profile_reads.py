"""Profile the calendar's reads in process (cProfile): calls and CPU per request.

Uses the database `python -m bench.schedule_bench` seeded (run that once first), runs
`--calls` week reads and conflict checks under cProfile and prints, per read, the function
calls and CPU time per request and the top functions by own time. Wall-clock timings on a
shared machine move with the neighbours; the call counts and the profile shares don't.

    python -m bench.profile_reads [--calls 500] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time as clock

from bench.schedule_bench import configure_environment, prepare_database


def _profile(name: str, call, calls: int, top: int, warmup: int) -> None:
    for _ in range(warmup):
        call()
    profiler = cProfile.Profile()
    cpu = clock.process_time()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    cpu = clock.process_time() - cpu
    stats = pstats.Stats(profiler)
    total_calls = stats.total_calls  # type: ignore[attr-defined]
    print(f"\n== {name}: {total_calls / calls:.0f} function calls and {cpu / calls * 1000:.2f} ms CPU per request "
          f"(profiled; n={calls})")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue().split("\n", 6)[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_reads", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", choices=("week_read", "conflicts"))
    parser.add_argument("--warmup", type=int, default=50,
                        help="untimed calls first; 3000 warms every workspace's caches (the bench's own "
                             "pattern, 1,050 calls over 1,000 workspaces, is mostly first touches)")
    args = parser.parse_args(argv)

    configure_environment()
    from bench.schedule_bench import bench_postgres, reads  # the same reads as the bench

    with bench_postgres() as pg:
        prepare_database(pg, reseed=False)
        calls = reads(random.Random(7))
        for name, call in calls.items():
            if args.only in (None, name):
                _profile(name, call, args.calls, args.top, args.warmup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
