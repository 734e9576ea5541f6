"""Run a command as if on this machine with every core ``SHARE`` times as fast: a fixed reference speed.

The development machine's speed swings by up to ~3x between hours (the host takes CPU time away), so a wall time
says little unless the speed it was taken at is known. This wrapper caps CPU time with Linux cgroup (v1) quotas:
every process of the command gets a group of its own capped at ``SHARE`` of one core, inside a group capped at
``SHARE`` of every core, so each process runs on a core ``1 / SHARE`` times slower and no more processes run at
once than there are cores. New processes are moved into their own group within ``POLL_S`` seconds of starting.
Threads of one process share its cap (a slower machine would give each its own core), which makes it slightly
pessimistic where the code runs threads (rapidfuzz's ``cpdist``).

Choose ``SHARE`` by running the signature anchors under it: with 0.365 on 2026-11-23, ``python -m benchmarks.speed
--articles 2000 --e2e 0`` printed 138, 744, 1,551 and 3,190 articles/s for datasketch ``update``, ``update_batch``,
``bulk`` + xxhash and rensa, where issue #8's table gives ~135, ~750, ~1,200-1,600 and ~3,100-3,700.

The cap is a share of whatever speed the host gives, so the reference speed holds only while the host runs at the
speed it had when ``SHARE`` was chosen. Before and after the command, uncapped, it times a plain Python loop of
10^7 additions (``host_probe``) and prints both: 0.50-0.53 s when 0.365 was chosen; a slower probe means slower
figures under the same cap.

Needs root and the cgroup v1 ``cpu`` controller mounted at ``/sys/fs/cgroup/cpu`` (it says so if not).

    python -m benchmarks.slowdown 0.365 -- .venv/bin/dedup run FILE --out DIR --no-report
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

CPU_ROOT = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 10_000  # a short period: a capped process waits at most ~6 ms at a time, as on a slower core
POLL_S = 0.02


def descendants(root: int, proc: Path = Path("/proc")) -> list[int]:
    """``root`` and every process below it (by parent pid, read from ``proc``), parents first."""
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])  # the name in brackets may hold spaces
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        found.append(pid)
        todo.extend(sorted(children.get(pid, [])))
    return found


def make_group(path: Path, share_of_cores: float) -> None:
    """A cgroup at ``path`` allowed ``share_of_cores`` cores' worth of CPU time per period."""
    path.mkdir()
    (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
    (path / "cpu.cfs_quota_us").write_text(str(max(1000, round(share_of_cores * PERIOD_US))))


def run_slowed(command: Sequence[str], share: float, root: Path = CPU_ROOT) -> tuple[int, float, int]:
    """Run ``command`` with every core ``share`` times as fast; returns (exit status, wall seconds, processes)."""
    if not (root / "cgroup.procs").exists() or not os.access(root, os.W_OK):
        raise SystemExit(f"slowdown: {root} is not a writable cgroup v1 cpu controller; run as root on a machine "
                         "that mounts it")
    top = root / f"dedup-slowdown-{os.getpid()}"
    make_group(top, share * (os.cpu_count() or 1))
    placed: set[int] = set()
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(list(command))
    except OSError as err:
        _remove(top)
        raise SystemExit(f"slowdown: cannot start {command[0]!r}: {err.strerror or err}") from None
    try:
        while proc.poll() is None:
            for pid in descendants(proc.pid):
                if pid not in placed:
                    placed.add(pid)
                    _place(top / f"p{pid}", pid, share)
            time.sleep(POLL_S)
        return proc.returncode, time.perf_counter() - start, len(placed)
    finally:
        proc.wait()
        for group in sorted(top.iterdir()):
            if group.is_dir():
                _remove(group)
        _remove(top)


def _place(group: Path, pid: int, share: float) -> None:
    """Move process ``pid`` into a group of its own capped at ``share`` of one core (it may have exited)."""
    try:
        make_group(group, share)
        (group / "cgroup.procs").write_text(str(pid))
    except OSError:
        pass


def _remove(group: Path) -> None:
    """Remove an emptied cgroup (its processes have exited)."""
    for _ in range(50):
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.02)


PROBE_ADDITIONS = 10_000_000
PROBE_AT_REFERENCE = "0.50-0.53 s"  # the probe when SHARE = 0.365 gave issue #8's anchors


def host_probe(additions: int = PROBE_ADDITIONS) -> float:
    """Seconds a plain Python loop of ``additions`` additions takes here, uncapped: the host's speed now. The loop
    runs at module level, on global names, as the ``python3 -c`` loop whose times the notes record."""
    code = compile(f"x = 0\nfor i in range({int(additions)}):\n    x += i\n", "<host probe>", "exec")
    start = time.perf_counter()
    exec(code, {})
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m benchmarks.slowdown [--no-probe] SHARE -- COMMAND ...``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.slowdown", description=__doc__.split("\n\n")[0])
    parser.add_argument("share", type=float, help="speed of each core as a share of this machine's (0 < SHARE <= 1)")
    parser.add_argument("--no-probe", dest="probe", action="store_false",
                        help="skip timing the host's speed before and after the command")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not 0 < args.share <= 1 or not command:
        parser.error("give a SHARE in (0, 1] and a command after --")
    before = host_probe() if args.probe else None
    rc, wall, processes = run_slowed(command, args.share)
    print(f"slowdown: {wall:.1f} s wall with every core at {args.share} of its speed ({processes} processes)",
          file=sys.stderr)
    if before is not None:
        print(f"slowdown: host probe (10^7 additions, uncapped) {before:.2f} s before, {host_probe():.2f} s after; "
              f"{PROBE_AT_REFERENCE} when the reference share was chosen", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
