"""A process pool over shards, for the stages whose work is per block or per article.

A stage function takes a shard (a list of plain items) and returns a list of plain results, one per item; the
shards are contiguous slices and their results are concatenated in shard order, so the outcome is the same list,
in the same order, as one call over all items. Outputs are therefore byte-identical for any number of workers
(tested). The same shard functions can be run by a distributed engine. Workers come from a forkserver (shards and
results are pickled, so they need nothing of this process's memory); only ``map_shared``, whose function reads
arrays of this process, forks it.

    >>> map_shards(skeleton_shard, ["Call 555-0100 today", "Visit example.com"], workers=2, min_items=1)
    ['call _num_ today', 'visit _url_']
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 4000  # below this a pool costs more than it saves
SHARDS_PER_WORKER = 4
_SHARED: Callable[[Sequence[Any]], list[Any]] | None = None  # what ``map_shared``'s forked processes run


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
               min_items: int | None = None, forked: bool = False) -> list[R]:
    """``fn(items)``, computed over shards by ``workers`` processes when there are ``min_items`` or more
    (default ``MIN_ITEMS``)."""
    results = per_shard(fn, items, workers, min_items, forked)
    if sum(len(r) for r in results) != len(items):
        raise RuntimeError(f"{getattr(fn, '__name__', fn)}: a shard returned the wrong number of results")
    return results[0] if len(results) == 1 else [item for part in results for item in part]


def per_shard(fn: Callable[[Sequence[T]], R], items: Sequence[T], workers: int,
              min_items: int | None = None, forked: bool = False, most: int | None = None) -> list[R]:
    """``[fn(shard) for shard in shards(items, ...)]``: one result per contiguous shard, in order, computed by
    ``workers`` processes when there are ``min_items`` or more items (default ``MIN_ITEMS``), else
    ``[fn(items)]``. For results that are cheaper to pass back whole (arrays, columns) than item by item.
    ``forked``: the workers are forked from this process (``map_shared``), else they come from ``_pool_context``.
    ``most``: items a shard holds at most (a worker then holds no more than one such shard's work at a time)."""
    if workers <= 1 or len(items) < (MIN_ITEMS if min_items is None else min_items):
        return [fn(items)]
    count = max(workers * SHARDS_PER_WORKER, -(-len(items) // most) if most else 0)
    context = _fork_context() if forked else _pool_context()
    with no_cycle_collection() if forked else _main_script_hidden(), \
            ProcessPoolExecutor(workers, mp_context=context) as pool:
        done = list(pool.map(_Metered(fn), shards(items, count)))
    _WORKER_CPU[0] += sum(seconds for _, seconds in done)
    return [result for result, _ in done]


_WORKER_CPU = [0.0]


def worker_cpu() -> float:
    """CPU seconds this process's pool workers have spent on shards so far."""
    return _WORKER_CPU[0]


class _Metered:
    """``fn`` on a shard, with the CPU time the worker spent on it (the workers of a forkserver pool are not this
    process's children, so their time is not in its own accounts)."""

    def __init__(self, fn: Callable[[Sequence[Any]], Any]) -> None:
        self.fn = fn

    def __call__(self, shard: Sequence[Any]) -> tuple[Any, float]:
        start = time.process_time()
        with no_cycle_collection():
            result = self.fn(shard)
        return result, time.process_time() - start


def _pool_context() -> multiprocessing.context.BaseContext:
    """Where ``per_shard``'s workers come from. Their shards and results are pickled whatever the start method, so
    they need nothing of this process: with forkserver they are forked from a small server process that has
    imported this package, not from this process, whose heap (gigabytes on a large corpus) a forked child would
    partly copy as soon as it allocates into the parent's half-free memory pages. Spawn where there is no
    forkserver."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["dedup.pipeline"])  # read once, when the server starts
        return context
    return multiprocessing.get_context("spawn")


def stop_workers() -> None:
    """Stop the forkserver, if one was started, and wait for it: it has waited for its workers, so their CPU time
    then counts as this process's children's (what ``time`` and ``getrusage`` report for a command)."""
    try:
        from multiprocessing import forkserver
    except ImportError:  # a platform without it
        return
    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)  # not a public method; where it is missing the server ends on exit
    if stop is not None:
        stop()


@contextmanager
def _main_script_hidden() -> Iterator[None]:
    """The main script's path hidden from the workers starting meanwhile (they start as ``pool.map`` submits).

    A forkserver worker re-runs the main script, as ``__mp_main__``, when it is given its path; a script that
    calls ``dedup.run`` without an ``if __name__ == "__main__":`` guard would then start the whole job again in
    every worker. Shard functions all come from this package, so the workers need nothing of the script."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or getattr(main, "__spec__", None) is not None:  # no script, or run with -m (imported)
        yield
        return
    del main.__file__  # type: ignore[union-attr]
    try:
        yield
    finally:
        main.__file__ = path  # type: ignore[union-attr]


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused, and restored as it was after.

    The stages build millions of small objects (blocks, notes, features, token strings) that form no reference
    cycles, and every full collection walks all of them: the cost grows with the heap, several seconds of a 100k
    run. Reference counting still frees every object as before; a whole 10k run leaves ~1,100 objects in cycles
    (classes and functions made at import), collected once the collector is back. Workers forked meanwhile
    inherit the pause: a collection in one would write to every object's header and copy nearly every page of
    the parent it shares.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _libc(name: str) -> Callable[..., int] | None:
    """The C library's function ``name`` (glibc's ``malloc_trim``, Linux's ``prctl``), or None where it has none."""
    try:
        import ctypes

        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


_TRIM = _libc("malloc_trim")
_PRCTL = _libc("prctl") if sys.platform.startswith("linux") else None  # PR_SET_PDEATHSIG is Linux's
_PR_SET_PDEATHSIG = 1


def release_free_memory() -> bool:
    """Hand the free pages of the C heap back to the system; whether it could be asked (glibc only).

    Python frees large strings and lists with the C allocator, which keeps freed pages mapped; between stages a
    run has let go of hundreds of megabytes (a 30k run's largest process peaks 785 MB without this and 732 MB
    with it), and the next stage's allocations rarely fit the holes they leave. A call takes milliseconds."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def map_shared(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int,
               min_items: int | None = None) -> list[R]:
    """``map_shards`` for a function that is not pickled: a closure or bound method over large arrays.

    The shards' processes are forked after ``fn`` is set aside for them, so they read it, and the arrays it holds,
    from the parent's memory (numpy data is not copied when read); only the items and the results are pickled.
    Without fork, ``fn(items)`` runs here.
    """
    global _SHARED
    if _fork_context() is None:
        return fn(items)
    _SHARED = fn
    try:
        return map_shards(_call_shared, items, workers, min_items, forked=True)
    finally:
        _SHARED = None


def _call_shared(shard: Sequence[Any]) -> list[Any]:
    """``map_shared``'s function on one shard (in a forked process, which inherited ``_SHARED``)."""
    if _SHARED is None:
        raise RuntimeError("map_shared: no function set for this process")
    return _SHARED(shard)


class ShardStream:
    """``per_shard`` over items that arrive a batch at a time: each full shard of ``size`` items goes to the pool
    as soon as it fills, so the workers compute while the caller makes the next items; ``results()`` gives one
    result per shard, in order. The last items are cut into ``workers`` shards; fewer than ``MIN_ITEMS`` in all
    are computed here, in one call. Used as a context manager, which stops the pool.

        >>> with ShardStream(sum, workers=2, size=3) as stream:
        ...     stream.add([1, 2, 3, 4])
        ...     stream.results()
        [6, 4]
    """

    def __init__(self, fn: Callable[[Sequence[Any]], Any], workers: int, size: int) -> None:
        self.fn, self.workers, self.size = fn, workers, size
        self._pending: list[Any] = []
        self._futures: list[Any] = []
        self._pool: ProcessPoolExecutor | None = None
        self._hidden: Any = None

    def __enter__(self) -> "ShardStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._close()

    def add(self, items: Sequence[Any]) -> None:
        """Queue items; every shard that fills is submitted."""
        self._pending.extend(items)
        if self.workers > 1 and len(self._pending) >= self.size:
            cut = len(self._pending) - len(self._pending) % self.size
            for lo in range(0, cut, self.size):
                self._submit(self._pending[lo:lo + self.size])
            del self._pending[:cut]

    def results(self) -> list[Any]:
        """One result per shard, in order (waits for the pool)."""
        return list(self.each())

    def each(self) -> Iterator[Any]:
        """One result per shard, in order, each as soon as its shard is done, so the caller can take in the first
        while the pool computes the last; the pool is stopped after the last (or when the caller stops)."""
        rest, self._pending = self._pending, []
        if self._pool is None and (self.workers <= 1 or len(rest) < MIN_ITEMS):
            yield self.fn(rest)
            return
        for shard in shards(rest, self.workers):
            self._submit(shard)
        futures, self._futures = self._futures, []
        futures.reverse()
        try:
            while futures:  # each result is let go here once yielded: the caller alone holds it
                result, seconds = futures.pop().result()
                _WORKER_CPU[0] += seconds
                yield result
                del result
        finally:
            self._close()

    def _submit(self, shard: Sequence[Any]) -> None:
        if self._pool is None:
            self._hidden = _main_script_hidden()
            self._hidden.__enter__()  # until the pool is stopped: its workers may start at any submit
            self._pool = ProcessPoolExecutor(self.workers, mp_context=_pool_context())
        self._futures.append(self._pool.submit(_Metered(self.fn), shard))

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._hidden.__exit__(None, None, None)


ROWS_CHUNK = 4096  # rows ``Rows`` gathers and writes at a time


class Rows:
    """Rows ``index`` of ``matrix`` (a numpy array), gathered as they are sent: a ``Beside`` process receives
    them as one array while this process gathers and writes ``ROWS_CHUNK`` rows at a time, so no second matrix
    is made beside ``matrix`` here (``matrix[index]`` would copy them whole). ``gather()`` gives them in this
    process (a function that may be handed either calls it).

        >>> import numpy as np
        >>> Rows(np.arange(6).reshape(3, 2), np.array([2, 0])).gather().tolist()
        [[4, 5], [0, 1]]
    """

    def __init__(self, matrix: Any, index: Any) -> None:
        self.matrix, self.index = matrix, index

    def gather(self) -> Any:
        """The rows, as one array."""
        return self.matrix[self.index]

    def chunks(self) -> Iterator[Any]:
        """The rows, ``ROWS_CHUNK`` at a time (C-contiguous arrays)."""
        for lo in range(0, len(self.index), ROWS_CHUNK):
            yield self.matrix[self.index[lo:lo + ROWS_CHUNK]]


class _RowsPickler(pickle.Pickler):
    """Pickles ``Rows`` as a placeholder (shape and dtype) and lists them; their bytes follow the pickle."""

    def __init__(self, file: Any, sent: list[Rows]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.sent = sent

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is not Rows:
            return None
        self.sent.append(obj)
        return "rows", (len(obj.index), *obj.matrix.shape[1:]), obj.matrix.dtype.str


def _send(pipe: Any, work: Any) -> None:
    """Pickle ``work`` into ``pipe``, then the bytes of every ``Rows`` in it, gathered a chunk at a time."""
    sent: list[Rows] = []
    _RowsPickler(pipe, sent).dump(work)
    for rows in sent:
        for chunk in rows.chunks():
            if chunk.nbytes:
                pipe.write(memoryview(chunk).cast("B"))


def _receive(pipe: Any) -> Any:
    """What ``_send`` wrote: the work, each ``Rows`` in it a numpy array filled from the bytes that follow."""
    import numpy as np

    arrays: list[Any] = []

    def new_array(pid: Any) -> Any:
        kind, shape, dtype = pid
        if kind != "rows":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        arrays.append(np.empty(shape, dtype=np.dtype(dtype)))
        return arrays[-1]

    unpickler = pickle.Unpickler(pipe)
    unpickler.persistent_load = new_array  # type: ignore[method-assign]
    work = unpickler.load()
    for array in (a for a in arrays if a.nbytes):
        view, got = memoryview(array).cast("B"), 0
        while got < len(view):
            n = pipe.readinto(view[got:])
            if not n:
                raise EOFError("the rows of a Rows argument ended early")
            got += n
    return work


class Beside:
    """``fn(*args)`` computed by a process of its own while this one goes on; ``result()`` waits for it.

    The arguments are pickled into a pipe to the process as they are written (no copy of their bytes is made), and
    are not kept here; a ``Rows`` among them arrives as an array, its rows gathered a chunk at a time as written;
    the result comes back pickled. The process comes from ``_pool_context``, not forked from this one, so it holds
    only what it was given (a fork would copy the pages this process keeps writing to); it may fork workers of its
    own (``map_shared``). With ``forked`` (where the platform has fork) the process is
    forked from this one instead: it reads ``fn`` and its arguments, and all they reach, from this process's
    memory as it was at the fork, nothing pickled on the way in (for work over this process's data near the end
    of a run, when little else is written); it is killed if this process dies first (Linux).
    With ``workers`` <= 1, ``fn(*args)`` is computed here, at ``result()``.

        >>> Beside(max, 3, 5, workers=1).result()
        5
    """

    def __init__(self, fn: Callable[..., R], *args: Any, workers: int, forked: bool = False) -> None:
        self._call: tuple[Callable[..., R], tuple[Any, ...]] | None = (fn, args)
        fork = _fork_context() if forked else None
        if workers > 1 and fork is not None:
            self._conn, theirs = fork.Pipe()
            self._process = fork.Process(target=_serve_forked, args=(theirs, os.getpid(), fn, args))
            self._process.start()
            theirs.close()
            self._call = None
        elif workers > 1:
            context = _pool_context()
            self._conn, theirs = context.Pipe()
            with _main_script_hidden():
                self._process = context.Process(target=_serve_call, args=(theirs,))  # not a daemon: it may fork
                self._process.start()
            theirs.close()
            try:  # pickled into the pipe as it goes: no copy of the arguments' bytes is made at either end
                with open(self._conn.fileno(), "wb", closefd=False) as pipe:
                    _send(pipe, (fn, args))
            except BaseException:
                self._conn.close()  # the process reads an end of file and stops
                self._process.join()
                raise
            self._call = None

    def cancel(self) -> None:
        """Stop the process, if there is one (its result is not wanted)."""
        if self._call is None:
            self._process.kill()
            self._process.join()
            self._conn.close()
        self._call = (_nothing, ())

    def result(self) -> R:
        """``fn(*args)`` (raises what it raised)."""
        if self._call is not None:
            fn, args = self._call
            return fn(*args)
        try:
            failed, value, seconds = pickle.loads(self._conn.recv_bytes())
        except EOFError:
            self._process.join()
            raise RuntimeError(f"a worker process ended with exit code {self._process.exitcode} "
                               "before returning its result") from None
        finally:
            self._conn.close()
        self._process.join()
        _WORKER_CPU[0] += seconds
        if failed:
            raise value
        return value


def _nothing() -> None:
    """What a cancelled ``Beside`` returns."""


def _serve_call(conn: Any) -> None:
    """``Beside``'s process: read (fn, args), send back (failed, result or exception, CPU seconds spent)."""
    try:  # only the work comes this way, so reading ahead takes nothing else
        with open(conn.fileno(), "rb", closefd=False) as pipe:
            fn, args = _receive(pipe)
    except (EOFError, pickle.UnpicklingError):  # the caller could not send its work
        return
    _reply(conn, fn, args)


def _serve_forked(conn: Any, caller: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """``Beside``'s forked process: ``fn(*args)`` as inherited, sent back as ``_serve_call`` sends it."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)  # no orphan goes on writing after its caller was killed
        if os.getppid() != caller:  # the caller died before the signal was asked for: it will never come
            os._exit(1)
    _reply(conn, fn, args)


def _reply(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Send (failed, result or exception, CPU seconds spent) of ``fn(*args)`` down ``conn``."""
    start = _own_and_children_cpu()
    try:
        with no_cycle_collection():
            reply = (False, fn(*args))
    except BaseException as error:  # handed to the caller, which raises it
        reply = (True, error)
    del fn, args
    try:
        conn.send_bytes(pickle.dumps((*reply, _own_and_children_cpu() - start), protocol=pickle.HIGHEST_PROTOCOL))
    except BrokenPipeError:  # the caller has ended without asking
        pass
    conn.close()


def _own_and_children_cpu() -> float:
    """User and system CPU seconds of this process and of its children that have been waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
