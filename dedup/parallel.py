"""A process pool over shards, for the stages whose work is per block or per article.

A stage function takes a shard (a list of plain items) and returns a list of plain results, one per item; the
shards are contiguous slices and their results are concatenated in shard order, so the outcome is the same list,
in the same order, as one call over all items. Outputs are therefore byte-identical for any number of workers
(tested). The same shard functions can be run by a distributed engine.

    >>> map_shards(skeleton_shard, ["Call 555-0100 today", "Visit example.com"], workers=2, min_items=1)
    ['call _num_ today', 'visit _url_']
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 4000  # below this a pool costs more than it saves
SHARDS_PER_WORKER = 4


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def shards(items: Sequence[T], count: int) -> list[Sequence[T]]:
    """``items`` cut into at most ``count`` contiguous, non-empty slices of near-equal size."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    cuts, start = [], 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        cuts.append(items[start:end])
        start = end
    return [c for c in cuts if len(c)]


def map_shards(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int,
               min_items: int | None = None) -> list[R]:
    """``fn(items)``, computed over shards by ``workers`` processes when there are ``min_items`` or more
    (default ``MIN_ITEMS``)."""
    if workers <= 1 or len(items) < (MIN_ITEMS if min_items is None else min_items):
        return fn(items)
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    parts = shards(items, workers * SHARDS_PER_WORKER)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = list(pool.map(fn, parts))
    if sum(len(r) for r in results) != len(items):
        raise RuntimeError(f"{getattr(fn, '__name__', fn)}: a shard returned the wrong number of results")
    return [item for part in results for item in part]
