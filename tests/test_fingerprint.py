"""Fingerprint arrays against the plain-Python reference hashes, pinned hash values, and batch blocking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import fingerprint
from dedup.fingerprint import (EMPTY, Fingerprinter, batch_shingle_hashes, batch_word_string_hashes, shingle_hash,
                               shingle_hashes, shingles, sorted_unique, token_hashes, word_hash)

WORD = st.one_of(st.sampled_from(["the", "news", "12345678", "123456789", "é", "日本語", "x" * 40, ""]),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
WORDS = st.lists(WORD, max_size=40)


def test_word_and_shingle_hashes_are_pinned() -> None:
    """Changing these values changes every signature and verdict: re-run the quality benchmark, then re-pin."""
    assert [word_hash(w) for w in ["", "a", "news", "syndicated"]] == [
        0, 0x3C5019C546843BB4, 0x7D795F360FDEFA0F, 0x018530AD160233D2]
    assert shingle_hash(("shares", "of", "nvidia", "rose", "1000")) == 0x8A18BCCC


@settings(max_examples=200, deadline=None)
@given(WORDS)
def test_token_hashes_equal_word_hash(words: list[str]) -> None:
    assert token_hashes(words).tolist() == [word_hash(w) for w in words]


@settings(max_examples=200, deadline=None)
@given(WORDS, st.integers(min_value=1, max_value=10))
def test_shingle_hashes_equal_shingle_hash(words: list[str], size: int) -> None:
    got = shingle_hashes(words, size)
    assert got.dtype == np.uint32
    assert got.tolist() == [shingle_hash(s) for s in shingles(words, size)]


def test_shingles_of_short_lists() -> None:
    assert shingles([], 5) == []
    assert shingles(["a", "b"], 5) == [("a", "b")]
    assert shingles(["a", "b", "c"], 3) == [("a", "b", "c")]


@settings(max_examples=100, deadline=None)
@given(st.lists(WORDS, max_size=10), st.integers(min_value=1, max_value=6))
def test_batch_shingle_hashes_are_the_concatenated_shingle_hashes(docs: list[list[str]], size: int) -> None:
    hashes, counts = batch_shingle_hashes(docs, size)
    parts = [shingle_hashes(d, size) for d in docs]
    assert counts.tolist() == [p.size for p in parts]
    assert hashes.tolist() == [h for p in parts for h in p.tolist()]


SPACELESS = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=" "),
                             min_size=1, max_size=12), max_size=30)


@settings(max_examples=100, deadline=None)
@given(st.lists(SPACELESS, max_size=10), st.integers(min_value=1, max_value=6))
def test_word_strings_hash_as_their_word_lists(docs: list[list[str]], size: int) -> None:
    """Words joined by single spaces (token strings) give the shingle hashes of the word lists."""
    hashes, counts = batch_word_string_hashes([" ".join(d) for d in docs], size)
    expected, expected_counts = batch_shingle_hashes(docs, size)
    assert counts.tolist() == expected_counts.tolist() and hashes.tolist() == expected.tolist()


@pytest.mark.parametrize("block_values", [1, 64, 700, 1 << 19])
def test_batch_blocks_do_not_change_signatures(monkeypatch: pytest.MonkeyPatch, block_values: int) -> None:
    """Rows split across blocks of every size (one row per block, a row longer than a block, many per block)."""
    monkeypatch.setattr(fingerprint, "BLOCK_VALUES", block_values)
    rng = np.random.default_rng(0)
    vocab = [f"w{n}" for n in range(50)]
    docs = [[vocab[i] for i in rng.integers(0, 50, size=n)] for n in [0, 3, 40, 0, 0, 7, 120, 5, 0, 1, 60]]
    fp = Fingerprinter(num_perm=64, seed=9, shingle_size=4)
    batch = fp.signatures(docs)
    assert all(np.array_equal(batch[i], fp.signature(d)) for i, d in enumerate(docs))
    assert all((batch[i] == EMPTY).all() == (not d) for i, d in enumerate(docs))


def test_signatures_of_hash_sets_equal_signature_of_hashes() -> None:
    fp = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
    rng = np.random.default_rng(1)
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32) for n in [5, 0, 300, 1, 0]]
    batch = fp.signatures_of_hash_sets(np.concatenate(sets), np.array([s.size for s in sets]))
    assert all(np.array_equal(batch[i], fp.signature_of_hashes(s)) for i, s in enumerate(sets))
    assert fp.signatures([]).shape == (0, 128)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=300))
def test_sorted_unique_equals_np_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.uint32)
    assert np.array_equal(sorted_unique(array), np.unique(array))
    assert np.array_equal(sorted_unique(array % 7), np.unique(array % 7))  # many repeats
