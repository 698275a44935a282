"""The garbage collector's pace during the long streams (the LHEO export and import).

Both allocate millions of short-lived containers (offer dicts, XML nodes, lxml proxies, rows) that
reference counting frees at once; with Python's default first threshold (700) the collector still
runs every few elements and, through the older generations, walks the whole heap again and again
(6-10 % of the export's CPU on the bench base, bench/RESULTS.md). Nothing in these streams relies on
when a collection happens, so the threshold is raised while one runs, and the process's own
setting comes back after the last one ends (several may run at once, on threads)."""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# allocations between two young collections while a stream runs. Measured on the export (first
# 40,000 formations of the 400k bench base, four alternated rounds): 407-475 µs of CPU per formation
# at Python's default (700), 392-438 at 20,000, 392-431 at 100,000; the full 400k export then peaked
# at 202 MiB with 20,000 against 246 MiB with 100,000. Both streams make little cyclic garbage (about
# 1 MiB per 5,000 formations), which is what the collector is for.
THRESHOLD = 20_000


_lock = threading.Lock()
_state = {"running": 0, "saved": None}


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The first threshold at least THRESHOLD until the last stream that overlaps this one ends."""
    with _lock:
        if _state["running"] == 0:
            _state["saved"] = gc.get_threshold()
            first, *older = _state["saved"]
            gc.set_threshold(max(THRESHOLD, first), *older)
        _state["running"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["running"] -= 1
            if _state["running"] == 0:
                gc.set_threshold(*_state["saved"])
