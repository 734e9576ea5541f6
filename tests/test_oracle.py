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


@pytest.mark.parametrize("threshold", [0.2, 0.4, 0.5])
def test_array_banding_equals_datasketch_minhashlsh(threshold: float) -> None:
    """Candidate pairs from the array banding are exactly those of a real MinHashLSH index."""
    from datasketch import MinHashLSH

    from dedup.candidates import lsh_pairs

    rng = np.random.default_rng(3)
    fp = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
    base = [rng.integers(0, 2**32, size=60, dtype=np.uint64).astype(np.uint32) for _ in range(40)]
    sets = {}
    for k in range(120):  # families of overlapping sets, so that many pairs collide in some band
        src = base[k % 40]
        keep = rng.random(src.size) < rng.uniform(0.3, 1.0)
        sets[k * 7 % 1000] = np.unique(np.concatenate([src[keep], rng.integers(0, 2**32, 10).astype(np.uint32)]))
    sigs = {k: fp.signature_of_hashes(v) for k, v in sets.items()}
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    sketches = {k: fp.minhash(s) for k, s in sorted(sigs.items())}
    for k, mh in sketches.items():
        lsh.insert(k, mh)
    expected = {(k, o) for k, mh in sketches.items() for o in sorted(lsh.query(mh)) if o > k}
    assert expected and lsh_pairs(sigs, fp, threshold) == expected
