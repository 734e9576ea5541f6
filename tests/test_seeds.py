"""Known answers on the bundled seeds: articles, exact copies, boilerplate lines, must-keep / must-lose text."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import SEEDS, file_lines, read_jsonl

TAG_PAGES = ("seeds/000_ed0c05dbb33a5eaf.txt", "seeds/001_1b9477a9252b1901.txt")


def _line_labels(out: Path) -> dict[tuple[str, int], dict]:
    """(path, line) -> the block row that holds it."""
    labels = {}
    for row in read_jsonl(out / "blocks.jsonl"):
        for line in range(row["start_line"], row["end_line"] + 1):
            labels[(row["path"], line)] = row
    return labels


def _grep(path: str, pattern: str) -> list[int]:
    """Line numbers (text-mode iteration) of lines matching ``pattern``."""
    return [n for n, line in enumerate(file_lines(SEEDS.parent / path), 1) if re.search(pattern, line)]


def test_all_outputs_written(seeds_out: Path) -> None:
    for name in ("corpus.jsonl", "occurrences.jsonl", "blocks.jsonl", "groups.jsonl", "summary.json"):
        assert (seeds_out / name).stat().st_size > 0, name


def test_finds_the_23_article_occurrences(seeds_out: Path) -> None:
    occ = read_jsonl(seeds_out / "occurrences.jsonl")
    per_file = defaultdict(int)
    for row in occ:
        per_file[row["path"]] += 1
    bullets = {p: len(_grep(p, r"^\s*•\s")) for p in TAG_PAGES}
    assert bullets == {TAG_PAGES[0]: 10, TAG_PAGES[1]: 10}
    expected = {**bullets, "seeds/002_792fa3f9a0aed221.txt": 1, "seeds/003_b710d6cc41c95a1b.txt": 1,
                "seeds/004_66587ec3c61d50c6.txt": 1}
    assert dict(per_file) == expected
    for path in TAG_PAGES:  # every tag-page article starts at its bullet line
        starts = sorted(r["start_line"] for r in occ if r["path"] == path)
        assert starts == _grep(path, r"^\s*•\s")


def test_three_stories_printed_on_both_tag_pages_are_exact_copies(seeds_out: Path) -> None:
    occ = read_jsonl(seeds_out / "occurrences.jsonl")
    by_cluster = defaultdict(list)
    for row in occ:
        by_cluster[row["cluster_id"]].append(row)
    multi = [rows for rows in by_cluster.values() if len(rows) > 1]
    assert len(multi) == 3
    titles = {row["title"] for rows in multi for row in rows}
    assert {t.split(":")[0][:20] for t in titles} == {"China’s “Manhattan P", "China’s Chip Resilie", "The Great Chip Divid"}
    for rows in multi:
        assert sorted(r["path"] for r in rows) == list(TAG_PAGES)
        assert sorted(r["match"] for r in rows) == ["exact", "exact"]
        assert sum(r["canonical"] for r in rows) == 1
    # the Kirin story that continues with "SMIC's 5nm-Class Breakthrough" is a different story
    kirin = [r for r in occ if "Kirin 9030" in (r["title"] or "")]
    assert len({r["cluster_id"] for r in kirin}) == 2
    assert len(by_cluster) == 20


def test_disclaimers_and_promos_are_boilerplate(seeds_out: Path) -> None:
    labels = _line_labels(seeds_out)
    disclaimers = [(p, n) for p in TAG_PAGES for n in _grep(p, r"This content is intended for informational")]
    promos = [(p, n) for p in TAG_PAGES for n in _grep(p, r"TokenRing AI delivers")]
    visits = [(p, n) for p in TAG_PAGES for n in _grep(p, r"^\s*For more information, visit")]
    assert (len(disclaimers), len(promos), len(visits)) == (20, 20, 19)
    for key in disclaimers:
        assert labels[key]["label"] == "boilerplate" and labels[key]["kind"] == "disclaimer", key
        assert labels[key]["support"] >= 17
    for key in promos + visits:
        assert labels[key]["label"] == "boilerplate" and labels[key]["kind"] == "promo", key
    assert len({labels[k]["group_id"] for k in promos}) == 1  # the one-line variant joins its group


# Text each page must keep in the corpus and text that must not reach it.
MUST = {
    "seeds/000_ed0c05dbb33a5eaf.txt": (
        ["Technical Prowess and the Road Less Traveled", "In the coming weeks and months, the world will be closely",
         "MetaX Integrated Circuits, founded in 2020 by former AMD employees"],
        ["Tag: China", "This content is intended", "TokenRing AI delivers"]),
    "seeds/001_1b9477a9252b1901.txt": (
        ["China’s “Triple Output” AI Strategy", "The Road Ahead"],
        ["Tag: Huawei", "For more information, visit"]),
    "seeds/002_792fa3f9a0aed221.txt": (
        ["China's AI chip race is a strategic move", "The South China Morning Post reports",
         "The next few years will be critical"],
        ["What Do Recent Leadership Changes", "Nvidia Corporation is an American multinational", "Eric Xu Yong"]),
    "seeds/003_b710d6cc41c95a1b.txt": (
        ["The Geopolitical Catalyst: U.S. Export Controls", "Baidu secured contracts with China Mobile",
         "As the race for AI dominance intensifies"],
        ["I am AI Agent Anders Miro", "Latest Articles", "delivered to your inbox", "No comments yet"]),
    "seeds/004_66587ec3c61d50c6.txt": (
        ["With the U.S. restricting China from buying advanced semiconductors",
         "there is a big reliance on foreign industry"],
        ["Hashtags", "Try Our AI Features", "Related Articles", "ASUS Announces Key Milestone",
         "Flying Suitcases of Hard Drives", "No comments yet"]),
}


@pytest.mark.parametrize("path", sorted(MUST))
def test_must_keep_and_must_lose(seeds_out: Path, path: str) -> None:
    corpus = read_jsonl(seeds_out / "corpus.jsonl")
    texts = [r["title"] + "\n" + r["text"] if r["title"] else r["text"]
             for r in corpus if any(s["path"] == path for s in r["sources"])]
    keep, lose = MUST[path]
    everything = "\n".join(r["text"] + "\n" + (r["title"] or "") for r in corpus)
    for snippet in keep:
        assert any(snippet in t for t in texts), f"{path}: lost {snippet!r}"
    for snippet in lose:
        assert snippet not in everything, f"{path}: kept {snippet!r}"


def test_every_section_heading_and_paragraph_of_every_story_stays(seeds_out: Path) -> None:
    """Each content line of each tag-page article reaches the corpus in some copy of its story."""
    labels = _line_labels(seeds_out)
    corpus_text = "\n".join(r["text"] for r in read_jsonl(seeds_out / "corpus.jsonl"))
    for path in TAG_PAGES:
        lines = file_lines(SEEDS.parent / path)
        for n, line in enumerate(lines, 1):
            row = labels.get((path, n))
            text = line.strip()
            if not text or row is None or row["occurrence_id"] is None:
                continue
            if row["label"] == "content" and row["kind"] != "title":
                assert text in corpus_text, f"{path}:{n} missing from corpus"
            if "This content is" in text or "TokenRing" in text or "For more information" in text:
                continue
            if text.startswith("•") or row["kind"] == "title":
                continue
            assert row["label"] in ("content", "duplicate-title"), f"{path}:{n} removed: {row}"


def test_repeated_titles_are_labelled(seeds_out: Path) -> None:
    labels = _line_labels(seeds_out)
    for path in TAG_PAGES:
        for n in _grep(path, r"^\s*•\s"):
            assert labels[(path, n)]["kind"] == "title"
            assert labels[(path, n + 2)]["label"] == "duplicate-title"


def test_every_non_blank_line_is_in_exactly_one_block(seeds_out: Path) -> None:
    seen = defaultdict(int)
    for row in read_jsonl(seeds_out / "blocks.jsonl"):
        for line in range(row["start_line"], row["end_line"] + 1):
            seen[(row["path"], line)] += 1
    for path in sorted(SEEDS.glob("*.txt")):
        rel = f"seeds/{path.name}"
        for n, line in enumerate(file_lines(path), 1):
            assert seen.get((rel, n), 0) == (1 if line.strip() else 0), f"{rel}:{n}"


def test_summary_records_config_rule_and_counts(seeds_out: Path) -> None:
    summary = json.loads((seeds_out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["occurrences"] == 23 and summary["counts"]["stories"] == 20
    assert summary["counts"]["exact_copies"] == 3
    assert summary["config"]["fingerprint"]["num_perm"] == 128
    assert "most complete" in summary["canonical_rule"]
    assert set(summary["timings"]) >= {"ingest", "segment", "cluster"}
