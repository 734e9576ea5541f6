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
        listed, buckets = _listed_by_bucket(_bucket_ids(_band_hash(columns)), np.arange(n))  # a < b in each pair
        a, b = _run_pairs(listed, buckets, columns, n)
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
    # Agreement is read on the low 16 bits of each value (unequal values agree there with odds 1 in 65,536), after
    # two bounds that gather less memory: values that agree agree on their low 8 and low 4 bits too.
    lanes = [(bits, lane_words(sigs, bits)) for bits in AGREEMENT_LANES] if min_agreement > 0 else []
    job = _NeighbourJob(sigs, [np.argsort(rank, kind="stable") for rank in orders], rows, window, min_agreement,
                        compatible, lanes)
    found = map_shared(job.bands, list(range(bands)), workers, min_items=MIN_ROWS_TO_SHARE // max(1, n) + 1)
    codes = sorted_unique(np.concatenate([np.empty(0, dtype=np.int64), *found]))
    return np.stack([codes // n, codes % n], axis=1) if n else np.empty((0, 2), dtype=np.int64)


AGREEMENT_LANES = (4, 8, 16)  # bits of each value read by the successive agreement filters
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
    lanes: list[tuple[int, np.ndarray]]  # (bits, lane_words(sigs, bits)), widest last

    def bands(self, bands: Sequence[int]) -> list[np.ndarray]:
        """The kept pair codes (i * n + j) of each band, sorted."""
        return [self.band(band) for band in bands]

    def band(self, band: int) -> np.ndarray:
        """The kept pair codes of one band."""
        n, sigs = len(self.sigs), self.sigs
        columns = sigs[:, band * self.rows:(band + 1) * self.rows]
        bucket = _bucket_ids(_band_hash(columns))
        listed_pairs = [np.empty(0, dtype=np.int64)]
        # a bucket of at most window + 1 rows gives all its pairs in the first order: the others list larger ones
        big = np.bincount(bucket)[bucket] > self.window + 1 if len(self.by_rank) > 1 else None
        for k, ranked in enumerate(self.by_rank):
            if k and big is not None:
                ranked = ranked[big[ranked]]
            order, buckets = _listed_by_bucket(bucket, ranked)
            if n <= np.iinfo(np.int32).max:  # the pairs' rows at half the width: millions of them a band
                order = order.astype(np.int32)
            a, b = _run_pairs(order, buckets, None, self.window)
            del order, buckets
            code = np.minimum(a, b).astype(np.int64)
            np.maximum(a, b, out=b)
            del a
            code *= n
            code += b
            del b
            listed_pairs.append(code)
        codes = sorted_unique(np.concatenate(listed_pairs))
        del listed_pairs
        if self.compatible is not None and len(codes):
            codes = codes[chunked_mask(self.compatible, codes, n)]
        for bits, words in self.lanes:
            if len(codes):
                codes = codes[lane_agreement(words, bits, sigs.shape[1], codes // n, codes % n) >= self.min_agreement]
        return codes


def chunked_mask(test: Compatible, codes: np.ndarray, n: int, chunk: int = 1 << 20) -> np.ndarray:
    """``test(codes // n, codes % n)`` computed ``chunk`` pair codes at a time: a band lists millions of pairs
    before they are filtered (3-4M a band in block grouping at 100k articles), and the test's temporaries over all
    of them at once held ~300 MB in each band-search process."""
    keep = np.empty(len(codes), dtype=bool)
    for lo in range(0, len(codes), chunk):
        part = codes[lo:lo + chunk]
        keep[lo:lo + chunk] = test(part // n, part % n)
    return keep


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


def _bucket_ids(keys: np.ndarray) -> np.ndarray:
    """Each row's bucket: the rank of its key among the distinct keys (0, 1, ...; equal keys, equal buckets)."""
    order = np.argsort(keys)
    listed = keys[order]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    new[1:] = listed[1:] != listed[:-1]
    bucket = np.empty(len(keys), dtype=np.int64)
    bucket[order] = np.cumsum(new) - 1
    return bucket


def _listed_by_bucket(bucket: np.ndarray, ranked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``ranked`` (every row once) listed by bucket, then by their place in ``ranked``, and the bucket of
    each in that listing: one sort of distinct integers (bucket * n + place), not a stable sort of the keys."""
    n = len(ranked)
    listed = np.sort(bucket[ranked] * n + np.arange(n, dtype=np.int64))
    return ranked[listed % n], listed // n


def _band_hash(columns: np.ndarray) -> np.ndarray:
    """One 64-bit key per row from a band's signature values (equal bands give equal keys)."""
    key = np.zeros(len(columns), dtype=np.uint64)
    for column in columns.T:
        key = (key ^ column.astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
        key ^= key >> np.uint64(29)
    return key


def lane_words(sigs: np.ndarray, bits: int) -> np.ndarray:
    """The low ``bits`` (4, 8 or 16) of each signature value, packed into rows of 64-bit words (zero-padded):
    what ``lane_agreement`` reads."""
    if bits == 16:
        lanes = sigs.astype(np.uint16)
    elif bits == 8:
        lanes = sigs.astype(np.uint8)
    elif bits == 4:
        low = (sigs & 15).astype(np.uint8)
        if low.shape[1] % 2:
            low = np.concatenate([low, np.zeros((len(low), 1), dtype=np.uint8)], axis=1)
        lanes = low[:, 0::2] | (low[:, 1::2] << 4)
    else:
        raise ValueError(f"lane_words: {bits} bits a lane; 4, 8 or 16 are supported")
    per_word = 8 // lanes.itemsize
    words = np.zeros((len(lanes), -(-lanes.shape[1] // per_word) * per_word), dtype=lanes.dtype)
    words[:, :lanes.shape[1]] = lanes
    return words.view(np.uint64)


def lane_agreement(words: np.ndarray, bits: int, perm: int, a: np.ndarray, b: np.ndarray,
                   chunk: int = 1 << 16) -> np.ndarray:
    """``agreement`` over ``perm`` columns read from their low ``bits`` (``lane_words``): an upper bound, equal
    when unequal values differ there. A column disagrees when its lane of the XOR is not zero, found for every
    lane of a word at once by carrying the lane's low bits into its high bit."""
    low = np.uint64(int(("0" + "1" * (bits - 1)) * (64 // bits), 2))
    out = np.empty(len(a), dtype=np.float64)
    for lo in range(0, len(a), chunk):
        x = np.take(words, a[lo:lo + chunk], axis=0)
        x ^= np.take(words, b[lo:lo + chunk], axis=0)
        y = x & low
        y += low  # a lane's high bit is set when its low bits were not all zero ...
        y |= x  # ... or when it was set already
        y &= ~low
        out[lo:lo + chunk] = perm - _popcount(y).sum(axis=1)
    return out / max(1, perm)


def _popcount(words: np.ndarray) -> np.ndarray:
    """Set bits of each 64-bit word (``np.bitwise_count`` where numpy has it, numpy 2.0 and later)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words)
    count = np.zeros(words.shape, dtype=np.uint64)
    for shift in range(0, 64, 8):
        count += _BYTE_BITS[((words >> np.uint64(shift)) & np.uint64(255)).astype(np.intp)]
    return count


_BYTE_BITS = np.array([bin(v).count("1") for v in range(256)], dtype=np.uint64)


def agreement(sigs: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    """For each pair of rows (a[k], b[k]), the share of signature columns on which they agree (the MinHash
    estimate of their Jaccard similarity); computed ``chunk`` pairs at a time."""
    out = np.empty(len(a), dtype=np.float64)
    for lo in range(0, len(a), chunk):
        out[lo:lo + chunk] = np.count_nonzero(sigs[a[lo:lo + chunk]] == sigs[b[lo:lo + chunk]], axis=1)
    return out / max(1, sigs.shape[1])
