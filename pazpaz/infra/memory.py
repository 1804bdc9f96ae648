"""The garbage collector of a server process (docs/ARCHITECTURE.md "Server process: the garbage
collector").

A worker holds about 200,000 objects built at start-up (modules, the app's pages, components and
states) that live as long as the process. Python's collector scanned them in every full
collection, and its young generation, collected after every 700 new container objects, ran
several times per event (a tab's state is unpickled from Redis on every event): about 10 % of a
worker's CPU in the 200-user load test. Once the app is built, `settle_gc` moves those objects
to the permanent generation (`gc.freeze`: never scanned again) and raises the thresholds.
Objects are still freed by their reference counts at once; only reference cycles wait for a
collection: a young one after GC_THRESHOLDS[0] more live container objects, a cycle that
outlived one (a tab's state tree waiting on I/O) until a middle one (every 20 young) or a full
one (every 20 middle). Measured: peak RSS unchanged in the load test (docs).
"""

from __future__ import annotations

import gc

# Young-generation threshold (net new container objects) and how many collections of one
# generation trigger one of the next (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)


def settle_gc() -> None:
    """Freeze what start-up built, after a collection (so no garbage is kept for good)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def settle_gc_at_start() -> None:
    """A Reflex lifespan task: runs in each worker once the app is built, before it serves."""
    settle_gc()
