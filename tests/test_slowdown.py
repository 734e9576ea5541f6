"""Tests of benchmarks/slowdown.py's process-tree walk and its refusal without a cgroup; the capping itself needs
root and a cgroup v1 cpu controller, and is checked by the anchors it is calibrated with (its docstring)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.slowdown import CPU_ROOT, descendants, host_probe, main, run_slowed


def _fake_proc(tmp_path: Path, parents: dict[int, int], names: dict[int, str]) -> Path:
    for pid, parent in parents.items():
        (tmp_path / str(pid)).mkdir()
        name = names.get(pid, "python")
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) S {parent} {pid} {pid} 0 -1\n")
    (tmp_path / "self").mkdir()  # not a process folder
    return tmp_path


def test_descendants_walk_the_tree_by_parent_pid_and_read_names_with_spaces(tmp_path: Path) -> None:
    parents = {1: 0, 10: 1, 11: 10, 12: 10, 13: 12, 20: 1, 21: 20}
    proc = _fake_proc(tmp_path, parents, {12: "a) (b 7", 13: "x y"})
    assert descendants(10, proc) == [10, 11, 12, 13]
    assert descendants(20, proc) == [20, 21]
    assert descendants(13, proc) == [13]


def test_descendants_find_a_real_grandchild() -> None:
    child = subprocess.Popen([sys.executable, "-c",
                              "import subprocess, sys; p = subprocess.Popen(['sleep', '30']); print(p.pid, flush=True);"
                              " p.wait()"], stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    try:
        assert descendants(child.pid) == [child.pid, grandchild]
    finally:
        os.kill(grandchild, signal.SIGKILL)
        child.wait()


def test_without_a_cgroup_it_refuses_and_says_why(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not a writable cgroup v1 cpu controller"):
        run_slowed(["true"], 0.5, root=tmp_path)


@pytest.mark.skipif(not os.access(CPU_ROOT, os.W_OK) or not (CPU_ROOT / "cgroup.procs").exists(),
                    reason="needs root and a cgroup v1 cpu controller")
def test_a_command_that_cannot_start_is_named_and_leaves_no_group() -> None:
    before = {p.name for p in CPU_ROOT.iterdir()}
    with pytest.raises(SystemExit, match="cannot start '/no/such/command'"):
        run_slowed(["/no/such/command"], 0.5)
    assert {p.name for p in CPU_ROOT.iterdir()} == before


def test_the_host_probe_times_a_loop_and_grows_with_it() -> None:
    short, long = host_probe(100_000), host_probe(2_000_000)
    assert 0 < short < long


@pytest.mark.skipif(not os.access(CPU_ROOT, os.W_OK) or not (CPU_ROOT / "cgroup.procs").exists(),
                    reason="needs root and a cgroup v1 cpu controller")
def test_the_host_speed_is_printed_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["0.5", "--", "true"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"host probe \(10\^7 additions, uncapped\) \d+\.\d\d s before, \d+\.\d\d s after", err), err
    assert main(["--no-probe", "0.5", "--", "true"]) == 0
    assert "host probe" not in capsys.readouterr().err
