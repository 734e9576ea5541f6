"""Oracle tests: LSH candidates + verify against brute-force all-pairs verification on generated corpora."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from dedup import Config, analyse
from dedup.cluster import cluster
from dedup.fingerprint import Fingerprinter, shingle_hashes
from dedup.verify import verify
from synthetic import corpus_records, write_jsonl


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lsh_plus_verify_equals_all_pairs(tmp_path: Path, seed: int) -> None:
    records, truth = corpus_records(seed, stories=15)
    path = write_jsonl(tmp_path / "feed.jsonl", records)
    config = Config()
    result = analyse([path], config)
    contents = result.contents
    n = len(contents)
    brute = {}
    for i in range(n):
        for j in range(i + 1, n):
            brute[(i, j)] = verify(contents[i], contents[j], config.cluster)
    edges = [(i, j, v) for (i, j), v in sorted(brute.items()) if v.match]
    from dedup.canonical import choose, ranks

    rank = ranks(contents, result.corpus, config.canonical)
    oracle = choose(cluster(n, rank, edges, lambda i, j: brute[(min(i, j), max(i, j))]), contents, rank)
    assert result.root == oracle
    # and the clusters are the true stories
    ids = [result.corpus.pages[o.page].record_id for o in result.corpus.occurrences]
    got = {frozenset(ids[i] for i in range(n) if result.root[i] == r) for r in set(result.root)}
    want = {frozenset(i for i in ids if truth[i] == s) for s in set(truth.values())}
    assert got == want


def test_signatures_equal_datasketch_update_batch() -> None:
    fp = Fingerprinter(num_perm=64, seed=7, shingle_size=3)
    words = "one two three four five six seven eight nine ten".split()
    hashes = shingle_hashes(words, 3)
    reference = MinHash(num_perm=64, seed=7, hashfunc=int)
    reference.update_batch([int(h) for h in hashes])
    assert np.array_equal(fp.signature(words), reference.hashvalues)
    assert fp.minhash(fp.signature(words)).jaccard(reference) == 1.0


def test_shingles_of_short_text_are_one_shingle() -> None:
    assert shingle_hashes(["a", "b"], 5).size == 1
    assert shingle_hashes([], 5).size == 0
