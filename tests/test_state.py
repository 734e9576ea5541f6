"""Daily runs against a saved SQLite state: day 1 then day 2 with ``--state`` equals one run over both days."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import ROOT, SEEDS, SHARED_CORPORA, read_jsonl, write
from dedup import Config, run
from dedup.cli import main
from dedup.state import State, StateError, iter_band_matches
from synthetic import edit_words, paragraph, story

STATE_FIELDS = {"corpus.jsonl": ("first_run", "previous_ids"), "occurrences.jsonl": ("run", "earlier_copy")}
COMPARED = ("corpus.jsonl", "occurrences.jsonl", "blocks.jsonl", "groups.jsonl", "templates.jsonl")


def _page(title: str, paragraphs: list[str]) -> str:
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture()
def days(tmp_path: Path) -> Path:
    """Two days of pages: story A on day 1 and again (edited) on day 2; a 40-word disclaimer beside two stories on
    day 1 and a third on day 2 (three stories in all: the long-block support threshold); story D alone."""
    rng = random.Random(7)
    disclaimer = paragraph(rng, 40)
    a, b, c, d = (story(rng, 5) for _ in range(4))
    write(tmp_path / "day1" / "site1-a.txt", _page("Story A", a + [disclaimer]))
    write(tmp_path / "day1" / "site2-b.txt", _page("Story B", b + [disclaimer]))
    write(tmp_path / "day1" / "site3-d.txt", _page("Story D", d))
    write(tmp_path / "day2" / "site4-a.txt", _page("Story A, updated", [edit_words(rng, p, 0.03) for p in a]))
    write(tmp_path / "day2" / "site5-c.txt", _page("Story C", c + [disclaimer]))
    return tmp_path


def _rows(out: Path, name: str, keep_state_fields: bool = False) -> list[dict[str, Any]]:
    drop = () if keep_state_fields else STATE_FIELDS.get(name, ())
    return [{k: v for k, v in row.items() if k not in drop} for row in read_jsonl(out / name)]


def _in(folder: Path, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with ``folder`` as the working directory (paths in the outputs are relative)."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return fn(*args, **kwargs)
    finally:
        os.chdir(cwd)


def _two_days_and_combined(base: Path, first: list[str], second: list[str]) -> tuple[Path, Path]:
    """Outputs of day 1 + day 2 with a state, and of one run over both."""
    _in(base, run, [Path(p) for p in first], Path("out1"), Config(), report=False, state=Path("s.sqlite"))
    _in(base, run, [Path(p) for p in second], Path("out2"), Config(), report=False, state=Path("s.sqlite"))
    _in(base, run, [Path(p) for p in first + second], Path("both"), Config(), report=False)
    return base / "out2", base / "both"


def _assert_same(daily: Path, combined: Path) -> None:
    for name in COMPARED:
        assert _rows(daily, name) == _rows(combined, name), name
    summary = json.loads((daily / "summary.json").read_text())
    together = json.loads((combined / "summary.json").read_text())
    for key in ("counts", "inputs", "skipped"):
        assert summary[key] == together[key], key


def test_two_days_equal_one_combined_run(days: Path) -> None:
    daily, combined = _two_days_and_combined(days, ["day1"], ["day2"])
    _assert_same(daily, combined)


def test_day_two_points_to_the_earlier_copy(days: Path) -> None:
    daily, _ = _two_days_and_combined(days, ["day1"], ["day2"])
    occ = {Path(r["path"]).name: r for r in _rows(daily, "occurrences.jsonl", keep_state_fields=True)}
    assert occ["site1-a.txt"]["run"] == 1 and occ["site4-a.txt"]["run"] == 2
    assert occ["site4-a.txt"]["cluster_id"] == occ["site1-a.txt"]["cluster_id"]
    assert occ["site4-a.txt"]["earlier_copy"] == occ["site1-a.txt"]["occurrence_id"]
    assert occ["site5-c.txt"]["earlier_copy"] is None  # a new story
    assert occ["site1-a.txt"]["earlier_copy"] is None  # read on day 1: nothing earlier
    state = json.loads((daily / "summary.json").read_text())["state"]
    assert state["run"] == 2 and state["new_occurrences"] == 2
    assert state["new_copies_of_earlier_stories"] == 1 and state["new_stories"] == 1


def test_support_from_earlier_runs_labels_day_one_blocks(days: Path) -> None:
    """The disclaimer has two sites on day 1 (content then) and a third on day 2: boilerplate everywhere now."""
    daily, _ = _two_days_and_combined(days, ["day1"], ["day2"])
    disclaimer = (days / "day2" / "site5-c.txt").read_text().split("\n\n")[-1].strip()

    def labels(out: Path) -> dict[str, str]:
        found = {}
        for row in read_jsonl(out / "blocks.jsonl"):
            lines = (days / row["path"]).read_text().splitlines()[row["start_line"] - 1:row["end_line"]]
            if "\n".join(lines).strip() == disclaimer:
                found[Path(row["path"]).name] = row["label"]
        return found

    assert labels(days / "out1") == {"site1-a.txt": "content", "site2-b.txt": "content"}
    assert labels(daily) == {"site1-a.txt": "boilerplate", "site2-b.txt": "boilerplate",
                             "site5-c.txt": "boilerplate"}


def test_seeds_split_over_two_days(tmp_path: Path) -> None:
    names = sorted(p.name for p in SEEDS.iterdir())
    for n, name in enumerate(names):
        write(tmp_path / ("day1" if n < 3 else "day2") / name, (SEEDS / name).read_text(encoding="utf-8"))
    _assert_same(*_two_days_and_combined(tmp_path, ["day1"], ["day2"]))


@pytest.mark.skipif(not (SHARED_CORPORA / "reuters21578.jsonl").exists(), reason="needs ../shared/corpora")
def test_generated_corpus_split_over_two_days(tmp_path: Path) -> None:
    """A benchmark corpus (every copy kind, templates, JSONL and text pages) with alternate files on each day."""
    subprocess.run([sys.executable, "-m", "benchmarks.synth", "--out", str(tmp_path / "gen"), "--stories", "60",
                    "--seed", "4"], cwd=ROOT, check=True, capture_output=True)
    files = sorted(p for p in (tmp_path / "gen" / "input").rglob("*") if p.is_file())
    for n, path in enumerate(files):
        target = tmp_path / ("a" if n % 2 else "b") / path.name
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, target)
    daily, combined = _two_days_and_combined(tmp_path, ["a"], ["b"])
    _assert_same(daily, combined)
    assert json.loads((daily / "summary.json").read_text())["state"]["new_copies_of_earlier_stories"] > 0


def test_unchanged_files_are_not_read_again_and_changed_ones_replace(days: Path) -> None:
    _two_days_and_combined(days, ["day1"], ["day2"])
    _in(days, run, [Path("day1"), Path("day2")], Path("out3"), Config(), report=False, state=Path("s.sqlite"))
    state = json.loads((days / "out3" / "summary.json").read_text())["state"]
    assert state["files_read"] == [] and len(state["files_unchanged"]) == 5
    assert _rows(days / "out3", "corpus.jsonl") == _rows(days / "both", "corpus.jsonl")
    changed = days / "day1" / "site3-d.txt"
    changed.write_text(_page("Story D", story(random.Random(99), 4)), encoding="utf-8")
    _in(days, run, [Path("day1")], Path("out4"), Config(), report=False, state=Path("s.sqlite"))
    state = json.loads((days / "out4" / "summary.json").read_text())["state"]
    assert state["files_replaced"] == ["day1/site3-d.txt"]
    _in(days, run, [Path("day1"), Path("day2")], Path("fresh"), Config(), report=False)
    _assert_same(days / "out4", days / "fresh")


def test_other_parameters_are_refused(days: Path) -> None:
    _in(days, run, [Path("day1")], Path("out1"), Config(), report=False, state=Path("s.sqlite"))
    other = Config.from_dict({"fingerprint": {"num_perm": 64}})
    with pytest.raises(StateError, match=r"fingerprint\.num_perm: state has 128, this run has 64"):
        _in(days, run, [Path("day2")], Path("out2"), other, report=False, state=Path("s.sqlite"))
    assert not (days / "out2").exists()


def test_cli_state_errors_exit_1(days: Path) -> None:
    (days / "junk.sqlite").write_text("not a database\n" * 100)
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(days / "day1"), "--out", str(days / "o"), "--state",
                                  str(days / "junk.sqlite"), "--quiet"])
    assert result.exit_code == 1 and "not a dedup state database" in result.output
    result = runner.invoke(main, ["run", str(days / "day1"), "--out", str(days / "o"), "--state", str(days),
                                  "--quiet"])
    assert result.exit_code == 1 and "is a folder" in result.output


def test_bands_find_the_earlier_copy(days: Path) -> None:
    """The saved LSH bands answer 'which earlier articles share a band with this one' in SQL."""
    _two_days_and_combined(days, ["day1"], ["day2"])
    db = sqlite3.connect(days / "s.sqlite")
    digest = dict(db.execute("SELECT path, digest FROM occurrences"))
    matches = list(iter_band_matches(db, digest["day2/site4-a.txt"]))
    assert digest["day1/site1-a.txt"] in matches
    assert digest["day1/site3-d.txt"] not in matches and digest["day2/site5-c.txt"] not in matches
    params = json.loads(db.execute("SELECT value FROM meta WHERE key='parameters'").fetchone()[0])
    assert params["minhash"]["scheme"] == "affine32" and params["minhash"]["num_perm"] == 128
    assert [r[0] for r in db.execute("SELECT run FROM runs ORDER BY run")] == [1, 2]


def test_killed_while_saving_keeps_the_previous_state(days: Path) -> None:
    """SIGKILL inside the state transaction: the state stays at day 1 and the next day-2 run completes it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "dedup", "run", "--no-report", "--quiet", "--state", "s.sqlite"]
    subprocess.run(cmd + ["day1", "--out", "out1"], cwd=days, env=env, check=True)
    killed = subprocess.run(cmd + ["day2", "--out", "out2"], cwd=days, env=dict(env, DEDUP_KILL_AT="state"))
    assert killed.returncode == -9
    with State.open(days / "s.sqlite", Config()) as state:
        assert state.last_run == 1
    subprocess.run(cmd + ["day2", "--out", "out2"], cwd=days, env=env, check=True)
    _in(days, run, [Path("day1"), Path("day2")], Path("both"), Config(), report=False)
    _assert_same(days / "out2", days / "both")
