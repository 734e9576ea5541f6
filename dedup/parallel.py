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
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 4000  # below this a pool costs more than it saves
SHARDS_PER_WORKER = 4
_TASKS: Sequence[Callable[[], Any]] = ()  # what ``run_together``'s forked processes run, read by index


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


def _fork_context() -> multiprocessing.context.BaseContext | None:
    """The fork start method where the platform has it (children inherit the parent's data without pickling)."""
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def map_shards(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int,
               min_items: int | None = None) -> list[R]:
    """``fn(items)``, computed over shards by ``workers`` processes when there are ``min_items`` or more
    (default ``MIN_ITEMS``)."""
    results = per_shard(fn, items, workers, min_items)
    if sum(len(r) for r in results) != len(items):
        raise RuntimeError(f"{getattr(fn, '__name__', fn)}: a shard returned the wrong number of results")
    return results[0] if len(results) == 1 else [item for part in results for item in part]


def per_shard(fn: Callable[[Sequence[T]], R], items: Sequence[T], workers: int,
              min_items: int | None = None) -> list[R]:
    """``[fn(shard) for shard in shards(items, ...)]``: one result per contiguous shard, in order, computed by
    ``workers`` processes when there are ``min_items`` or more items (default ``MIN_ITEMS``), else
    ``[fn(items)]``. For results that are cheaper to pass back whole (arrays, columns) than item by item."""
    if workers <= 1 or len(items) < (MIN_ITEMS if min_items is None else min_items):
        return [fn(items)]
    context = _fork_context() or multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(fn, shards(items, workers * SHARDS_PER_WORKER)))


def run_together(tasks: Sequence[Callable[[], R]], workers: int, items: int = MIN_ITEMS,
                 seconds: list[float] | None = None) -> list[R]:
    """The results of independent zero-argument ``tasks``, in order; each task's CPU time (of the process that
    ran it) is appended to ``seconds`` when given.

    With ``workers`` >= 2, fork available and ``items`` (the size of the work) at least ``MIN_ITEMS``, the first
    task runs here while each other task runs at the same time in a forked process of its own (the system shares
    the CPUs among them; they read the data the tasks close over from the parent's memory, and nothing is pickled
    but their results); otherwise they run here one after another. Each task computes the same result either
    way; only the first task's side effects (on the parent's objects) are kept.
    """
    global _TASKS
    context = _fork_context()
    if workers <= 1 or len(tasks) < 2 or items < MIN_ITEMS or context is None:
        timed = [_timed_call(task) for task in tasks]
    else:
        _TASKS = tasks
        try:
            with ProcessPoolExecutor(max_workers=len(tasks) - 1, mp_context=context) as pool:
                others = [pool.submit(_run_task, n) for n in range(1, len(tasks))]
                timed = [_timed_call(tasks[0]), *(future.result() for future in others)]
        finally:
            _TASKS = ()
    if seconds is not None:
        seconds.extend(round(took, 2) for _, took in timed)
    return [result for result, _ in timed]


def _timed_call(task: Callable[[], R]) -> tuple[R, float]:
    """The task's result and the CPU seconds it took."""
    start = time.process_time()
    result = task()
    return result, time.process_time() - start


def _run_task(n: int) -> tuple[Any, float]:
    """Task ``n`` of ``run_together``, timed (in a forked process, which inherited ``_TASKS``)."""
    return _timed_call(_TASKS[n])
