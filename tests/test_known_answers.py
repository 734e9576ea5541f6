"""Known-answer corpora in several page layouts: copies, teasers, truncations, noise and hard negatives."""

from __future__ import annotations

import json
import random
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import read_jsonl, write
from dedup import Config, run
from synthetic import edit_words, story

RNG = random.Random(11)
A, B, C, D, E = (story(RNG, 5) for _ in range(5))
QUOTE = "\"We will not accept any deal that leaves our farmers worse off than they were last year,\" the minister said."
D = D[:2] + [QUOTE] + D[2:]
E = E[:3] + [QUOTE] + E[3:]
OPENING = "In the coming weeks and months, analysts will be closely watching "
C = [OPENING + C[0]] + C[1:]
D[0] = OPENING + D[0]


def _noisy(paragraph: str) -> str:
    """Inject ticker artifacts and citation markers the way scraped finance pages carry them."""
    words = paragraph.split()
    words[3] = words[3] + "ACME--"
    return " ".join(words) + " [4]"


@pytest.fixture(scope="module")
def layout_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("layouts")
    inp = root / "in"
    archive = ["Archive: March", "", "----", "Bank Rate Falls Again", "March 3, 1987 | By Jane Roe", ""]
    archive += [p + "\n" for p in A]
    archive += ["----", "Harvest Outlook Improves", "March 4, 1987 | By John Doe", ""]
    archive += [p + "\n" for p in B]
    write(inp / "archive.txt", "\r\n".join(archive) + "\r\n")
    digest = ["Morning Digest", ""]
    for title, paras, slug in (("Bank Rate Falls Again", A, "a"), ("Harvest Outlook Improves", B, "b"),
                               ("Grain Exports Set A Record", C, "c")):
        digest += [f"* {title}", paras[0], f"Read the full story: https://example.com/{slug}", ""]
    write(inp / "digest.txt", "\n".join(digest))
    notes = ["Bank Rate Falls Again", ""]
    for p in A:
        notes += textwrap.wrap(_noisy(p), width=72) + [""]
    write(inp / "notes.txt", "\n".join(notes))
    wire = ["UPDATE 1-Harvest outlook improves after rains", ""]
    for n, p in enumerate(B[:2] + B[3:]):
        wire += [edit_words(random.Random(n), p, 0.02), "", "Advertisement", ""]
    write(inp / "wire.txt", "\n".join(wire))
    records = [{"doc_id": "c1", "headline": "Grain exports set a record",
                "body": "Grain exports set a record\n\n" + "\n\n".join(C)},
               {"doc_id": "d1", "headline": "Minister rejects farm deal", "body": "\n\n".join(D)},
               {"doc_id": "e1", "headline": "Farmers protest in the capital", "body": "\n\n".join(E)}]
    write(inp / "dump.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    out = root / "out"
    run([inp], out, Config())
    return inp, out


def _clusters(out: Path) -> dict[str, set[tuple[str, int]]]:
    groups = defaultdict(set)
    for row in read_jsonl(out / "occurrences.jsonl"):
        groups[row["cluster_id"]].add((Path(row["path"]).name, row["record"] or row["start_line"]))
    return groups


def test_articles_found_in_every_layout(layout_out: tuple[Path, Path]) -> None:
    _, out = layout_out
    occ = read_jsonl(out / "occurrences.jsonl")
    per_file = defaultdict(int)
    for row in occ:
        per_file[Path(row["path"]).name] += 1
    assert dict(per_file) == {"archive.txt": 2, "digest.txt": 3, "notes.txt": 1, "wire.txt": 1, "dump.jsonl": 3}
    archive = sorted((r["start_line"], r["title"]) for r in occ if r["path"].endswith("archive.txt"))
    lines = (layout_out[0] / "archive.txt").read_text().splitlines()
    assert archive == [(lines.index("Bank Rate Falls Again") + 1, "Bank Rate Falls Again"),
                       (lines.index("Harvest Outlook Improves") + 1, "Harvest Outlook Improves")]


def test_copies_teasers_and_noise_cluster_with_their_story(layout_out: tuple[Path, Path]) -> None:
    inp, out = layout_out
    clusters = sorted(sorted(c) for c in _clusters(out).values())
    lines = (inp / "archive.txt").read_text().splitlines()
    a_line, b_line = lines.index("Bank Rate Falls Again") + 1, lines.index("Harvest Outlook Improves") + 1
    assert clusters == sorted([
        sorted({("archive.txt", a_line), ("digest.txt", 3), ("notes.txt", 1)}),
        sorted({("archive.txt", b_line), ("digest.txt", 7), ("wire.txt", 1)}),
        sorted({("digest.txt", 11), ("dump.jsonl", 1)}),
        [("dump.jsonl", 2)],
        [("dump.jsonl", 3)],
    ])


def test_hard_negatives_stay_apart(layout_out: tuple[Path, Path]) -> None:
    """D and E share a quoted paragraph; C and D share a templated opening: three different stories."""
    _, out = layout_out
    occ = {(Path(r["path"]).name, r["record"]): r["cluster_id"] for r in read_jsonl(out / "occurrences.jsonl")}
    assert len({occ[("dump.jsonl", 1)], occ[("dump.jsonl", 2)], occ[("dump.jsonl", 3)]}) == 3


def test_canonical_is_the_fullest_copy_and_keeps_every_paragraph(layout_out: tuple[Path, Path]) -> None:
    _, out = layout_out
    corpus = read_jsonl(out / "corpus.jsonl")
    by_first = {row["sources"][0]["path"].split("/")[-1]: row for row in corpus}
    story_b = next(r for r in corpus if any(s["path"].endswith("wire.txt") for s in r["sources"]))
    assert story_b["sources"][0]["path"].endswith("archive.txt")
    assert story_b["text"].split("\n\n") == B
    story_c = next(r for r in corpus if any(s["path"].endswith("dump.jsonl") and s.get("record") == 1
                                            for s in r["sources"]))
    assert story_c["text"].split("\n\n") == C  # the repeated title at the top of the text is gone
    assert story_c["title"] == "Grain exports set a record"
    assert "archive.txt" in by_first


def test_chrome_lines_are_labelled(layout_out: tuple[Path, Path]) -> None:
    _, out = layout_out
    rows = read_jsonl(out / "blocks.jsonl")
    kinds = defaultdict(set)
    for row in rows:
        kinds[row["kind"]].add(Path(row["path"]).name)
    read_more = [r for r in rows if r["path"].endswith("digest.txt") and r["kind"] == "related"]
    assert len(read_more) == 3 and all(r["label"] == "boilerplate" for r in read_more)
    ads = [r for r in rows if r["path"].endswith("wire.txt") and r["kind"] == "advertisement"]
    assert len(ads) == 4 and all(r["label"] == "boilerplate" for r in ads)
    bylines = [r for r in rows if r["kind"] == "byline"]
    lines = (layout_out[0] / "archive.txt").read_text().splitlines()
    assert [(Path(r["path"]).name, r["start_line"]) for r in bylines] == [
        ("archive.txt", lines.index("March 3, 1987 | By Jane Roe") + 1),
        ("archive.txt", lines.index("March 4, 1987 | By John Doe") + 1)]
    dup = [r for r in rows if r["label"] == "duplicate-title"]
    assert [(Path(r["path"]).name, r["record"]) for r in dup] == [("dump.jsonl", 1)]
    corpus_text = "\n".join(r["text"] for r in read_jsonl(out / "corpus.jsonl"))
    for lost in ("Advertisement", "Read the full story", "By Jane Roe", "----", "Morning Digest"):
        assert lost not in corpus_text


def test_wrapped_text_becomes_paragraph_blocks(layout_out: tuple[Path, Path]) -> None:
    inp, out = layout_out
    rows = [r for r in read_jsonl(out / "blocks.jsonl") if r["path"].endswith("notes.txt")]
    lines = (inp / "notes.txt").read_text().split("\n")
    paragraphs = [r for r in rows if r["kind"] != "title"]
    assert len(paragraphs) == 5
    for row in paragraphs:
        assert lines[row["end_line"]] == "" or row["end_line"] == len(lines)
