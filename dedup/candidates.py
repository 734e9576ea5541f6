"""Stage 4, candidates: signatures -> candidate pairs by LSH banding.

The banding is datasketch ``MinHashLSH``'s own: the same (b, r) that ``MinHashLSH(threshold, num_perm)`` picks,
the same band slices, and two items are candidates when any band slice is identical. It is computed as sorted
array operations over all signatures at once instead of one ``insert``/``query`` per item; a test checks that the
pairs equal those of a real ``MinHashLSH`` index. Two indexes: the whole cleaned content (copies with edits,
dropped or added paragraphs) and the first words only (teasers and truncated copies share their opening with
the full story). Candidates only over-approximate; ``verify`` decides. Output is sorted.

    >>> pairs = candidate_pairs(signatures, leads, fp, ClusterConfig())
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import MinHashLSH

from .config import ClusterConfig
from .fingerprint import Fingerprinter


@lru_cache(maxsize=None)
def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) exactly as datasketch's ``MinHashLSH`` chooses them."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _bucket_pairs(members: np.ndarray, pairs: set[tuple[int, int]]) -> None:
    """Add every pair of a bucket's (sorted) members."""
    items = members.tolist()
    for n, a in enumerate(items):
        for b in items[n + 1:]:
            pairs.add((a, b))


def band_pairs(keys: np.ndarray, sigs: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    """All (i, j), i < j (by key), whose signatures agree on every row of at least one band."""
    pairs: set[tuple[int, int]] = set()
    if len(keys) < 2:
        return pairs
    order = np.argsort(keys, kind="stable")
    keys, sigs = keys[order], sigs[order]
    for band in range(bands):
        chunk = np.ascontiguousarray(sigs[:, band * rows:(band + 1) * rows])
        view = chunk.view(np.dtype((np.void, chunk.dtype.itemsize * rows))).ravel()
        _, inverse, counts = np.unique(view, return_inverse=True, return_counts=True)
        shared = counts[inverse] > 1
        if not shared.any():
            continue
        idx = np.nonzero(shared)[0]
        grouped = idx[np.argsort(inverse[idx], kind="stable")]
        cuts = np.nonzero(np.diff(inverse[grouped]))[0] + 1
        for bucket in np.split(grouped, cuts):
            _bucket_pairs(keys[bucket], pairs)
    return pairs


def lsh_pairs(signatures: dict[int, np.ndarray], fp: Fingerprinter, threshold: float) -> set[tuple[int, int]]:
    """All (i, j), i < j, that share an LSH band at ``threshold``."""
    if len(signatures) < 2:
        return set()
    keys = np.array(sorted(signatures), dtype=np.int64)
    sigs = np.stack([signatures[k] for k in keys.tolist()])
    bands, rows = band_params(threshold, fp.num_perm)
    return band_pairs(keys, sigs, bands, rows)


def candidate_pairs(signatures: dict[int, np.ndarray], leads: dict[int, np.ndarray], fp: Fingerprinter,
                    config: ClusterConfig) -> list[tuple[int, int]]:
    """Sorted union of whole-content and lead candidates."""
    pairs = lsh_pairs(signatures, fp, config.lsh_threshold) | lsh_pairs(leads, fp, config.lead_lsh_threshold)
    return sorted(pairs)
