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

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np
from datasketch import MinHashLSH

from .config import ClusterConfig
from .fingerprint import Fingerprinter, sorted_unique
from .parallel import map_shared

Compatible = Callable[[np.ndarray, np.ndarray], np.ndarray]  # rows a, b -> mask of the pairs worth a closer look


@lru_cache(maxsize=None)
def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) exactly as datasketch's ``MinHashLSH`` chooses them."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def band_pairs(keys: np.ndarray, sigs: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    """All (i, j), i < j (by key), whose signatures agree on every row of at least one band."""
    base = int(keys.max()) + 1 if len(keys) else 1
    return set(_decode(band_pair_codes(keys, sigs, bands, rows, base), base))


def band_pair_codes(keys: np.ndarray, sigs: np.ndarray, bands: int, rows: int, base: int) -> np.ndarray:
    """``band_pairs`` as sorted distinct codes ``i * base + j`` (keys below ``base``).

    Per band the rows are listed by a 64-bit key of the band's values, so that each bucket is a contiguous run,
    and every pair inside a run is taken (``_run_pairs``).
    """
    if len(keys) < 2:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys, sigs = keys[order].astype(np.int64), sigs[order]
    n = len(keys)
    found = [np.empty(0, dtype=np.int64)]
    for band in range(bands):
        columns = sigs[:, band * rows:(band + 1) * rows]
        hashes = _band_hash(columns)
        listed = np.argsort(hashes, kind="stable")  # by key, then by position: a < b in each pair
        a, b = _run_pairs(listed, hashes[listed], columns, n)
        found.append(a.astype(np.int64) * n + b)
    codes = sorted_unique(np.concatenate(found))
    return keys[codes // n] * base + keys[codes % n]  # sorted: keys ascend with position


def _decode(codes: np.ndarray, base: int) -> list[tuple[int, int]]:
    """Pairs from their codes ``i * base + j``, in code order."""
    return list(zip((codes // base).tolist(), (codes % base).tolist()))


def _run_pairs(listed: np.ndarray, hashes: np.ndarray, columns: np.ndarray | None,
               max_step: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (listed[p], listed[p + step]), 1 <= step <= max_step, whose band keys ``hashes`` (in listed order)
    are equal and, when ``columns`` are given, whose band values agree (the key is a hash; ``band_neighbours``
    leaves a 64-bit collision, odds about rows^2 / 2^64 a band, to its agreement filter). Only positions still
    inside a run of equal keys are looked at again for the next step, so the work is the number of pairs found,
    not steps times rows."""
    firsts, seconds = [np.empty(0, dtype=listed.dtype)], [np.empty(0, dtype=listed.dtype)]
    live = np.arange(len(listed) - 1)
    step = 1
    while live.size and step <= max_step:
        live = live[hashes[live + step] == hashes[live]]
        a, b = listed[live], listed[live + step]
        if columns is not None:
            same = (columns[a] == columns[b]).all(axis=1)
            a, b = a[same], b[same]
        firsts.append(a)
        seconds.append(b)
        step += 1
        live = live[live + step < len(listed)]
    return np.concatenate(firsts), np.concatenate(seconds)


def lsh_pairs(signatures: dict[int, np.ndarray], fp: Fingerprinter, threshold: float) -> set[tuple[int, int]]:
    """All (i, j), i < j, that share an LSH band at ``threshold``."""
    base = max(signatures, default=0) + 1
    return set(_decode(_lsh_codes(signatures, fp, threshold, base), base))


def _lsh_codes(signatures: dict[int, np.ndarray], fp: Fingerprinter, threshold: float, base: int) -> np.ndarray:
    """``lsh_pairs`` as sorted codes ``i * base + j``."""
    if len(signatures) < 2:
        return np.empty(0, dtype=np.int64)
    keys = np.array(sorted(signatures), dtype=np.int64)
    sigs = np.stack([signatures[k] for k in keys.tolist()])
    bands, rows = band_params(threshold, fp.num_perm)
    return band_pair_codes(keys, sigs, bands, rows, base)


def candidate_pairs(signatures: dict[int, np.ndarray], leads: dict[int, np.ndarray], fp: Fingerprinter,
                    config: ClusterConfig) -> list[tuple[int, int]]:
    """Sorted union of whole-content and lead candidates."""
    base = max(max(signatures, default=0), max(leads, default=0)) + 1
    codes = np.concatenate([_lsh_codes(signatures, fp, config.lsh_threshold, base),
                            _lsh_codes(leads, fp, config.lead_lsh_threshold, base)])
    return _decode(sorted_unique(codes), base)


def band_neighbours(sigs: np.ndarray, orders: list[np.ndarray], bands: int, rows: int, window: int,
                    min_agreement: float = 0.0, compatible: Compatible | None = None,
                    workers: int = 1) -> np.ndarray:
    """Sorted (k, 2) array of rows (i, j), i < j, that share a band bucket and lie within ``window`` places of
    each other when the bucket is listed in one of ``orders`` (a rank per row).

    A bounded subset of ``band_pairs``: each row meets at most ``2 * window`` others per band and order, so the
    count grows linearly with the rows however large a bucket gets, and a bucket of at most ``window + 1`` rows
    gives all its pairs. With ``min_agreement``, pairs whose whole signatures agree on fewer than that share of
    permutations (an estimated Jaccard similarity far below the LSH threshold: they met in a bucket by chance)
    are dropped as each band is listed, so memory holds only the likely pairs. ``compatible(a, b)`` (a mask over
    pairs of rows, such as a length bound the caller's own test implies) drops pairs before the agreement is
    counted, which costs a gather of two signature rows per pair. The bands are shared among ``workers``
    processes, which read the arrays from the parent's memory (``parallel.map_shared``); the pairs do not
    depend on their number.

        >>> band_neighbours(np.array([[1, 2], [1, 2], [3, 4]]), [np.arange(3)], bands=1, rows=2, window=8)
        array([[0, 1]])
    """
    n = len(sigs)
    low = sigs.astype(np.uint16) if min_agreement > 0 else sigs  # agreement read on the low 16 bits: half the
    # memory to gather, and unequal values agree there with odds 1 in 65,536
    byte = sigs.astype(np.uint8) if min_agreement > 0 else sigs  # values that agree agree on their low byte too
    job = _NeighbourJob(sigs, [np.argsort(rank, kind="stable") for rank in orders], rows, window, min_agreement,
                        compatible, low, byte)
    found = map_shared(job.bands, list(range(bands)), workers, min_items=MIN_ROWS_TO_SHARE // max(1, n) + 1)
    codes = sorted_unique(np.concatenate([np.empty(0, dtype=np.int64), *found]))
    return np.stack([codes // n, codes % n], axis=1) if n else np.empty((0, 2), dtype=np.int64)


MIN_ROWS_TO_SHARE = 50_000  # rows * bands below this: the bands are listed here, without a pool


@dataclass
class _NeighbourJob:
    """What every band of ``band_neighbours`` reads."""

    sigs: np.ndarray
    by_rank: list[np.ndarray]
    rows: int
    window: int
    min_agreement: float
    compatible: Compatible | None
    low: np.ndarray
    byte: np.ndarray

    def bands(self, bands: Sequence[int]) -> list[np.ndarray]:
        """The kept pair codes (i * n + j) of each band, sorted."""
        return [self.band(band) for band in bands]

    def band(self, band: int) -> np.ndarray:
        """The kept pair codes of one band."""
        n, sigs = len(self.sigs), self.sigs
        columns = sigs[:, band * self.rows:(band + 1) * self.rows]
        keys = _band_hash(columns)
        listed_pairs = [np.empty(0, dtype=np.int64)]
        for ranked in self.by_rank:
            order = ranked[np.argsort(keys[ranked], kind="stable")]  # by band key, then by rank
            a, b = _run_pairs(order, keys[order], None, self.window)
            listed_pairs.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
        codes = sorted_unique(np.concatenate(listed_pairs))
        if self.compatible is not None and len(codes):
            codes = codes[self.compatible(codes // n, codes % n)]
        if self.min_agreement > 0 and len(codes):  # the low-byte bound first: half the memory to gather again
            codes = codes[agreement(self.byte, codes // n, codes % n) >= self.min_agreement]
            codes = codes[agreement(self.low, codes // n, codes % n) >= self.min_agreement]
        return codes


def components(pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the pairs (the items they touch), each sorted, in order of their first member.

        >>> components([(3, 1), (5, 6), (1, 2)])
        [[1, 2, 3], [5, 6]]
    """
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    comps: dict[int, list[int]] = defaultdict(list)
    for x in sorted(parent):
        comps[find(x)].append(x)
    return sorted(comps.values())


def ranks(keys: Sequence[Any]) -> np.ndarray:
    """Each item's place when ``keys`` are listed in sorted order (ties in input order): an order for
    ``band_neighbours``."""
    rank = np.empty(len(keys), dtype=np.int64)
    rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return rank


def _band_hash(columns: np.ndarray) -> np.ndarray:
    """One 64-bit key per row from a band's signature values (equal bands give equal keys)."""
    key = np.zeros(len(columns), dtype=np.uint64)
    for column in columns.T:
        key = (key ^ column.astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
        key ^= key >> np.uint64(29)
    return key


def agreement(sigs: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """For each pair of rows (a[k], b[k]), the share of signature columns on which they agree (the MinHash
    estimate of their Jaccard similarity); computed ``chunk`` pairs at a time."""
    out = np.empty(len(a), dtype=np.float64)
    for lo in range(0, len(a), chunk):
        out[lo:lo + chunk] = np.count_nonzero(sigs[a[lo:lo + chunk]] == sigs[b[lo:lo + chunk]], axis=1)
    return out / max(1, sigs.shape[1])
