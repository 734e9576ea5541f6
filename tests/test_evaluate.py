"""Known-answer tests of the scorer (dedup/evaluate/) on hand-built output folders and gold files.

Every expected value is derived by hand in the test from pair counts, so the scorer is checked against arithmetic,
not against itself.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from benchmarks.baseline import run_baseline
from dedup import evaluate
from dedup.evaluate import GoldError, OutputError, format_table, load_gold, score, sweep


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """Write rows as JSON Lines (creating folders) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def gold_occ(path: str, start: int, end: int, cluster: str, record: int | None = None) -> dict:
    return {"type": "occurrence", "path": path, "record": record, "start_line": start, "end_line": end,
            "cluster": cluster, "site": "s", "copy": "exact"}


def pred_occ(path: str, start: int | None, end: int | None, cluster: str, *, canonical: bool = False,
             similarity: float | None = 1.0, record: int | None = None, oid: str | None = None) -> dict:
    return {"occurrence_id": oid or f"{path}:{start}", "path": path, "record": record, "start_line": start,
            "end_line": end, "title": "t", "cluster_id": cluster, "canonical": canonical,
            "similarity": similarity, "match": "near"}


def block(path: str, start: int, end: int, label: str, record: int | None = None) -> dict:
    return {"path": path, "record": record, "start_line": start, "end_line": end, "occurrence_id": None,
            "label": label, "kind": None, "group_id": None, "support": 1}


# Four gold occurrences: story A at a.txt:1-10 and b.txt:1-10, story B at a.txt:12-20 and b.txt:12-20.
FOUR = [gold_occ("input/a.txt", 1, 10, "A"), gold_occ("input/b.txt", 1, 10, "A"),
        gold_occ("input/a.txt", 12, 20, "B"), gold_occ("input/b.txt", 12, 20, "B")]


def setup(tmp_path: Path, gold_rows: list[dict], occurrences: list[dict], blocks: list[dict] | None = None,
          corpus: list[dict] | None = None) -> tuple[Path, evaluate.Gold]:
    """Write a gold file under tmp/bench and an output folder under tmp/bench/out."""
    gold = load_gold(write_jsonl(tmp_path / "bench" / "truth.jsonl", gold_rows))
    out = tmp_path / "bench" / "out"
    write_jsonl(out / "occurrences.jsonl", occurrences)
    if blocks is not None:
        write_jsonl(out / "blocks.jsonl", blocks)
    if corpus is not None:
        write_jsonl(out / "corpus.jsonl", corpus)
    return out, gold


def test_perfect_prediction_scores_one(tmp_path: Path) -> None:
    preds = [pred_occ("input/a.txt", 1, 10, "x", canonical=True), pred_occ("input/b.txt", 1, 10, "x"),
             pred_occ("input/a.txt", 12, 20, "y", canonical=True), pred_occ("input/b.txt", 12, 20, "y")]
    out, gold = setup(tmp_path, FOUR, preds)
    m = score(out, gold)
    assert m["segmentation"] == 1.0
    assert (m["pairwise_precision"], m["pairwise_recall"], m["pairwise_f1"], m["ari"]) == (1.0, 1.0, 1.0, 1.0)
    assert m["gold_pairs"] == 2 and m["predicted_pairs"] == 2
    assert m["canonical_count"] == 2 and m["true_story_count"] == 2
    assert math.isnan(m["boilerplate_f1"]) and math.isnan(m["content_retention"])  # no blocks / corpus files


def test_merging_two_gold_clusters(tmp_path: Path) -> None:
    # One predicted cluster of 4: predicted pairs C(4,2) = 6, true pairs 2 (both correct) -> P = 2/6, R = 1,
    # F1 = 2 * (1/3) * 1 / (4/3) = 0.5. ARI: index 2, expected 2 * 6 / 6 = 2, max (2 + 6) / 2 = 4 -> 0 / 2 = 0.
    preds = [pred_occ(o["path"], o["start_line"], o["end_line"], "x") for o in FOUR]
    out, gold = setup(tmp_path, FOUR + [{"type": "hard_negative", "a": "A", "b": "B", "why": "names"}], preds)
    m = score(out, gold)
    assert m["pairwise_precision"] == pytest.approx(1 / 3)
    assert m["pairwise_recall"] == 1.0
    assert m["pairwise_f1"] == pytest.approx(0.5)
    assert m["ari"] == pytest.approx(0.0)
    assert m["hard_negatives_merged"] == 1 and m["hard_negatives"] == 1


def test_ari_of_a_known_contingency_table() -> None:
    # truth {0,0,0 | 1,1,1}, prediction {0,0 | 1,1 | 2,2}: cells 2,1,1,2 -> index C(2,2) + C(2,2) = 2;
    # truth pairs 3 + 3 = 6; predicted pairs 1 + 1 + 1 = 3; all pairs C(6,2) = 15;
    # expected 6 * 3 / 15 = 6/5; max (6 + 3) / 2 = 9/2; ARI = (2 - 6/5) / (9/2 - 6/5) = (4/5) / (33/10) = 8/33.
    truth = ["0", "0", "0", "1", "1", "1"]
    pred = ["0", "0", "1", "1", "2", "2"]
    assert evaluate.adjusted_rand_index(truth, pred) == pytest.approx(8 / 33, abs=1e-12)
    assert evaluate.pair_counts(truth, pred) == (2, 6, 3, 15)
    assert evaluate.adjusted_rand_index(truth, ["a", "a", "a", "b", "b", "b"]) == 1.0
    assert evaluate.adjusted_rand_index(["a", "b", "c"], ["x", "y", "z"]) == 1.0  # both all singletons


def test_iou_boundaries() -> None:
    assert evaluate.iou((1, 10), (1, 9)) == pytest.approx(0.9)       # 9 / 10
    assert evaluate.iou((1, 10), (2, 11)) == pytest.approx(9 / 11)
    assert evaluate.iou((1, 10), (11, 20)) == 0.0
    assert evaluate.iou((5, 5), (5, 5)) == 1.0


def test_iou_threshold_and_unmatched_gold_is_a_singleton(tmp_path: Path) -> None:
    # a.txt:1-10 predicted as 1-9 (IoU 0.9, matched); b.txt:1-10 predicted as 1-8 (IoU 0.8, unmatched, singleton).
    # Story B is perfect. Predicted pairs over gold occurrences: only B's 1; true pairs 2 -> P = 1, R = 1/2.
    preds = [pred_occ("input/a.txt", 1, 9, "x"), pred_occ("input/b.txt", 1, 8, "x"),
             pred_occ("input/a.txt", 12, 20, "y"), pred_occ("input/b.txt", 12, 20, "y")]
    out, gold = setup(tmp_path, FOUR, preds)
    m = score(out, gold)
    assert m["segmentation"] == pytest.approx(3 / 4)
    assert m["gold_occurrences_matched"] == 3
    assert (m["predicted_pairs"], m["true_positive_pairs"]) == (1, 1)
    assert m["pairwise_precision"] == 1.0 and m["pairwise_recall"] == pytest.approx(0.5)


def test_one_prediction_spanning_two_gold_occurrences_matches_neither(tmp_path: Path) -> None:
    preds = [pred_occ("input/a.txt", 1, 20, "x"), pred_occ("input/b.txt", 1, 10, "y"),
             pred_occ("input/b.txt", 12, 20, "z")]
    out, gold = setup(tmp_path, FOUR, preds)
    m = score(out, gold)
    assert m["segmentation"] == pytest.approx(2 / 4)       # IoU 10/20 and 9/20 for the spanning one
    assert m["pairwise_recall"] == 0.0


def test_greedy_matching_is_one_to_one(tmp_path: Path) -> None:
    gold_rows = [gold_occ("input/a.txt", 1, 10, "A"), gold_occ("input/a.txt", 1, 10, "B")]
    out, gold = setup(tmp_path, gold_rows, [pred_occ("input/a.txt", 1, 10, "x")])
    assert score(out, gold)["gold_occurrences_matched"] == 1


def test_jsonl_records_are_matched_by_record_number(tmp_path: Path) -> None:
    gold_rows = [gold_occ("input/d.jsonl", 1, 5, "A", record=1), gold_occ("input/d.jsonl", 1, 5, "A", record=2),
                 gold_occ("input/d.jsonl", 1, 4, "B", record=3)]
    preds = [pred_occ("input/d.jsonl", 1, 5, "x", record=1), pred_occ("input/d.jsonl", None, None, "x", record=2),
             pred_occ("input/d.jsonl", 1, 4, "x", record=4)]  # wrong record: B stays unmatched
    out, gold = setup(tmp_path, gold_rows, preds)
    m = score(out, gold)
    assert m["gold_occurrences_matched"] == 2
    assert m["pairwise_precision"] == 1.0 and m["pairwise_recall"] == 1.0


def test_path_suffix_matching(tmp_path: Path) -> None:
    preds = [pred_occ("/data/elsewhere/input/a.txt", 1, 10, "x"), pred_occ("input/./b.txt", 1, 10, "x"),
             pred_occ(os.path.join(tmp_path, "bench", "input", "a.txt"), 12, 20, "y"),
             pred_occ("b.txt", 12, 20, "y")]
    out, gold = setup(tmp_path, FOUR, preds)
    m = score(out, gold)
    assert m["segmentation"] == 1.0 and m["pairwise_f1"] == 1.0
    assert m["predicted_occurrences_unmatched_path"] == 0


def test_path_suffix_tie_is_unmatched(tmp_path: Path) -> None:
    matcher = evaluate.PathMatcher(["x/a.txt", "y/a.txt", "y/b.txt"], tmp_path)
    assert matcher.match("z/a.txt") is None                 # tie: one component in common with both
    assert matcher.match("/abs/y/a.txt") == "y/a.txt"       # two components beat one
    assert matcher.match("./y/b.txt") == "y/b.txt"          # normpath equality
    assert matcher.match(str(tmp_path / "x" / "a.txt")) == "x/a.txt"  # absolute equality
    assert matcher.match("c.txt") is None
    assert evaluate.common_suffix(["a", "b", "c"], ["x", "b", "c"]) == 2


def test_boilerplate_precision_recall(tmp_path: Path) -> None:
    # Gold: content 1-3, boilerplate 4-5, title 6 (not scored), content 8 (no block covers it: uncovered).
    # Predicted removed: 4 and 6. TP = 1 (line 4), FN = 1 (line 5), FP = 0 -> P = 1, R = 1/2, F1 = 2/3.
    gold_rows = [
        gold_occ("input/a.txt", 1, 6, "A"),
        {"type": "lines", "path": "input/a.txt", "record": None, "start_line": 1, "end_line": 3,
         "label": "content", "kind": None},
        {"type": "lines", "path": "input/a.txt", "record": None, "start_line": 4, "end_line": 5,
         "label": "boilerplate", "kind": "promo"},
        {"type": "lines", "path": "input/a.txt", "record": None, "start_line": 6, "end_line": 6, "label": "title"},
        {"type": "lines", "path": "input/a.txt", "record": None, "start_line": 8, "end_line": 8,
         "label": "content"},
    ]
    blocks = [block("input/a.txt", 1, 3, "content"), block("input/a.txt", 4, 4, "template"),
              block("input/a.txt", 5, 5, "content"), block("input/a.txt", 6, 6, "duplicate-title")]
    out, gold = setup(tmp_path, gold_rows, [pred_occ("input/a.txt", 1, 6, "x")], blocks)
    m = score(out, gold)
    assert (m["boilerplate_precision"], m["boilerplate_recall"]) == (1.0, 0.5)
    assert m["boilerplate_f1"] == pytest.approx(2 / 3)
    assert m["boilerplate_lines_scored"] == 5 and m["boilerplate_lines_uncovered"] == 1


def test_false_positive_boilerplate(tmp_path: Path) -> None:
    # Content line 1 removed (FP), boilerplate line 2 removed (TP): P = 1/2, R = 1.
    gold_rows = [{"type": "lines", "path": "p.txt", "record": None, "start_line": 1, "end_line": 1,
                  "label": "content"},
                 {"type": "lines", "path": "p.txt", "record": None, "start_line": 2, "end_line": 2,
                  "label": "boilerplate"}]
    out, gold = setup(tmp_path, gold_rows, [], [block("p.txt", 1, 2, "boilerplate")])
    m = score(out, gold)
    assert (m["boilerplate_precision"], m["boilerplate_recall"]) == (0.5, 1.0)


def test_content_retention_exact_fuzzy_and_missing(tmp_path: Path) -> None:
    paragraphs = ["The company said profits rose sharply in the first quarter of the year.",
                  "Analysts had expected a smaller increase, citing weak demand in Europe and Asia.",
                  "The shares closed unchanged."]
    corpus_text = ("THE COMPANY SAID PROFITS ROSE SHARPLY IN THE FIRST QUARTER OF THE YEAR.\n\n"
                   "Analysts had expected a smaller increase, citing weak demand in Europe and Asia[4].\n\n"
                   "Something else entirely.")
    gold_rows = FOUR + [{"type": "story", "cluster": "A", "title": "T", "paragraphs": paragraphs},
                        {"type": "story", "cluster": "B", "title": "U", "paragraphs": ["Only paragraph."]}]
    preds = [pred_occ(o["path"], o["start_line"], o["end_line"], "x" if o["cluster"] == "A" else "y")
             for o in FOUR]
    corpus = [{"id": "x", "title": "T", "text": corpus_text, "cluster_id": "x", "sources": []},
              {"id": "y", "title": "U", "text": "Only\nparagraph.", "cluster_id": "y", "sources": []}]
    out, gold = setup(tmp_path, gold_rows, preds, corpus=corpus)
    m = score(out, gold)
    # Story A: 2 of 3 retained (exact after case folding; fuzzy with the citation marker); story B: 1 of 1
    # (whitespace-normalised). Mean (2/3 + 1) / 2 = 5/6.
    assert m["content_retention"] == pytest.approx(5 / 6)
    assert m["stories_scored"] == 2


def test_sweep_splits_low_similarity_occurrences(tmp_path: Path) -> None:
    gold_rows = [gold_occ("g.txt", 1, 5, "A"), gold_occ("g.txt", 7, 10, "A"), gold_occ("h.txt", 1, 5, "A")]
    preds = [pred_occ("g.txt", 1, 5, "x", canonical=True, similarity=1.0),
             pred_occ("g.txt", 7, 10, "x", similarity=0.8), pred_occ("h.txt", 1, 5, "x", similarity=0.6)]
    out, gold = setup(tmp_path, gold_rows, preds)
    rows = sweep(out, gold, [0.5, 0.7, 0.9])
    # 0.5: all together, 3 pairs of 3. 0.7: h split off, 1 pair -> R = 1/3. 0.9: both split, 0 pairs -> R = 0.
    assert [r["threshold"] for r in rows] == [0.5, 0.7, 0.9]
    assert [r["pairwise_recall"] for r in rows] == pytest.approx([1.0, 1 / 3, 0.0])
    assert [r["canonical_count"] for r in rows] == [1, 2, 3]
    assert score(out, gold, threshold=0.7)["predicted_pairs"] == 1
    assert "| threshold |" in format_table(rows)


def test_format_table() -> None:
    table = format_table({"pairwise_f1": 0.5, "gold_occurrences": 4, "content_retention": float("nan")})
    assert table.splitlines() == ["| metric | value |", "| --- | ---: |", "| pairwise_f1 | 0.5000 |",
                                  "| gold_occurrences | 4 |", "| content_retention | n/a |"]


def test_gold_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "truth.jsonl"
    path.write_text(json.dumps(gold_occ("a.txt", 1, 2, "A")) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"truth\.jsonl:3: not valid JSON"):
        load_gold(path)
    path.write_text(json.dumps({**gold_occ("a.txt", 5, 2, "A")}) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"truth\.jsonl:1: end_line 2 is before start_line 5"):
        load_gold(path)
    path.write_text(json.dumps({"type": "lines", "path": "a.txt", "start_line": 1, "end_line": 1,
                                "label": "chrome"}) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r":1: label must be one of"):
        load_gold(path)
    path.write_text(json.dumps({"type": "banana"}) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r":1: 'type' must be one of"):
        load_gold(path)


def test_output_errors_name_file_and_line(tmp_path: Path) -> None:
    gold = load_gold(write_jsonl(tmp_path / "truth.jsonl", FOUR))
    with pytest.raises(OutputError, match="occurrences.jsonl: not found"):
        score(tmp_path / "missing", gold)
    write_jsonl(tmp_path / "out" / "occurrences.jsonl", [pred_occ("a.txt", 1, 2, "x"), {"path": "a.txt"}])
    with pytest.raises(OutputError, match=r"occurrences\.jsonl:2: 'cluster_id'"):
        score(tmp_path / "out", gold)


def test_baseline_round_trip(tmp_path: Path) -> None:
    # Two identical one-article files and one different file; the promo line is in all 3 files.
    inputs = tmp_path / "bench" / "input"
    inputs.mkdir(parents=True)
    article = "Headline\n\nBody of the story.\nPromo line\n"
    (inputs / "a.txt").write_text(article, encoding="utf-8")
    (inputs / "b.txt").write_text(article, encoding="utf-8")
    (inputs / "c.txt").write_text("Other\n\nDifferent body.\nPromo line\n", encoding="utf-8")
    gold_rows = [gold_occ("input/a.txt", 1, 4, "A"), gold_occ("input/b.txt", 1, 4, "A"),
                 gold_occ("input/c.txt", 1, 4, "C")]
    for name in ("a", "b", "c"):
        gold_rows += [{"type": "lines", "path": f"input/{name}.txt", "record": None, "start_line": 1,
                       "end_line": 1, "label": "title"},
                      {"type": "lines", "path": f"input/{name}.txt", "record": None, "start_line": 3,
                       "end_line": 3, "label": "content"},
                      {"type": "lines", "path": f"input/{name}.txt", "record": None, "start_line": 4,
                       "end_line": 4, "label": "boilerplate", "kind": "promo"}]
    gold = load_gold(write_jsonl(tmp_path / "bench" / "truth.jsonl", gold_rows))
    summary = run_baseline([inputs], tmp_path / "bench" / "out")
    assert summary["occurrences"] == 3 and summary["clusters"] == 2
    m = score(tmp_path / "bench" / "out", gold)
    assert m["segmentation"] == 1.0 and m["pairwise_f1"] == 1.0 and m["ari"] == 1.0
    assert (m["boilerplate_precision"], m["boilerplate_recall"]) == (1.0, 1.0)
