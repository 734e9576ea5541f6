"""Template mining: the bounded pair search against slow references, a template among many look-alikes in one
LSH bucket, and results that depend on block text only (not on block ids, input order or hash seed)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from dedup import parallel, templates
from dedup.candidates import band_neighbours, band_pairs, band_params
from dedup.config import BoilerplateConfig
from dedup.fingerprint import Fingerprinter, KeySignatures
from dedup.normalize import tokens
from dedup.records import BlockNote
from dedup.templates import TemplateMiner, text_lines

ROOT = Path(__file__).resolve().parent.parent
FP = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
COMPANIES = ["acme", "globex corporation", "initech", "umbrella holdings group", "stark", "hooli"]
FILLER_WORDS = ["alpha", "bravo", "delta", "echo", "golf", "hotel", "india", "kilo", "lima", "mike", "oscar",
                "papa", "romeo", "sierra", "tango", "victor", "whiskey", "yankee", "zulu", "quebec"]


def reference_fixed(a: list[str], b: list[str]) -> int:
    """Equal tokens in the word alignment, counted from ``Levenshtein.opcodes`` on the token lists."""
    return sum(op.src_end - op.src_start for op in Levenshtein.opcodes(a, b) if op.tag == "equal")


def lookalike_corpus(fillers: int) -> list[str]:
    """Twelve "shares of ... rose ..." lines (slots of one to three words) among one-liners with the same words in
    another order, which share LSH buckets with them but do not align with them."""
    rng = random.Random(7)
    lines = [f"Shares of {COMPANIES[n % 6].title()} rose {rng.randint(1, 9)}{'.5' * (n % 2)} percent to "
             f"{rng.randint(10, 99)} dollars." for n in range(12)]
    lines += [f"Shares of {rng.choice(FILLER_WORDS)} to rose {rng.randint(100, 999)} dollars {rng.choice(FILLER_WORDS)}"
              f" {rng.choice(FILLER_WORDS)}." for _ in range(fillers)]
    return lines


def edited_variants(rng: random.Random, bases: int, variants: int) -> list[tuple[str, ...]]:
    """Distinct token sequences: random bases, each with variants that replace, drop or add up to 60 % of it."""
    words = [f"v{n}" for n in range(40)]
    seqs = set()
    for _ in range(bases):
        base = [rng.choice(words) for _ in range(rng.randint(4, 30))]
        for _ in range(variants):
            rate, variant = rng.uniform(0.0, 0.6), []
            for word in base:
                roll = rng.random()
                variant += [] if roll < rate / 3 else [rng.choice(words)] if roll < rate * 2 / 3 else [word]
                variant += [rng.choice(words)] if rate * 2 / 3 <= roll < rate else []
            seqs.add(tuple(variant))
    return sorted(q for q in seqs if len(q) >= templates.MIN_TOKENS)


def mine(lines: list[str], ids: list[int] | None = None, workers: int = 1,
         wordsets: bool = False) -> list[templates.Template]:
    """Templates of ``lines``, one line per article and story, block ``ids[i]`` holding line i; with
    ``wordsets``, the word-set signatures handed to the miner as the run hands them (rows in another order than
    the miner's)."""
    ids = ids if ids is not None else list(range(len(lines)))
    texts = {bid: line for bid, line in zip(ids, lines)}
    notes = [BlockNote(occurrence=bid) for bid in range(len(lines))]
    given: dict[str, object] = {}
    if wordsets:
        given["lines"] = text_lines(texts)
        keys, sigs = templates.wordset_signatures_shard(given["lines"].lines[::-1], FP)  # type: ignore[attr-defined]
        given["wordsets"] = KeySignatures(dict(zip(keys, range(len(keys)))), sigs)
    miner = TemplateMiner(texts, notes, FP, BoilerplateConfig(), excluded=set(), workers=workers,
                          **given)  # type: ignore[arg-type]
    return miner.for_clusters({bid: bid for bid in range(len(lines))})


def by_text(found: list[templates.Template], lines: list[str], ids: list[int]) -> set[tuple]:
    """Each template as (text, kind, its lines, sorted), for comparing runs whose block ids differ."""
    line_of = dict(zip(ids, lines))
    return {(t.text, t.kind, tuple(sorted(line_of[b] for b in t.blocks)),
             tuple(sorted(line_of[b] for b in t.labelled))) for t in found}


@pytest.mark.parametrize("coded", [True, False])
def test_template_pairs_equal_the_alignment_rule_on_all_pairs(monkeypatch: pytest.MonkeyPatch, coded: bool) -> None:
    """The bounds only skip alignments: the pairs kept are exactly those the full alignment accepts."""
    if not coded:
        monkeypatch.setattr(templates, "MAX_CODED_WORDS", 0)  # word ids instead of one character per word
    seqs = edited_variants(random.Random(5), bases=16, variants=10)
    everything = np.array([(a, b) for a in range(len(seqs)) for b in range(a + 1, len(seqs))], dtype=np.int64)
    found = templates._template_pairs(templates._codes([" ".join(q) for q in seqs]), everything, 0.5)
    expected = []
    for a, b in everything.tolist():
        fixed = reference_fixed(list(seqs[a]), list(seqs[b]))
        if fixed >= templates.MIN_FIXED and fixed >= 0.5 * max(len(seqs[a]), len(seqs[b])):
            expected.append((a, b))
    assert found == expected and 100 < len(found) < len(everything)


def test_scores_in_chunks_are_the_scores_of_each_pair() -> None:
    seqs = edited_variants(random.Random(8), bases=6, variants=8)
    codes = templates._codes([" ".join(q) for q in seqs])
    pairs = np.array([(a, b) for a in range(len(seqs)) for b in range(len(seqs)) if (a * 7 + b) % 3], dtype=np.int64)
    got = templates._scores(Levenshtein.distance, codes, pairs, workers=2, chunk=13)  # chunks do not divide it
    assert len(pairs) % 13 and got.tolist() == [Levenshtein.distance(codes[a], codes[b]) for a, b in pairs.tolist()]
    assert templates._scores(Levenshtein.distance, codes, pairs[:0]).shape == (0,)


def test_band_neighbours_are_band_pairs_within_the_window() -> None:
    rng = np.random.default_rng(4)
    sigs = rng.integers(0, 3, size=(300, 8), dtype=np.uint32)  # few values: large buckets
    keys = np.arange(300, dtype=np.int64)
    everything = band_pairs(keys, sigs, 4, 2)
    assert {tuple(p) for p in band_neighbours(sigs, [keys], 4, 2, window=299).tolist()} == everything
    some = band_neighbours(sigs, [keys, keys[::-1].copy()], 4, 2, window=3)
    assert {tuple(p) for p in some.tolist()} < everything
    assert some.tolist() == sorted(some.tolist()) and len(some) <= 300 * 4 * 2 * 3


def test_band_neighbours_with_min_agreement_keep_the_pairs_whose_signatures_agree_that_much() -> None:
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 3, size=(300, 8), dtype=np.uint32)
    keys = np.arange(300, dtype=np.int64)
    everything = band_pairs(keys, sigs, 4, 2)
    agree = {(a, b): sum(int(x == y) for x, y in zip(sigs[a], sigs[b])) / 8 for a, b in everything}
    for least in (0.5, 0.75):
        kept = band_neighbours(sigs, [keys], 4, 2, window=299, min_agreement=least)
        assert {tuple(p) for p in kept.tolist()} == {p for p, share in agree.items() if share >= least}
    assert 0 < sum(share < 0.5 for share in agree.values()) < len(agree)  # the filter has work to do


def test_band_neighbours_with_a_compatibility_test_drop_exactly_the_pairs_it_rejects() -> None:
    rng = np.random.default_rng(6)
    sigs = rng.integers(0, 3, size=(300, 8), dtype=np.uint32)
    keys = np.arange(300, dtype=np.int64)
    everything = band_pairs(keys, sigs, 4, 2)
    kept = band_neighbours(sigs, [keys], 4, 2, window=299, compatible=lambda a, b: (a + 2 * b) % 3 != 0)
    assert {tuple(p) for p in kept.tolist()} == {(a, b) for a, b in everything if (a + 2 * b) % 3}
    assert 0 < len(kept) < len(everything)


def test_a_mask_made_in_chunks_is_the_mask_made_at_once() -> None:
    from dedup.candidates import chunked_mask

    rng = np.random.default_rng(8)
    n = 1000
    codes = np.sort(rng.choice(n * n, size=5000, replace=False)).astype(np.int64)

    def test(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a * 3 + b) % 5 < 2

    for chunk in (7, 4999, 5000, 1 << 20):  # chunks that do not divide the codes, and one chunk for all
        assert chunked_mask(test, codes, n, chunk).tolist() == test(codes // n, codes % n).tolist()
    assert chunked_mask(test, codes[:0], n).shape == (0,)


@pytest.mark.parametrize("bits", [4, 8, 16])
@pytest.mark.parametrize("popcount", ["numpy", "table"])
def test_lane_agreement_is_the_share_of_columns_whose_low_bits_agree(bits: int, popcount: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup import candidates

    if popcount == "table":  # numpy before 2.0 has no bitwise_count
        monkeypatch.delattr(np, "bitwise_count", raising=False)
    rng = np.random.default_rng(7)
    # values that often agree in their low bits only, 13 columns (lanes left over in the last word)
    sigs = ((rng.integers(0, 3, size=(200, 13)) << bits) | rng.integers(0, 3, size=(200, 13))).astype(np.uint32)
    a, b = rng.integers(0, 200, 5000), rng.integers(0, 200, 5000)
    low = sigs & ((1 << bits) - 1)
    expected = [sum(int(x == y) for x, y in zip(low[i], low[j])) / 13 for i, j in zip(a.tolist(), b.tolist())]
    got = candidates.lane_agreement(candidates.lane_words(sigs, bits), bits, 13, a, b, chunk=1000)
    assert got.tolist() == expected
    assert (got >= candidates.agreement(sigs, a, b)).all() and (got > candidates.agreement(sigs, a, b)).any()


def test_rows_listed_by_bucket_as_a_stable_sort_of_their_keys_lists_them() -> None:
    from dedup.candidates import _bucket_ids, _listed_by_bucket

    rng = np.random.default_rng(8)
    keys = rng.integers(0, 40, 1000).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # large, many equal
    ranked = rng.permutation(1000)
    order, buckets = _listed_by_bucket(_bucket_ids(keys), ranked)
    expected = ranked[np.argsort(keys[ranked], kind="stable")]
    assert order.tolist() == expected.tolist()
    assert (np.diff(buckets) >= 0).all()
    assert sorted(len(set(keys[order[buckets == k]].tolist())) for k in set(buckets.tolist())) == [1] * 40


def neighbours_by_definition(sigs: np.ndarray, orders: list[np.ndarray], bands: int, rows: int, window: int,
                             min_agreement: float) -> set[tuple[int, int]]:
    """``band_neighbours``' pairs as its docstring defines them, by loops: rows that share a band's values and lie
    within ``window`` places of each other when their bucket is listed in one of ``orders``, whose whole
    signatures agree on at least ``min_agreement`` of the permutations."""
    n, found = len(sigs), set()
    for band in range(bands):
        values = [tuple(r) for r in sigs[:, band * rows:(band + 1) * rows].tolist()]
        for rank in orders:
            buckets: dict[tuple, list[int]] = defaultdict(list)
            for i in sorted(range(n), key=lambda i: rank[i]):
                buckets[values[i]].append(i)
            for listed in buckets.values():
                for p, a in enumerate(listed):
                    found.update((min(a, b), max(a, b)) for b in listed[p + 1:p + 1 + window])
    return {(a, b) for a, b in found if (sigs[a] == sigs[b]).mean() >= min_agreement}


@pytest.mark.parametrize("values", [3, 6, 12])  # buckets mostly larger than, around, within window + 1 rows
def test_band_neighbours_are_the_pairs_their_definition_gives(values: int) -> None:
    rng = np.random.default_rng(values)
    sigs = rng.integers(0, values, size=(300, 16), dtype=np.uint32)
    orders = [np.arange(300, dtype=np.int64), rng.permutation(300)]
    got = band_neighbours(sigs, orders, 8, 2, window=3, min_agreement=0.15)
    assert {tuple(p) for p in got.tolist()} == neighbours_by_definition(sigs, orders, 8, 2, 3, 0.15)
    assert got.tolist() == sorted(got.tolist()) and len(got) > 30


def test_band_neighbours_do_not_depend_on_the_worker_count(monkeypatch: pytest.MonkeyPatch) -> None:
    from dedup import candidates

    monkeypatch.setattr(candidates, "MIN_ROWS_TO_SHARE", 1)  # share the bands even for 300 rows
    rng = np.random.default_rng(6)
    sigs = rng.integers(0, 3, size=(300, 16), dtype=np.uint32)
    orders = [np.arange(300, dtype=np.int64), rng.permutation(300)]
    lengths = rng.integers(1, 9, 300)

    def compatible(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.abs(lengths[a] - lengths[b]) <= 4

    one = band_neighbours(sigs, orders, 8, 2, window=3, min_agreement=0.3, compatible=compatible)
    two = band_neighbours(sigs, orders, 8, 2, window=3, min_agreement=0.3, compatible=compatible, workers=2)
    assert len(one) > 50 and np.array_equal(one, two)
    pairs = {tuple(p) for p in one.tolist()}
    assert all(abs(lengths[a] - lengths[b]) <= 4 for a, b in pairs)


def test_a_template_is_found_among_lookalikes_in_a_large_bucket() -> None:
    lines = lookalike_corpus(fillers=300)
    seqs = sorted({tuple(templates.tokens(line)) for line in lines})
    sigs = templates._wordset_signatures([" ".join(q) for q in seqs], FP)
    bands, rows = band_params(templates.WORDSET_LSH_THRESHOLD, FP.num_perm)
    shares = [i for i, q in enumerate(seqs) if q[:2] == ("shares", "of")]
    largest = 0
    for band in range(bands):
        keys = [bytes(sigs[i, band * rows:(band + 1) * rows]) for i in range(len(seqs))]
        largest = max(largest, max(sum(k == keys[i] for k in keys) for i in shares))
    assert largest > 4 * templates.ALIGN_WINDOW  # the template's lines share a bucket with many look-alikes
    found = [t for t in mine(lines) if t.text.startswith("shares of {SLOT_1} rose")]
    assert len(found) == 1
    assert found[0].text == "shares of {SLOT_1} rose {SLOT_2} percent to {SLOT_3} dollars"
    assert found[0].blocks == list(range(12)) and found[0].labelled == set(range(12))
    assert {found[0].slots[b]["SLOT_1"] for b in range(12)} == set(COMPANIES)


def test_templates_depend_on_block_text_only() -> None:
    lines = lookalike_corpus(fillers=120)
    ids = list(range(len(lines)))
    expected = by_text(mine(lines, ids), lines, ids)
    shuffled = ids[:]
    random.Random(9).shuffle(shuffled)
    assert by_text(mine(lines, shuffled), lines, shuffled) == expected
    assert any(text.startswith("shares of {SLOT_1} rose") for text, *_ in expected)


def test_templates_mined_in_a_process_of_their_own_are_those_mined_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "MIN_ITEMS", 1)  # a process of their own even for these few lines
    lines = lookalike_corpus(fillers=120) + [" ".join(q) for q in edited_variants(random.Random(3), 6, 6)]
    found = mine(lines, workers=2)
    assert [vars(t) for t in found] == [vars(t) for t in mine(lines, workers=1)]
    assert sum(t.kind == "template" for t in found) >= 2
    monkeypatch.setattr(parallel, "ROWS_CHUNK", 7)  # the signatures sent as rows gathered 7 at a time
    assert [vars(t) for t in mine(lines, workers=2, wordsets=True)] == [vars(t) for t in found]
    assert [vars(t) for t in mine(lines, workers=1, wordsets=True)] == [vars(t) for t in found]


def test_short_lines_and_openings_list_every_block_under_its_tokens() -> None:
    rng = random.Random(2)
    words = ["The", "shares", "rose", "1,000", "to", "x1", "of", "Acme's"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 20))) for _ in range(60)]
    body = {bid: rng.choice(texts) for bid in range(0, 400, 2)}  # reprints: one text in several blocks
    least = 3
    lines = templates.text_lines(body)
    bids = np.array(sorted(body))
    keys, counts, flat, shared = templates._short_lines_and_openings(
        bids, np.array([lines.row[b] for b in bids.tolist()]), lines, least)
    expected_short: dict[str, list[int]] = defaultdict(list)
    expected_openings: dict[str, list[int]] = defaultdict(list)
    for bid in sorted(body):
        words_of = tokens(body[bid])
        if templates.MIN_TOKENS <= len(words_of) <= templates.MAX_TOKENS:
            expected_short[" ".join(words_of)].append(bid)
        if len(words_of) >= templates.MIN_PARAGRAPH_TOKENS:
            expected_openings[" ".join(words_of[:templates.OPENING_TOKENS])].append(bid)
    ends = np.cumsum(counts).tolist()
    assert keys == sorted(expected_short)
    assert [flat[end - n:end].tolist() for end, n in zip(ends, counts.tolist())] == [expected_short[k] for k in keys]
    assert shared == sorted((k, b) for k, b in expected_openings.items() if len(b) >= least)
    assert any(len(b) > 1 for b in expected_short.values()) and len(shared) < len(expected_openings)
    assert shared and any(len(b) < least for b in expected_openings.values())


def test_stock_openings_share_their_longest_whole_word_prefix() -> None:
    for a, b in [("abc", "abd"), ("ab", "abc"), ("", "x"), ("same", "same"), ("x" * 300 + "a", "x" * 300 + "b")]:
        assert templates._common_prefix(a, b) == os.path.commonprefix([a, b])
    lines = {1: "in the coming weeks and months the fed will watch", 2: "in the coming weeks and months the ecb will act",
             3: "in the coming weeks and months the fedx will"}
    opening = templates._stock_opening([1, 2], lines)
    assert opening.text == "in the coming weeks and months the {REST}"
    assert opening.slots == {1: {"REST": "fed will watch"}, 2: {"REST": "ecb will act"}}
    assert templates._stock_opening([1, 3], lines).text == opening.text  # whole words: not "the fed"


def test_same_templates_across_hash_seeds() -> None:
    script = ("import json, sys; sys.path[:0] = ['tests', '.']; import test_templates as t; "
              "print(json.dumps([[x.template_id, x.text, x.blocks, sorted(x.coverage.items()), sorted(x.labelled)] "
              "for x in t.mine(t.lookalike_corpus(120))]))")
    outs = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True,
                           env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout for seed in ("0", "4242")]
    assert outs[0] == outs[1] and json.loads(outs[0])


def test_ranks_list_items_by_key_with_ties_in_input_order() -> None:
    from dedup.candidates import ranks

    assert ranks(["b", "a", "c", "a"]).tolist() == [2, 0, 3, 1]
    assert ranks([("y", "x"), ("x",), ("x", "z")]).tolist() == [2, 0, 1]


def test_packed_shapes_are_the_shapes_of_the_keys_and_let_their_inputs_go(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "KEYS_PER_PIECE", 7)  # the keys sent in pieces of 7 (the last one shorter)
    lines = lookalike_corpus(fillers=120)
    blocks_of: dict[str, list[int]] = defaultdict(list)
    for bid, line in enumerate(lines):
        blocks_of[" ".join(tokens(line))].append(bid)
    keys = sorted(k for k in blocks_of if templates.MIN_TOKENS <= len(k.split(" ")) <= templates.MAX_TOKENS)
    members = [blocks_of[k] for k in keys]
    expected = templates.template_shapes(keys, None, members, FP, BoilerplateConfig())
    assert expected[0]  # the corpus has templates
    assert len(keys) % 7 and len(templates._joined_pieces(keys)) == -(-len(keys) // 7)
    packed = [templates._joined_pieces(keys), templates._wordset_signatures(keys, FP),
              np.array([len(m) for m in members]), np.array([b for m in members for b in m])]
    assert templates._packed_shapes(packed, FP, BoilerplateConfig()) == expected
    assert packed == []


@pytest.mark.parametrize("coded_words", [templates.MAX_CODED_WORDS, 3])  # characters, or word ids past 3 words
def test_reversed_codes_list_lines_by_their_last_words(monkeypatch: pytest.MonkeyPatch, coded_words: int) -> None:
    from dedup.candidates import ranks

    monkeypatch.setattr(templates, "MAX_CODED_WORDS", coded_words)
    rng = random.Random(5)
    vocab = ["a", "ab", "b", "ba", "abc", "z", "0", "a0"]
    keys = sorted({" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 6))) for _ in range(300)})
    codes = templates._codes(keys)
    assert isinstance(codes[0], str) == (coded_words > len(vocab))
    expected = ranks([tuple(key.split(" ")[::-1]) for key in keys])
    assert ranks([code[::-1] for code in codes]).tolist() == expected.tolist()
