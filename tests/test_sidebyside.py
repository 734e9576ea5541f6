"""Tests of the side-by-side benchmark (benchmarks/sidebyside.py): the JSONL builder on a hand-made gold file, the
ARI and pair metrics on known answers, and the ``n/a`` path when text-dedup is not given. No text-dedup, no network,
no Reuters corpus: the corpus here is written by hand.
"""

from __future__ import annotations

import json
import pickle
from fractions import Fraction
from pathlib import Path

import pytest

from benchmarks import sidebyside
from benchmarks.naive_minhash import naive_clusters
from benchmarks.sidebyside import build_articles, table_row, write_articles
from benchmarks.sidebyside_score import mixed_examples, score_labels
from dedup.evaluate import GoldError

PAGE = ("Tag: markets\r\n"
        "\r\n"
        "  \u2022 Copper output rises at Chilean mine\r\n"
        "  Codelco said copper output at the El Teniente mine rose four pct in March on higher ore grades.\r\n"
        "  This content is for information only and is not investment advice.\r\n"
        "\r\n"
        "  \u2022 Wheat tender draws eleven offers\r\n"
        "  Egypt's grain board said its wheat tender drew eleven offers from five trading houses on Monday.\r\n"
        "  This content is for information only and is not investment advice.\r\n")
RECORD = ("Wheat tender draws eleven offers\n"
          "Egypt's grain board said its wheat tender drew eleven offers from five trading houses on Monday.\n")


def occurrence(path: str, start: int, end: int, story: str, record: int | None = None) -> dict:
    return {"type": "occurrence", "path": path, "record": record, "start_line": start, "end_line": end,
            "cluster": story, "site": "s", "copy": "exact"}


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """A tag page (CRLF) with two articles and a JSONL dump reprinting the second; returns truth.jsonl."""
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "page.txt").write_bytes(PAGE.encode("utf-8"))
    (tmp_path / "input" / "dump.jsonl").write_text(
        json.dumps({"id": "d1", "body": RECORD}) + "\n", encoding="utf-8")
    rows = [occurrence("input/page.txt", 3, 5, "story-copper"), occurrence("input/page.txt", 7, 9, "story-wheat"),
            occurrence("input/dump.jsonl", 1, 2, "story-wheat", record=1),
            {"type": "hard_negative", "a": "story-copper", "b": "story-wheat", "why": "names"}]
    truth = tmp_path / "truth.jsonl"
    truth.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return truth


def test_builder_takes_each_occurrence_with_its_boilerplate(corpus: Path) -> None:
    articles = build_articles(corpus)
    assert [a.id for a in articles] == ["a000001", "a000002", "a000003"]
    assert [a.story for a in articles] == ["story-wheat", "story-copper", "story-wheat"]  # sorted by path
    assert articles[0].text == RECORD.rstrip("\n")
    assert articles[1].text == "\n".join(PAGE.split("\r\n")[2:5])
    assert articles[1].text.endswith("not investment advice.") and "Tag:" not in articles[1].text
    assert build_articles(corpus) == articles  # deterministic


def test_written_jsonl_has_no_labels(corpus: Path, tmp_path: Path) -> None:
    path = write_articles(build_articles(corpus), tmp_path / "out" / "articles.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [sorted(r) for r in records] == [["id", "text"]] * 3
    assert "story-" not in path.read_text(encoding="utf-8")


def test_occurrence_outside_its_page_names_it(corpus: Path) -> None:
    with corpus.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(occurrence("input/page.txt", 8, 40, "story-x")) + "\n")
    with pytest.raises(GoldError, match=r"input/page.txt record None lines 8-40 lies outside its page \(9 lines\)"):
        build_articles(corpus)


def test_ari_known_answers() -> None:
    assert score_labels(["a", "a", "b", "b"], ["y", "y", "x", "x"]).ari == 1.0
    # scikit-learn's documented examples of adjusted_rand_score
    assert score_labels(list("0011"), list("0012")).ari == pytest.approx(float(Fraction(4, 7)))
    assert score_labels(list("0011"), list("0101")).ari == pytest.approx(-0.5)


def test_pair_metrics_and_unrelated_merges() -> None:
    # true pairs: (0,1) of a; predicted pairs: (0,1), (0,2), (1,2); only (0,1) right
    s = score_labels(["a", "a", "b", "b", "c"], ["x", "x", "x", "y", "z"], [("a", "b"), ("a", "c")])
    assert (s.precision, s.recall, s.f1) == pytest.approx((1 / 3, 1 / 2, 0.4))
    assert (s.clusters, s.unrelated_pairs, s.mixed_clusters, s.hard_negatives_merged) == (3, 2, 1, 1)


def test_mixed_examples_name_the_shared_line() -> None:
    texts = ["Copper rises.\nFor more information, visit x.", "Wheat falls.\nFor more information, visit x.", "Oil."]
    assert mixed_examples(texts, ["s1", "s2", "s3"], ["c", "c", "d"]) == [
        '2 articles of 2 stories; max cross-story Jaccard 0.20; line in 2 of the stories: '
        '"For more information, visit x."']


def test_naive_way_takes_every_candidate() -> None:
    text = " ".join(f"w{i}" for i in range(60))
    assert naive_clusters([text, text, "something else entirely here and there", text], 0.7) == [0, 0, 2, 0]


def test_text_dedup_not_given_is_na(tmp_path: Path) -> None:
    run = sidebyside.run_text_dedup(None, None, tmp_path / "a.jsonl", tmp_path / "td", 3, 0.7, 10)
    assert run.labels is None and run.wall is None and run.error.startswith("n/a: not given")
    missing = sidebyside.text_dedup_problem(tmp_path / "nowhere", None)
    assert missing.startswith("n/a: ") and "nowhere/src/text_dedup/minhash.py not found" in missing
    row = table_row(run, ["a", "b", "c"], [], 1.0)
    assert row == "| text-dedup MinHash | - | - | - | - | " + " | ".join(["n/a"] * 8) + " |"


def test_clusters_pickle_with_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clusters.pickle"
    path.write_bytes(pickle.dumps({0: 0, 1: 0}))
    assert sidebyside.read_clusters(path) == {0: 0, 1: 0}
    path.write_bytes(pickle.dumps({0: Fraction(1)}))
    with pytest.raises(pickle.UnpicklingError, match="refusing fractions.Fraction"):
        sidebyside.read_clusters(path)


def test_ours_labels_take_the_longest_occurrence(tmp_path: Path) -> None:
    rows = [{"record": 1, "start_line": 1, "end_line": 2, "cluster_id": "c1"},
            {"record": 1, "start_line": 3, "end_line": 9, "cluster_id": "c2"},
            {"record": 3, "start_line": 1, "end_line": 4, "cluster_id": "c2"}]
    path = tmp_path / "occurrences.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert sidebyside.ours_labels(path, 3) == (["c2", "unassigned-2", "c2"], 1)


def test_end_to_end_without_text_dedup(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    report = tmp_path / "report.md"
    assert sidebyside.main(["--truth", str(corpus), "--report", str(report), "--timeout", "300"]) == 0
    text = report.read_text(encoding="utf-8")
    assert text.strip() == capsys.readouterr().out.strip()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert rows["text-dedup MinHash"].count("n/a") == 8
    assert "- text-dedup MinHash: n/a: not given (pass --text-dedup DIR" in text
    for name in ("ours (`dedup run`)", "naive datasketch"):
        cells = rows[name].strip("| ").split(" | ")
        assert float(cells[1]) > 0 and float(cells[3]) > 0 and -1.0 <= float(cells[5]) <= 1.0, rows[name]
    assert "True: 3 articles of 2 stories, 1 hard-negative pairs." in text


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_measure_counts_the_memory_of_forked_children(tmp_path: Path) -> None:
    import sys

    from benchmarks.speed import measure

    # a parent and a forked child, each writing 150 MB of its own: the group holds ~300 MB, each process ~150
    script = ("import os, time\nos.fork()\nblock = bytearray(150 * 2**20)\nblock[::4096] = b'x' * len(block[::4096])\n"
              "time.sleep(1.5)\n")
    m = measure([sys.executable, "-c", script], timeout=60)
    assert m.rc == 0 and m.tree_mb is not None and m.peak_mb is not None
    assert m.tree_mb > 280 and m.peak_mb < 220
