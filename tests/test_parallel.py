"""The process pool: shards cover the items in order, and a run's outputs do not depend on the worker count."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import SEEDS
from dedup import Config, parallel, run
from dedup.pipeline import skeleton_shard


@given(st.lists(st.integers(), max_size=50), st.integers(min_value=1, max_value=12))
def test_shards_cover_items_in_order(items: list[int], count: int) -> None:
    parts = parallel.shards(items, count)
    assert [x for part in parts for x in part] == items
    assert all(parts) and len(parts) <= max(1, count)
    if parts:
        sizes = [len(p) for p in parts]
        assert max(sizes) - min(sizes) <= 1


def _bad_shard(items: list[str]) -> list[str]:
    return list(items[:-1])


def _failing_shard(items: list[str]) -> list[str]:
    raise ValueError(f"cannot read {items[0]!r}")


def test_map_shards_equals_one_call_and_checks_lengths() -> None:
    texts = [f"Call 555-01{n:02d} or visit site{n}.com on May {n % 28 + 1}" for n in range(40)]
    assert parallel.map_shards(skeleton_shard, texts, workers=2, min_items=1) == skeleton_shard(texts)
    with pytest.raises(RuntimeError, match="wrong number of results"):
        parallel.map_shards(_bad_shard, texts, workers=2, min_items=1)


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.suffix == ".jsonl"}


def test_outputs_do_not_depend_on_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)  # split even the seeds' few hundred blocks
    monkeypatch.chdir(SEEDS.parent)
    run([Path("seeds")], tmp_path / "one", Config(), report=False, workers=1)
    run([Path("seeds")], tmp_path / "two", Config(), report=False, workers=2)
    one, two = _outputs(tmp_path / "one"), _outputs(tmp_path / "two")
    assert one == two and len(one) == 5


def test_default_workers_is_positive() -> None:
    assert 1 <= parallel.default_workers() <= (os.cpu_count() or 1)


def test_per_shard_gives_one_result_per_contiguous_shard() -> None:
    items = list(range(30))
    got = parallel.per_shard(sum, items, workers=2, min_items=1)
    assert len(got) == 2 * parallel.SHARDS_PER_WORKER and sum(got) == sum(items)
    assert parallel.per_shard(sum, items, workers=1) == [sum(items)]


def test_map_shared_runs_an_unpicklable_closure_over_parent_arrays_in_forked_processes() -> None:
    table = np.arange(1000) * 3

    def lookup(items: list[int]) -> list[tuple[int, int]]:  # a closure: pickle cannot send it
        return [(int(table[i]), os.getpid()) for i in items]

    got = parallel.map_shared(lookup, list(range(1000)), workers=2, min_items=1)
    assert [v for v, _ in got] == (np.arange(1000) * 3).tolist()
    if "fork" in multiprocessing.get_all_start_methods():
        assert os.getpid() not in {pid for _, pid in got}
    assert parallel._SHARED is None


def test_pool_workers_come_from_a_forkserver_and_their_cpu_time_is_counted_both_ways() -> None:
    # Each shard reports the process it ran in: none may be this process or a child forked from it (a forked
    # child would hold copies of this process's pages), and the CPU the shards burned must reach worker_cpu().
    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver on this platform")
    import resource

    before, children = parallel.worker_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    found = parallel.map_shards(_busy_shard, list(range(8)), workers=2, min_items=1)
    assert os.getpid() not in {pid for pid, _ in found}
    assert all(parent != os.getpid() for _, parent in found)
    assert parallel.worker_cpu() - before >= 0.05 * 8 * 0.5  # each item burns >= 0.05 s of CPU
    parallel.stop_workers()  # then the workers' time is this process's children's, as `time` reports it
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime) >= 0.05 * 8 * 0.5


def _busy_shard(items: list[int]) -> list[tuple[int, int]]:
    """(pid, parent pid) per item, after burning at least 0.05 s of CPU per item."""
    import time

    out = []
    for _ in items:
        start = time.process_time()
        while time.process_time() - start < 0.05:
            pass
        out.append((os.getpid(), os.getppid()))
    return out


def test_a_script_without_a_main_guard_can_use_the_pool(tmp_path: Path) -> None:
    # Forkserver workers re-run the main script unless its path is hidden from them; this script has no
    # ``if __name__ == "__main__":`` guard, so re-running it in a worker would start a pool inside the pool.
    script = tmp_path / "unguarded.py"
    script.write_text("from dedup.parallel import map_shards\n"
                      "from dedup.pipeline import skeleton_shard\n"
                      "print(map_shards(skeleton_shard, ['Call 555-0100 today'] * 6, workers=2, min_items=1))\n",
                      encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(["call _num_ today"] * 6)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_shard_stream_gives_what_one_call_over_all_items_gives(workers: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    texts = [f"Call 555-{n:04d} or visit site{n}.com" for n in range(230)]
    with parallel.ShardStream(skeleton_shard, workers, size=50) as stream:
        for lo in range(0, len(texts), 37):  # batches that do not line up with the shards
            stream.add(texts[lo:lo + 37])
        parts = stream.results()
    assert [key for part in parts for key in part] == skeleton_shard(texts)
    assert len(parts) == (1 if workers == 1 else 4 + 2)  # four full shards, the rest cut in two


def test_a_shard_stream_reraises_a_failed_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    with pytest.raises(ValueError, match="cannot read 'a'"), parallel.ShardStream(_failing_shard, 2, 2) as stream:
        stream.add(["a", "b", "c"])
        stream.results()



def test_beside_computes_in_another_process_and_counts_its_cpu() -> None:
    before = parallel.worker_cpu()
    job = parallel.Beside(_busy_shard, list(range(4)), workers=2)
    found = job.result()
    assert len(found) == 4 and os.getpid() not in {pid for pid, _ in found}
    assert parallel.worker_cpu() - before >= 0.05 * 4 * 0.5
    assert parallel.Beside(_busy_shard, [1], workers=1).result() == [(os.getpid(), os.getppid())]


def test_beside_reraises_what_its_function_raised() -> None:
    with pytest.raises(ValueError, match="cannot read 'a'"):
        parallel.Beside(_failing_shard, ["a"], workers=2).result()


def test_beside_says_when_its_process_died_without_a_result() -> None:
    with pytest.raises(RuntimeError, match="exit code 3"):
        parallel.Beside(os._exit, 3, workers=2).result()


def test_beside_refuses_work_it_cannot_send_and_leaves_no_process() -> None:
    with pytest.raises((AttributeError, TypeError, pickle.PicklingError)):
        parallel.Beside(_busy_shard, lambda: None, workers=2)  # a lambda cannot be pickled
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_forked_beside_reads_this_process_memory_without_pickling() -> None:
    held = {"rows": [1, 2, 3]}
    unpicklable = lambda: held["rows"]  # noqa: E731 - a lambda cannot be pickled: it must be inherited
    job = parallel.Beside(lambda f: (os.getpid(), sum(f())), unpicklable, workers=2, forked=True)
    pid, total = job.result()
    assert total == 6 and pid != os.getpid()
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_forked_beside_reraises_and_cancels() -> None:
    with pytest.raises(ValueError, match="cannot read 'a'"):
        parallel.Beside(_failing_shard, ["a"], workers=2, forked=True).result()
    job = parallel.Beside(time.sleep, 60, workers=2, forked=True)
    started = time.monotonic()
    job.cancel()
    assert time.monotonic() - started < 30 and not [p for p in multiprocessing.active_children() if p.is_alive()]
    assert job.result() is None  # a cancelled job has nothing to wait for


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("late", [False, True], ids=["signal-asked-in-time", "caller-died-first"])
def test_a_forked_process_dies_with_its_caller(tmp_path: Path, late: bool) -> None:
    # The caller forks a Beside that would sleep for a minute, prints its pid, and is killed; the forked process
    # must not outlive it (an orphan would go on writing into a staging folder). With ``late`` the forked process
    # asks for the parent-death signal only after its caller is dead (a busy machine's scheduling), when the
    # signal never comes.
    slow = ("real = parallel._PRCTL\n"
            "parallel._PRCTL = lambda *a: (time.sleep(1), real(*a))[1]\n") if late else ""
    script = ("import os, sys, time\nfrom dedup import parallel\n" + slow +
              "job = parallel.Beside(time.sleep, 60, workers=2, forked=True)\n"
              "print(job._process.pid, flush=True)\nos.kill(os.getpid(), 9)\n")
    printed = tmp_path / "pid"
    with printed.open("w") as out:  # not a pipe: a surviving process would hold it open
        subprocess.run([sys.executable, "-c", script], stdout=out, timeout=60)
    child = int(printed.read_text().split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    survived = _alive(child)
    if survived:
        os.kill(child, signal.SIGKILL)
    assert not survived


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _collector_state(items: list[int]) -> list[bool]:
    return [gc.isenabled() for _ in items]


def test_the_cycle_collector_is_paused_in_stages_and_workers_and_restored(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    from dedup import pipeline

    assert gc.isenabled()
    with parallel.no_cycle_collection():
        with parallel.no_cycle_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause stands
    assert gc.isenabled()
    with pytest.raises(ValueError), parallel.no_cycle_collection():
        raise ValueError("a stage failed")
    assert gc.isenabled()
    assert set(parallel.map_shards(_collector_state, list(range(8)), workers=2, min_items=1)) == {False}
    assert parallel.Beside(_collector_state, [0], workers=2).result() == [False]
    seen = []
    find_copies = pipeline.find_copies

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return find_copies(*args, **kwargs)

    monkeypatch.setattr(pipeline, "find_copies", watched)
    run([SEEDS], tmp_path / "out", Config(), report=False, workers=1)
    assert seen and not any(seen) and gc.isenabled()


class _Box:
    def __init__(self, value: int) -> None:
        self.value = value


def _boxes(items: list[int]) -> list[_Box]:
    return [_Box(n) for n in items]


def test_a_shard_stream_lets_go_of_the_results_it_gave(monkeypatch: pytest.MonkeyPatch) -> None:
    import weakref

    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    with parallel.ShardStream(_boxes, 2, size=3) as stream:
        stream.add(list(range(10)))
        parts = stream.results()
        assert [box.value for part in parts for box in part] == list(range(10))
        first = weakref.ref(parts[0][0])
        del parts
        assert first() is None  # nothing of the stream's still holds it


class _NoDumps:
    """The pickle module, except that nothing may be pickled into one bytes object."""

    def __getattr__(self, name: str) -> object:
        if name == "dumps":
            raise AssertionError("the whole pickle was made in memory")
        return getattr(pickle, name)


def test_beside_streams_large_arguments_into_its_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "pickle", _NoDumps())
    values = np.arange(3_000_000, dtype=np.int64)  # 24 MB: many times what a pipe buffers
    text = "word " * 2_000_000
    assert parallel.Beside(_sizes, values, text, workers=2).result() == (int(values.sum()), len(text))


def _sizes(values: np.ndarray, text: str) -> tuple[int, int]:
    return int(values.sum()), len(text)


def test_freed_memory_is_handed_back_between_stages() -> None:
    def resident_mb() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    if not os.path.exists("/proc/self/statm") or not parallel.release_free_memory():
        pytest.skip("no glibc malloc_trim here")
    held = [bytes([n % 251]) * 40_000 + b"x" for n in range(2_500)]  # ~100 MB of heap blocks (not mmap-sized)
    del held[::2]  # holes between the blocks still held: the heap cannot shrink from its top
    before = resident_mb()
    assert parallel.release_free_memory()
    assert resident_mb() < before - 25
    del held


def test_verdicts_settled_by_forked_processes_are_those_verified_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup.config import ClusterConfig
    from dedup.pipeline import Memo, make_content

    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    rng = np.random.default_rng(4)
    words = [f"w{n}" for n in range(60)]
    base = [list(rng.choice(words, 40)) for _ in range(12)]
    texts = [b if k % 3 else b[:30] + list(rng.choice(words, 5)) for b in base for k in range(3)]  # copies, edits
    contents = [make_content(t) for t in texts]
    pairs = [(i, j) for i in range(len(contents)) for j in range(i + 1, len(contents)) if (i * j) % 4 == 0]
    config = ClusterConfig()
    serial, forked = Memo(), Memo()
    expected = [serial.verdict(contents[i], contents[j], config) for i, j in pairs]
    forked.settle(contents, pairs, config, workers=2)
    assert list(forked.verdicts.items()) == list(serial.verdicts.items())  # same verdicts, met in the same order
    assert [forked.verdict(contents[i], contents[j], config) for i, j in pairs] == expected
    assert {v.match for v in expected} >= {"exact", "near", None}
