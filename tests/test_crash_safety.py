"""Crash safety: a run SIGKILLed at any point leaves one complete set of outputs (after recovery), never a mix."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, write
from dedup.write import JOURNAL, consistent, recover


def _inputs(folder: Path, variant: int) -> Path:
    for n in range(40):
        write(folder / f"p{n:02d}.txt", f"Page {n} Headline Here\n\nStory {n} variant {variant}: the council met on "
                                        f"Tuesday to discuss the budget for item {n} and voted {variant} times.\n")
    return folder


def _dedup(inp: Path, out: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if kill_at:
        env["DEDUP_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "dedup", "run", str(inp), "--out", str(out), "--quiet"],
                          env=env, capture_output=True, text=True)


def _hashes(out: Path) -> dict[str, str]:
    """Every output file's hash; summary.json without its timings (the one key allowed to vary)."""
    found = {}
    for p in sorted(out.iterdir()):
        if p.is_file():
            data = p.read_bytes()
            if p.name == "summary.json":
                summary = json.loads(data)
                summary.pop("timings")
                data = json.dumps(summary, sort_keys=True).encode()
            found[p.name] = hashlib.sha256(data).hexdigest()
    return found


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    base = tmp_path_factory.mktemp("crash")
    old_out, new_out = base / "old", base / "new"
    assert _dedup(_inputs(base / "in-old", 1), old_out).returncode == 0
    assert _dedup(_inputs(base / "in-new", 2), new_out).returncode == 0
    return base, _hashes(old_out), _hashes(new_out)


@pytest.mark.parametrize("point", ["staged", "journal", "moved:1", "moved:3", "moved:6"])
def test_kill_at_each_commit_point(tmp_path: Path, before: tuple[Path, dict, dict], point: str) -> None:
    base, old, new = before
    out = tmp_path / "out"
    assert _dedup(base / "in-old", out).returncode == 0
    killed = _dedup(base / "in-new", out, kill_at=point)
    assert killed.returncode == -signal.SIGKILL
    if point == "staged":
        assert _hashes(out) == old and consistent(out)  # nothing moved yet: the previous outputs stand
    else:
        assert (out / JOURNAL).exists()  # a half-done commit is always marked
    recover(out)
    assert consistent(out)
    assert _hashes(out) in (old, new)
    assert not any(p.name.startswith(".dedup") for p in out.iterdir())
    assert _dedup(base / "in-new", out).returncode == 0 and _hashes(out) == new


def test_kill_at_random_moments(tmp_path: Path, before: tuple[Path, dict, dict]) -> None:
    base, old, new = before
    out = tmp_path / "out"
    assert _dedup(base / "in-old", out).returncode == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for delay in (0.2, 0.6, 1.0, 1.4, 1.8, 2.2):
        proc = subprocess.Popen([sys.executable, "-m", "dedup", "run", str(base / "in-new"), "--out", str(out),
                                 "--quiet"], env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        recover(out)
        assert consistent(out) and _hashes(out) in (old, new), delay


def test_output_folder_given_as_a_symlink_is_refused(tmp_path: Path, before: tuple[Path, dict, dict]) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    done = _dedup(before[0] / "in-old", link)
    assert done.returncode == 1 and "symbolic link" in done.stderr
    assert not any(real.iterdir())


def test_outputs_have_fixed_names_whatever_the_input(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    write(inp / "..%2F..%2Fetc.txt", "Evil Name\n\nA story whose file name tries to climb out of the folder.\n")
    write(inp / "x.jsonl", json.dumps({"id": "../../x", "title": "../../../tmp/pwn", "text": "Body text here."}) + "\n")
    out = tmp_path / "out"
    assert _dedup(inp, out).returncode == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["blocks.jsonl", "corpus.jsonl", "groups.jsonl", "occurrences.jsonl", "report.html",
                     "summary.json", "templates.jsonl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_files_written_by_two_processes_are_the_same_bytes_and_a_failure_keeps_the_old_outputs(tmp_path: Path) -> None:
    from dedup.write import consistent, write_outputs

    def files() -> dict[str, object]:
        return {name: ({"file": name, "n": i, "text": "ä" * (i % 7)} for i in range(20000)) for name in
                ("a.jsonl", "b.jsonl", "c.jsonl")}

    write_outputs(tmp_path / "one", files(), {"counts": {}})
    write_outputs(tmp_path / "two", files(), {"counts": {}}, apart={"a.jsonl", "c.jsonl"})
    for name in ("a.jsonl", "b.jsonl", "c.jsonl", "summary.json"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name

    def failing() -> object:
        yield {"n": 1}
        raise ValueError("a row could not be made")

    before = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    for broken in ("a.jsonl", "b.jsonl"):  # in the forked process, then in this one
        with pytest.raises(ValueError, match="could not be made"):
            write_outputs(tmp_path / "two", dict(files(), **{broken: failing()}), {"counts": {}}, apart={"a.jsonl"})
        assert {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()} == before
        assert consistent(tmp_path / "two")


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="file size limits are POSIX")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_full_disk_is_a_clear_error_and_keeps_the_previous_outputs(tmp_path: Path, workers: str) -> None:
    # A file size limit stands in for a full disk: writing past it fails with EFBIG once SIGXFSZ is ignored.
    inp = tmp_path / "in"
    write(inp / "a.txt", "A Story\n\n" + "A paragraph of the story that is long enough to count. " * 400 + "\n")
    out = tmp_path / "out"
    assert _dedup(inp, out).returncode == 0
    before = _hashes(out)
    script = ("import resource, signal, sys\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))\n"
              "from dedup.cli import main\nsys.argv = ['dedup', 'run', sys.argv[1], '--out', sys.argv[2], "
              "'--quiet', '--workers', sys.argv[3]]\nmain()\n")
    done = subprocess.run([sys.executable, "-c", script, str(inp), str(out), workers], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "cannot write" in done.stderr and "previous outputs" in done.stderr
    assert _hashes(out) == before and consistent(out)


def test_written_lines_are_json_dumps_of_each_record_and_the_hash_is_of_the_bytes(tmp_path: Path) -> None:
    # The oracle is the standard library's json.dumps with the documented options, one call per record.
    from dedup.write import WRITE_BATCH, write_outputs

    rows = [{"b": i, "a": "naïve “quoted” \u2028 line\nbreak\t\\", "f": i / 7, "n": None, "t": True,
             "nested": {"z": [1, 2.5, "x"], "y": {}}, "e": ""} for i in range(WRITE_BATCH * 2 + 3)]
    write_outputs(tmp_path / "out", {"rows.jsonl": rows}, {"counts": {}})
    data = (tmp_path / "out" / "rows.jsonl").read_bytes()
    expected = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n" for r in rows)
    assert data == expected.encode("utf-8")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["files"]["rows.jsonl"] == hashlib.sha256(data).hexdigest()
