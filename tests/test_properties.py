"""Properties: normalisation idempotent, scorers symmetric, clusters partition, spans inside files, order-free."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, file_lines, read_jsonl
from dedup import Config, run
from dedup.chrome import is_heading
from dedup.config import ClusterConfig
from dedup.normalize import clean, skeleton, tokens
from dedup.pipeline import content_of_parts, contents_of_parts, make_content
from dedup.blocks import line_blocks, wrapped_blocks
from dedup.records import Block, Corpus, Page
from dedup.segment import boundary_blocks
from dedup.verify import overlap, verify
from synthetic import corpus_records, write_jsonl

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
WORDS = st.lists(st.sampled_from([f"w{n}" for n in range(40)]), max_size=60)


@given(TEXT)
def test_normalisation_is_idempotent(text: str) -> None:
    assert clean(clean(text)) == clean(text)
    assert skeleton(skeleton(text)) == skeleton(text)
    assert tokens(" ".join(tokens(text))) == tokens(text)


@given(st.lists(st.lists(st.lists(st.sampled_from(["a", "b", "c", "dd", "é", "x1"]), max_size=12)
                         .map(" ".join), max_size=4), max_size=6), st.integers(1, 6), st.integers(1, 4))
def test_contents_of_parts_is_content_of_parts_for_each(bodies: list[list[str]], size: int, batch: int) -> None:
    # The oracle is the one-article definition (each article hashed and deduplicated alone); small batches
    # put articles on both sides of a batch boundary.
    found = contents_of_parts(bodies, size, batch)
    assert len(found) == len(bodies)
    for parts, content in zip(bodies, found, strict=True):
        expected = content_of_parts(parts, size)
        assert (content.text, content.digest, content.paragraphs, content.length) == (
            expected.text, expected.digest, expected.paragraphs, expected.length)
        assert content.shingles.dtype == expected.shingles.dtype
        assert content.shingles.tolist() == expected.shingles.tolist()


@given(st.sets(st.integers(0, 2**32 - 1), max_size=80), st.sets(st.integers(0, 2**32 - 1), max_size=80),
       st.sets(st.integers(0, 2**32 - 1), max_size=40))
def test_overlap_equals_set_arithmetic(a: set[int], b: set[int], shared: set[int]) -> None:
    # The oracle is Python's set intersection; ``shared`` makes large overlaps as likely as none.
    a, b = a | shared, b | shared
    ja, jb = np.array(sorted(a), dtype=np.uint32), np.array(sorted(b), dtype=np.uint32)
    inter = len(a & b)
    expected = (0.0, 0.0) if not a or not b else (inter / len(a | b), inter / min(len(a), len(b)))
    assert overlap(ja, jb) == expected
    assert overlap(jb, ja) == expected


@given(WORDS, WORDS)
def test_verify_is_symmetric_with_self_score_one(a: list[str], b: list[str]) -> None:
    config = ClusterConfig()
    ca, cb = make_content(a), make_content(b)
    assert verify(ca, cb, config) == verify(cb, ca, config)
    if a:
        assert verify(ca, ca, config).similarity == 1.0
    v = verify(ca, cb, config)
    assert 0.0 <= v.similarity <= 1.0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=10_000))
def test_clusters_partition_and_spans_lie_in_files(tmp_path: Path, seed: int) -> None:
    records, _ = corpus_records(seed, stories=6)
    folder = tmp_path / str(seed)
    write_jsonl(folder / "a.jsonl", records[: len(records) // 2])
    text = "\n\n".join(f"• Story page {n}\n\n{r['text']}" for n, r in enumerate(records[len(records) // 2:]))
    (folder / "b.txt").write_text(text, encoding="utf-8")
    out = folder / "out"
    run([folder / "a.jsonl", folder / "b.txt"], out, Config())
    occ = read_jsonl(out / "occurrences.jsonl")
    corpus = read_jsonl(out / "corpus.jsonl")
    sources = [(s["path"], s.get("record"), s["start_line"]) for row in corpus for s in row["sources"]]
    assert sorted(sources, key=str) == sorted(((r["path"], r["record"], r["start_line"]) for r in occ), key=str)
    assert len(set(sources)) == len(sources)  # every occurrence in exactly one cluster
    assert sum(r["canonical"] for r in occ) == len(corpus)
    for row in read_jsonl(out / "blocks.jsonl"):
        if row["record"] is None:
            lines = file_lines(Path(row["path"]))
        else:
            rec = json.loads(file_lines(Path(row["path"]))[row["record"] - 1])
            lines = rec["text"].split("\n")
        assert 1 <= row["start_line"] <= row["end_line"] <= len(lines)
        assert lines[row["start_line"] - 1].strip() and lines[row["end_line"] - 1].strip()


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output file's bytes, summary.json without its timings."""
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != "report.html"}
    summary = json.loads(files.pop("summary.json"))
    summary.pop("timings")
    summary.pop("files")
    files["summary.json"] = json.dumps(summary, sort_keys=True).encode()
    return files


def test_input_order_and_record_order_do_not_change_the_result(tmp_path: Path) -> None:
    records, _ = corpus_records(5, stories=10)
    folder = tmp_path / "in"
    write_jsonl(folder / "x.jsonl", records[:20])
    write_jsonl(folder / "y.jsonl", records[20:])
    run([folder / "x.jsonl", folder / "y.jsonl"], tmp_path / "o1", Config())
    shuffled = list(records)
    random.Random(1).shuffle(shuffled)
    write_jsonl(folder / "x.jsonl", [r for r in shuffled if r in records[:20]])
    write_jsonl(folder / "y.jsonl", [r for r in shuffled if r in records[20:]])
    run([folder / "y.jsonl", folder / "x.jsonl"], tmp_path / "o2", Config())

    def stable(out: Path, name: str) -> list[dict]:
        rows = [{k: v for k, v in r.items() if k != "record"} for r in read_jsonl(out / name)]
        for row in rows:
            for src in row.get("sources", []):
                src.pop("record", None)
        return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))

    for name in ("occurrences.jsonl", "corpus.jsonl"):
        assert stable(tmp_path / "o1", name) == stable(tmp_path / "o2", name), name


def test_same_bytes_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    outs = []
    for n, hashseed in enumerate(("0", "12345")):
        out = tmp_path / f"out{n}"
        env = {"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"}
        subprocess.run([sys.executable, "-m", "dedup", "run", "seeds", "--out", str(out), "--quiet"],
                       cwd=ROOT, env=env, check=True)
        outs.append(_outputs(out))
    assert outs[0] == outs[1]


def test_a_rerun_over_its_own_corpus_removes_nothing_more(seeds_out: Path, tmp_path: Path) -> None:
    copy = tmp_path / "corpus.jsonl"
    shutil.copy(seeds_out / "corpus.jsonl", copy)
    run([copy], tmp_path / "again", Config())
    before = {r["text"] for r in read_jsonl(seeds_out / "corpus.jsonl")}
    after = {r["text"] for r in read_jsonl(tmp_path / "again" / "corpus.jsonl")}
    assert after == before
    labels = {r["label"] for r in read_jsonl(tmp_path / "again" / "blocks.jsonl")}
    assert labels == {"content"}


def _reference_boundary_blocks(blocks: list[Block], keys: list[str]) -> set[int]:
    """The plain definition: a key seen 3+ times, followed on its page by 3+ different keys (or the page's end)."""
    count: dict[str, int] = {}
    followers: dict[str, set[str]] = {}
    for i, block in enumerate(blocks):
        count[keys[i]] = count.get(keys[i], 0) + 1
        nxt = keys[i + 1] if i + 1 < len(blocks) and blocks[i + 1].page == block.page else "\0end"
        followers.setdefault(keys[i], set()).add(nxt)
    return {i for i, key in enumerate(keys) if key and count[key] >= 3 and len(followers[key]) >= 3
            and not is_heading(blocks[i].text)}


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["", "a b", "c d e", "read more here.", "Title"])),
                max_size=80))
def test_boundary_blocks_equal_their_plain_definition(rows: list[tuple[int, str]]) -> None:
    rows = sorted(rows, key=lambda r: r[0])  # a page's blocks are contiguous
    blocks = [Block(i, page, i + 1, i + 1, text) for i, (page, text) in enumerate(rows)]
    keys = [text.lower() for _, text in rows]
    assert boundary_blocks(Corpus(blocks=blocks), keys) == _reference_boundary_blocks(blocks, keys)


@given(st.lists(st.sampled_from(["", "   ", "\t", "A line.", "  padded line  ", "- a bullet", "x\x0b", "\u2028"]),
                max_size=30), st.integers(0, 50))
def test_a_page_that_is_not_wrapped_is_cut_into_its_non_blank_lines(lines: list[str], first: int) -> None:
    page = Page(3, "p.txt", None, tuple(lines), "utf-8")
    assert line_blocks(page, first) == wrapped_blocks(page, first, None)


def test_text_is_held_once_and_records_without_ids_keep_their_text_ids(tmp_path: Path) -> None:
    """Once cut, pages let their lines go and blocks of one text share one string; a record without an id is
    still known by the SHA-1 of its text, as when the lines are kept (a saved state keeps them)."""
    import hashlib

    from dedup.ingest import read_inputs
    from dedup.outputs import occurrence_ids
    from dedup.pipeline import analyse_corpus

    records, _ = corpus_records(5, stories=10)
    for record in records[::2]:
        del record["id"]
    path = write_jsonl(tmp_path / "feed.jsonl", records)
    config = Config()
    let_go = analyse_corpus(read_inputs([path], config.ingest), config)
    kept = analyse_corpus(read_inputs([path], config.ingest), config, keep_lines=True)
    assert all(page.lines == () for page in let_go.corpus.pages)
    assert all(page.lines for page in kept.corpus.pages)
    by_text: dict[str, str] = {}
    for block in let_go.corpus.blocks:
        assert by_text.setdefault(block.text, block.text) is block.text
    assert len(by_text) < len(let_go.corpus.blocks)  # the copies repeat blocks
    ids = occurrence_ids(let_go)
    assert ids == occurrence_ids(kept)
    for occ, oid in zip(let_go.corpus.occurrences, ids):
        page = let_go.corpus.pages[occ.page]
        record = json.loads(path.read_text(encoding="utf-8").splitlines()[page.record - 1])
        if "id" not in record:  # the oracle: the record's own text, hashed
            text = hashlib.sha1(record["text"].encode("utf-8")).hexdigest()
            base = "o-" + hashlib.sha1(f"{page.path}\0text={text}".encode("utf-8")).hexdigest()[:16]
            assert oid.partition("-")[2].partition("-")[0] == base[2:]  # exact copies add "-2", "-3" ...


@pytest.mark.parametrize("workers", [1, 2])
def test_the_facts_of_each_text_are_the_plain_functions_of_it(tmp_path: Path, workers: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-text pass, whatever the workers and however its shards are joined, gives for each distinct block
    text what the plain functions give; a title that is the whole text is the block's own string, not a copy."""
    from dedup import parallel, pipeline
    from dedup.groups import gram_signatures, near_eligible
    from dedup.ingest import read_inputs
    from dedup.segment import Features, text_features
    from dedup.templates import MIN_PARAGRAPH_TOKENS, OPENING_TOKENS, wordset_signatures_shard

    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    monkeypatch.setattr(pipeline, "FACT_SHARD", 40)  # many shards, joined in order
    records, _ = corpus_records(7, stories=10)
    records[0]["text"] = "- A bulleted line of the first story\n\n" + records[0]["text"]
    path = write_jsonl(tmp_path / "feed.jsonl", records)
    config = Config()
    fp = pipeline._fingerprinter(config)
    corpus = read_inputs([path], config.ingest)
    facts = pipeline.split_with_facts(corpus, config, fp, workers)
    held = {block.text: block.text for block in corpus.blocks}
    assert list(facts.index) == list(held) and list(facts.index.values()) == list(range(len(held)))
    assert [list(held)[row] for row in facts.rows] == [block.text for block in corpus.blocks]
    assert facts.skeletons == [skeleton(text) for text in held]
    assert facts.tokens == [" ".join(tokens(text)) for text in held]
    assert facts.words == [len(tokens(text)) for text in held]
    assert facts.openings == [" ".join(tokens(text)[:OPENING_TOKENS]) if len(tokens(text)) >= MIN_PARAGRAPH_TOKENS
                              else None for text in held]
    assert any(facts.openings) and not all(facts.openings)
    assert facts.features == [text_features(text, config.segment) for text in held]
    assert {type(f) for f in facts.features} == {Features}
    assert any(f.bullet for f in facts.features)
    for text, f in zip(held, facts.features):
        assert (f.title is held[text]) == (f.title == text)
    keys = sorted({k for k in facts.skeletons if near_eligible(k, config.boilerplate)})
    assert np.array_equal(facts.grams.take(keys), gram_signatures(keys, fp))
    lines, sigs = wordset_signatures_shard(facts.tokens, fp)
    assert np.array_equal(facts.wordsets.take(lines), sigs)


def test_block_looks_are_each_blocks_skeleton_and_features_with_its_own_gap(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether read off the per-text pass by row or computed by themselves (one process or two), each block's
    skeleton and features are those of its own text, with the blank lines above it as its gap."""
    from dedup import parallel, pipeline
    from dedup.ingest import read_inputs
    from dedup.segment import block_looks, text_features

    monkeypatch.setattr(parallel, "MIN_ITEMS", 10)
    records, _ = corpus_records(3, stories=8)
    records[1]["text"] = "Opening line\n\n\nA paragraph after two blank lines\n" + records[1]["text"]
    path = write_jsonl(tmp_path / "feed.jsonl", records)
    config = Config()
    corpus = read_inputs([path], config.ingest)
    facts = pipeline.split_with_facts(corpus, config, pipeline._fingerprinter(config), 2)
    above: dict[int, int] = {}
    expected_gaps = []
    for block in corpus.blocks:
        expected_gaps.append(block.start_line - above.get(block.page, 0) - 1)
        above[block.page] = block.end_line
    assert {1, 2} <= set(expected_gaps)
    expected = ([skeleton(b.text) for b in corpus.blocks],
                [text_features(b.text, config.segment, gap) for b, gap in zip(corpus.blocks, expected_gaps)])
    assert block_looks(corpus, config.segment, known=(facts.rows, facts.skeletons, facts.features)) == expected
    assert block_looks(corpus, config.segment) == expected
    assert block_looks(corpus, config.segment, workers=2) == expected


def _plain_shared_blocks(groups, notes, cluster_of, words, config):  # type: ignore[no-untyped-def]
    """The two support passes written out over ``group_support``, block by block: the oracle for the arrays."""
    from dedup.boilerplate import group_support

    def needed(group):  # type: ignore[no-untyped-def]
        longest = max(words.get(b, 0) for b in group.blocks)
        return config.long_block_support if longest >= config.long_block_words else config.min_support

    first = group_support(groups, notes, cluster_of, words)
    candidates = {b for g in groups if first[g.group_id] >= needed(g) for b in g.blocks}
    support = group_support(groups, notes, cluster_of, words, candidates)
    return {b for g in groups if support[g.group_id] >= needed(g) for b in g.blocks}, support


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 12), st.integers(1, 25))
def test_shared_blocks_count_support_as_group_support_does(seed: int, blocks: int, articles: int,
                                                            groups: int) -> None:
    from dedup.boilerplate import GroupMembers, shared_blocks
    from dedup.config import BoilerplateConfig
    from dedup.groups import Group
    from dedup.records import BlockNote

    rng = random.Random(seed)
    notes = [BlockNote(occurrence=rng.choice([None, *range(articles)]), role=rng.choice(["body", "body", "title"]))
             for _ in range(blocks)]
    words = {b: rng.choice([0, 1, 3, 8, 12, 40, 90]) for b in range(blocks) if rng.random() < 0.9}
    cluster_of = {o: rng.randrange(max(1, articles // 2)) for o in range(articles)}
    made = [Group(f"g-{n:03d}", tuple(sorted(rng.sample(range(blocks), rng.randint(1, min(6, blocks))))), "x", 1)
            for n in range(groups)]
    config = BoilerplateConfig(min_support=rng.randint(2, 3), long_block_words=rng.choice([10, 40]),
                               long_block_support=rng.randint(2, 4))
    expected = _plain_shared_blocks(made, notes, cluster_of, words, config)
    assert shared_blocks(made, notes, cluster_of, words, config) == expected
    members = GroupMembers(made, notes, words)  # made once, used for two rounds
    assert shared_blocks(made, notes, cluster_of, words, config, members=members) == expected
    other = {o: rng.randrange(articles) for o in range(articles)}
    assert (shared_blocks(made, notes, other, words, config, members=members)
            == _plain_shared_blocks(made, notes, other, words, config))


@given(st.lists(st.sampled_from(["content", "boilerplate", "template"]), min_size=1, max_size=12))
def test_a_group_is_labelled_by_its_most_common_label_the_first_met_among_equals(labels: list[str]) -> None:
    from types import SimpleNamespace

    from dedup.outputs import _group_label
    from dedup.records import BlockNote

    result = SimpleNamespace(notes=[BlockNote(label=label) for label in labels])
    most = max(labels.count(label) for label in labels)
    expected = next(label for label in labels if labels.count(label) == most)
    assert _group_label(result, list(range(len(labels)))) == expected  # type: ignore[arg-type]

