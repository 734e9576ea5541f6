"""Tests of the synthetic syndication generator (benchmarks/synth.py): determinism and gold-file consistency.

They need the Reuters corpus (``$DEDUP_CORPORA`` or ``<repo>/../shared/corpora``) and skip, naming the missing
path, when it is absent.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks import synth
from dedup.evaluate import load_gold

STORIES = 150
CORPUS = synth.default_corpus_path()
needs_corpus = pytest.mark.skipif(not CORPUS.is_file(), reason=f"Reuters corpus not found at {CORPUS}")


def read_tree(folder: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under ``folder``."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def text_units(folder: Path) -> dict[tuple[str, int | None], list[str]]:
    """(path, record) -> lines, read the way the gold format defines them."""
    units: dict[tuple[str, int | None], list[str]] = {}
    for path in sorted((folder / "input").iterdir()):
        relative = path.relative_to(folder).as_posix()
        with path.open(encoding="utf-8") as handle:  # text mode: universal newlines
            lines = [line.rstrip("\n") for line in handle]
        if path.suffix == ".jsonl":
            for number, line in enumerate(lines, start=1):
                record = json.loads(line)
                text = next(record[k] for k in ("text", "content", "body") if k in record)
                units[(relative, number)] = text.split("\n")
        else:
            units[(relative, None)] = lines
    return units


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small network generated once for the module."""
    folder = tmp_path_factory.mktemp("syn-a")
    synth.generate(folder, n_stories=STORIES, seed=1)
    return folder


@needs_corpus
def test_same_seed_same_bytes(small: Path, tmp_path: Path) -> None:
    synth.generate(tmp_path, n_stories=STORIES, seed=1)
    assert read_tree(small) == read_tree(tmp_path)


@needs_corpus
def test_different_seed_different_output(small: Path, tmp_path: Path) -> None:
    synth.generate(tmp_path, n_stories=STORIES, seed=2)
    assert (small / "truth.jsonl").read_bytes() != (tmp_path / "truth.jsonl").read_bytes()


@needs_corpus
def test_refuses_to_overwrite_without_flag(small: Path) -> None:
    with pytest.raises(FileExistsError, match="input"):
        synth.generate(small, n_stories=STORIES, seed=1)


def test_missing_corpus_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "reuters21578.jsonl"
    with pytest.raises(synth.CorpusMissingError, match="nowhere"):
        synth.generate(tmp_path / "out", n_stories=STORIES, seed=1, corpus_path=missing)


def test_corpus_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(synth.CORPORA_ENV, str(tmp_path))
    assert synth.default_corpus_path() == tmp_path / synth.CORPUS_FILE


@needs_corpus
def test_lines_cover_every_non_blank_line_exactly_once(small: Path) -> None:
    units = text_units(small)
    gold = load_gold(small / "truth.jsonl")
    seen: Counter[tuple[str, int | None, int]] = Counter()
    for lines in gold.lines:
        text = units[(lines.path, lines.record)]
        for number in range(lines.start_line, lines.end_line + 1):
            assert text[number - 1].strip(), f"{lines.path}:{lines.record}:{number} is blank but labelled"
            seen[(lines.path, lines.record, number)] += 1
    expected = {(path, record, n) for (path, record), text in units.items()
                for n, line in enumerate(text, start=1) if line.strip()}
    assert set(seen) == expected
    assert max(seen.values()) == 1


@needs_corpus
def test_occurrence_spans_lie_inside_their_files(small: Path) -> None:
    units = text_units(small)
    gold = load_gold(small / "truth.jsonl")
    assert gold.occurrences
    for occ in gold.occurrences:
        text = units[(occ.path, occ.record)]
        assert 1 <= occ.start_line <= occ.end_line <= len(text)
        assert text[occ.start_line - 1].strip() and text[occ.end_line - 1].strip()


@needs_corpus
def test_spans_start_with_a_title_and_do_not_overlap(small: Path) -> None:
    gold = load_gold(small / "truth.jsonl")
    titles = {(g.path, g.record, n) for g in gold.lines if g.label == "title"
              for n in range(g.start_line, g.end_line + 1)}
    by_unit: dict[tuple[str, int | None], list[tuple[int, int]]] = {}
    for occ in gold.occurrences:
        by_unit.setdefault((occ.path, occ.record), []).append((occ.start_line, occ.end_line))
    for spans in by_unit.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
    txt_starts = [(o.path, o.record, o.start_line) for o in gold.occurrences if o.record is None]
    assert all(start in titles for start in txt_starts)


@needs_corpus
def test_every_copy_kind_and_hard_negative_kind_appears(small: Path) -> None:
    gold = load_gold(small / "truth.jsonl")
    assert {o.copy for o in gold.occurrences} == set(synth.COPY_KINDS)
    assert {why for _, _, why in gold.hard_negatives} == set(synth.HARD_NEGATIVE_KINDS)
    assert len(gold.stories) == STORIES
    assert {o.cluster for o in gold.occurrences} == set(gold.stories)
    sites = {o.site for o in gold.occurrences}
    assert 6 <= len(sites) <= 8


@needs_corpus
def test_layout_features_present(small: Path) -> None:
    tree = read_tree(small)
    inputs = {k: v for k, v in tree.items() if k.startswith("input/")}
    assert any(b"\r\n" in data for data in inputs.values()), "no CRLF file"
    assert any(k.endswith(".jsonl") for k in inputs)
    text = b"\n".join(inputs.values()).decode("utf-8")
    for marker in ("\u2022 ", "Advertisement", "READ MORE: ", "Related Articles", "Read the full story: ",
                   "No comments yet", "Hashtags", '"doc_id"', '"content"', '"body"', "UPDATE "):
        assert marker in text, marker


@needs_corpus
def test_notes_are_hard_wrapped(small: Path) -> None:
    units = text_units(small)
    gold = load_gold(small / "truth.jsonl")
    content = [units[(g.path, g.record)][n - 1] for g in gold.lines
               if "fieldnotes" in g.path and g.label == "content" for n in range(g.start_line, g.end_line + 1)]
    assert content and all(len(line) <= synth.WRAP_WIDTH or " " not in line for line in content)
    assert any(g.end_line > g.start_line for g in gold.lines if "fieldnotes" in g.path and g.label == "content")


@needs_corpus
def test_hard_negative_pairs_are_distinct_stories(small: Path) -> None:
    gold = load_gold(small / "truth.jsonl")
    for a, b, why in gold.hard_negatives:
        assert a != b and a in gold.stories and b in gold.stories
        pa, pb = gold.stories[a][1], gold.stories[b][1]
        assert pa != pb
        if why == "quote":
            assert set(pa) & set(pb), "quote pair shares no paragraph"
        if why == "opening":
            assert pa[0].split(".")[0] == pb[0].split(".")[0]
