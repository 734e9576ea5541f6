"""Stage 4, candidates: signatures -> candidate pairs from datasketch ``MinHashLSH``.

Two indexes: one over the whole cleaned content (copies with edits, dropped or added paragraphs) and one over
the first words only (teasers and truncated copies share their opening with the full story). Candidates only
over-approximate; ``verify`` decides. ``MinHashLSH.query`` returns a set, so results are sorted.

    >>> pairs = candidate_pairs(signatures, leads, fp, ClusterConfig())
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHashLSH

from .config import ClusterConfig
from .fingerprint import Fingerprinter


def lsh_pairs(signatures: dict[int, np.ndarray], fp: Fingerprinter, threshold: float) -> set[tuple[int, int]]:
    """All (i, j), i < j, that share an LSH band at ``threshold``."""
    lsh = MinHashLSH(threshold=threshold, num_perm=fp.num_perm)
    sketches = {key: fp.minhash(sig) for key, sig in sorted(signatures.items())}
    for key, mh in sketches.items():
        lsh.insert(key, mh, check_duplication=False)
    pairs: set[tuple[int, int]] = set()
    for key, mh in sketches.items():
        for other in sorted(lsh.query(mh)):
            if other > key:
                pairs.add((key, other))
    return pairs


def candidate_pairs(signatures: dict[int, np.ndarray], leads: dict[int, np.ndarray], fp: Fingerprinter,
                    config: ClusterConfig) -> list[tuple[int, int]]:
    """Sorted union of whole-content and lead candidates."""
    pairs = lsh_pairs(signatures, fp, config.lsh_threshold) | lsh_pairs(leads, fp, config.lead_lsh_threshold)
    return sorted(pairs)
