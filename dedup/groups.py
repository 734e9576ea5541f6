"""Stage 7a, block groups: blocks -> groups of the same paragraph or line, worded alike.

Blocks are keyed by their ``skeleton`` (URLs, numbers and dates masked), so a disclaimer that differs only in a
link or a date is one key. Short keys are then joined when they are near-identical rewordings ("For more
information, visit X" / "For more info visit X."): datasketch MinHash LSH on character 4-grams proposes pairs,
rapidfuzz's ratio verifies them. These signatures only propose pairs for the ratio test, so they use ``GRAM_PERM``
permutations, half of a content signature's, and a lower threshold with shorter bands to keep the recall. Groups are only annotations; ``boilerplate`` decides what they mean.

    >>> groups = block_groups(texts, fp, BoilerplateConfig())
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from .candidates import band_neighbours, band_params, components, ranks
from .config import BoilerplateConfig
from .fingerprint import Fingerprinter, KeySignatures
from .normalize import skeleton, spaced_count
from .parallel import map_shards

CHAR_GRAM = 4
GRAM_PERM = 64
NEAR_LSH_THRESHOLD = 0.3  # 21 bands of 3 rows at GRAM_PERM: a pair at Jaccard 0.5 shares a band with odds 0.94
SIGNATURE_CHUNK = 4096
NEAR_WINDOW = 8  # neighbours per key, band and order (all pairs in buckets of up to 9 keys)
NEAR_MIN_AGREEMENT = 0.25  # candidates whose signatures estimate a Jaccard similarity below this met by chance


@dataclass(frozen=True)
class Group:
    """Blocks sharing one wording (up to small edits); ``representative`` is the most common text."""

    group_id: str
    blocks: tuple[int, ...]
    representative: str
    wordings: int


def char_gram_runs(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The byte 4-grams of every key, as consecutive runs of uint32 values (``counts[i]`` for key i), computed
    over all keys at once. A run may repeat a gram: the minimum of a MinHash permutation does not change."""
    data = [k.encode("utf-8") for k in keys]
    data = [d if len(d) >= CHAR_GRAM else d.ljust(CHAR_GRAM, b"\0") for d in data]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    buf = np.frombuffer(b"".join(data), dtype=np.uint8).astype(np.uint32)
    grams = (buf[:-3] << 24) | (buf[1:-2] << 16) | (buf[2:-1] << 8) | buf[3:]
    across = (np.cumsum(lengths)[:, None] - np.arange(CHAR_GRAM - 1, 0, -1)).ravel()  # the last 3 starts of a key
    keep = np.ones(grams.size, dtype=bool)
    keep[across[across < grams.size]] = False
    return grams[keep], lengths - (CHAR_GRAM - 1)


@lru_cache(maxsize=None)
def _gram_fingerprinter(seed: int) -> Fingerprinter:
    """The run's MinHash scheme and seed with ``GRAM_PERM`` permutations."""
    return Fingerprinter(num_perm=GRAM_PERM, seed=seed, shingle_size=CHAR_GRAM)


def gram_signatures(keys: list[str], fp: Fingerprinter) -> np.ndarray:
    """Character-gram signatures of skeleton keys (``GRAM_PERM`` permutations of ``fp``'s seed), in one batch
    (``gram_signatures_shard`` passes a chunk at a time to keep the grams' memory small)."""
    return _gram_fingerprinter(fp.seed).signatures_of_hash_sets(*char_gram_runs(keys))


def gram_signatures_shard(keys: Sequence[str], fp: Fingerprinter) -> list[np.ndarray]:
    """Character-gram signatures of a shard of keys, one row per key (a unit of work for ``map_shards``),
    computed ``SIGNATURE_CHUNK`` keys at a time."""
    rows: list[np.ndarray] = []
    for lo in range(0, len(keys), SIGNATURE_CHUNK):
        rows.extend(gram_signatures(list(keys[lo:lo + SIGNATURE_CHUNK]), fp))
    return rows


def near_eligible(key: str, config: BoilerplateConfig) -> bool:
    """Whether a skeleton key is looked at for near-identical wordings (3 to ``max_group_tokens`` words); a key's
    words are joined by single spaces, so they are counted by the spaces between them."""
    return 3 <= spaced_count(key) <= config.max_group_tokens


def _near_keys(keys: list[str], fp: Fingerprinter, config: BoilerplateConfig, workers: int = 1,
               signatures: KeySignatures | None = None) -> list[tuple[int, int]]:
    """Pairs of distinct keys (indices into the sorted ``keys``) that are near-identical wordings.

    Candidates share a character-gram LSH bucket and lie within ``NEAR_WINDOW`` places of each other when the
    bucket is listed alphabetically or by reversed text (``band_neighbours``): a bucket of common phrasing can
    hold thousands of keys, and near-identical wordings sort next to each other by their start or their end.
    Grouping is transitive, so a run of variants is still joined through its neighbours. Candidates whose
    signatures agree on fewer than ``NEAR_MIN_AGREEMENT`` of the permutations (keys sharing a sentence, not a
    wording) are dropped before any ratio is computed. Signatures (``gram_signatures``) are taken from
    ``signatures``, which holds every ``near_eligible`` key, or computed over shards by ``workers`` processes;
    ratios by rapidfuzz's ``cpdist`` in C++ (``workers`` threads); the pairs do not depend on the worker count.
    """
    if signatures is not None:
        eligible = [i for i, k in enumerate(keys) if k in signatures]
    else:
        eligible = [i for i, k in enumerate(keys) if near_eligible(k, config)]
    if len(eligible) < 2:
        return []
    if signatures is not None:
        sigs = signatures.take([keys[i] for i in eligible])
    else:
        sigs = np.stack(map_shards(partial(gram_signatures_shard, fp=fp), [keys[i] for i in eligible], workers))
    by_end = ranks([keys[i][::-1] for i in eligible])
    bands, rows = band_params(NEAR_LSH_THRESHOLD, GRAM_PERM)
    cutoff = config.block_similarity * 100
    lengths = np.array([len(keys[i]) for i in eligible], dtype=np.int64)

    def ratio_reachable(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """fuzz.ratio is at most 200 * shorter / (sum of lengths): pairs below the cutoff even so cannot pass."""
        la, lb = lengths[a], lengths[b]
        return 200 * np.minimum(la, lb) >= (cutoff - 1e-6) * (la + lb)

    found = band_neighbours(sigs, [np.arange(len(eligible)), by_end], bands, rows, NEAR_WINDOW,
                            NEAR_MIN_AGREEMENT, ratio_reachable, workers)
    pairs = [(eligible[a], eligible[b]) for a, b in found.tolist()]
    if not pairs:
        return []
    scores = process.cpdist([keys[i] for i, _ in pairs], [keys[j] for _, j in pairs], scorer=fuzz.ratio,
                            score_cutoff=cutoff, workers=workers)
    return [pair for pair, score in zip(pairs, scores.tolist()) if score >= cutoff]


def block_groups(texts: dict[int, str], fp: Fingerprinter, config: BoilerplateConfig,
                 skeletons: list[str] | None = None, workers: int = 1,
                 signatures: KeySignatures | None = None) -> list[Group]:
    """Groups of two or more blocks (by block index) with the same or a near-identical wording.

    ``skeletons`` (by block index) are the blocks' skeleton keys, and ``signatures`` the character-gram
    signatures of the ``near_eligible`` ones, when the caller has them already.
    """
    by_key: dict[str, list[int]] = defaultdict(list)
    for bid in sorted(texts):
        key = skeletons[bid] if skeletons is not None else skeleton(texts[bid])
        if key:
            by_key[key].append(bid)  # in block order
    keys = sorted(by_key)
    joined = components(_near_keys(keys, fp, config, workers, signatures))
    near = {i for comp in joined for i in comp}
    groups = [_group(keys, comp, by_key, texts) for comp in joined]
    groups += [_one_wording(key, by_key[key], texts) for i, key in enumerate(keys)
               if len(by_key[key]) > 1 and i not in near]  # one block alone is no group
    return sorted(groups, key=lambda g: g.blocks[0])


def _one_wording(key: str, blocks: list[int], texts: dict[int, str]) -> Group:
    """The group of the blocks (in block order) of one key that no other key joins."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    return Group(f"g-{digest}", tuple(blocks), texts[blocks[0]], 1)


def _group(keys: list[str], idx: list[int], by_key: dict[str, list[int]], texts: dict[int, str]) -> Group:
    """One group from the key indices it joins."""
    blocks = tuple(sorted(b for i in idx for b in by_key[keys[i]]))
    counts = Counter({keys[i]: len(by_key[keys[i]]) for i in idx})
    top = min(counts, key=lambda k: (-counts[k], k))
    digest = hashlib.sha1(top.encode("utf-8")).hexdigest()[:12]
    return Group(f"g-{digest}", blocks, texts[by_key[top][0]], len(idx))
