"""Stage 8, canonical: which copy of a story is kept.

The rule, applied in this order: (1) the most complete content (most words once boilerplate is removed);
(2) a source matching an earlier pattern of ``canonical.preferred_sources`` (shell globs on the path);
(3) the earliest in input order: path, then JSONL record id (or record line), then start line. The rule is
recorded in summary.json. Ranking is computed once and used both to pick cluster representatives and canonicals.

    >>> ranks(contents, corpus, CanonicalConfig())[0]
    3
"""

from __future__ import annotations

from fnmatch import fnmatch

import numpy as np

from .config import CanonicalConfig
from .records import Corpus, Occurrence
from .verify import Content

RULE = ("most complete content first: the copy holding the most text that other copies corroborate (shingles "
        "found in at least one other copy), then the most paragraphs, then the least text found in no other copy, "
        "then the most words after boilerplate removal; then the first matching pattern of "
        "canonical.preferred_sources; then earliest in input order (path, JSONL record id or line, start line)")


def order_key(occ: Occurrence, corpus: Corpus) -> tuple[str, str, int, int]:
    """Input order of an occurrence, independent of the order files were listed or records shuffled."""
    page = corpus.pages[occ.page]
    start = corpus.blocks[occ.blocks[0]].start_line if occ.blocks else 0
    return (page.path, page.record_id or "", 0 if page.record_id else (page.record or 0), start)


def _preference(path: str, patterns: tuple[str, ...]) -> int:
    """Index of the first preferred-source pattern matching ``path`` (len(patterns) when none)."""
    return next((i for i, p in enumerate(patterns) if fnmatch(path, p)), len(patterns))


def ranks(contents: list[Content], corpus: Corpus, config: CanonicalConfig) -> list[int]:
    """Rank of every occurrence under the canonical rule (0 = the best canonical)."""
    keys = []
    for i, occ in enumerate(corpus.occurrences):
        path = corpus.pages[occ.page].path
        keys.append((-contents[i].length, _preference(path, config.preferred_sources),
                     order_key(occ, corpus), i))
    rank = [0] * len(keys)
    for position, key in enumerate(sorted(keys)):
        rank[key[-1]] = position
    return rank


def choose(root: list[int], contents: list[Content], rank: list[int],
           memo: dict[tuple, int] | None = None) -> list[int]:
    """Re-point every cluster at its canonical copy under the stated rule.

    Most complete means, in order: the most text that other copies corroborate (shingles found in another
    copy), the most paragraphs, the least text no other copy has (a dateline or edits of one printing), then
    ``rank`` (most words, preferred source, input order). So a copy that added a line of its own does not beat
    the copy that kept every shared paragraph, and a reprint with a dateline prefix does not beat the original.
    ``memo`` keeps each choice by its members' contents and their order by rank, which is all it depends on, so
    a later clustering round redoes only the clusters that changed.
    """
    memo = {} if memo is None else memo
    members: dict[int, list[int]] = {}
    for i, r in enumerate(root):
        members.setdefault(r, []).append(i)
    chosen = {}
    for r, group in members.items():
        if len(group) == 1:
            chosen[r] = group[0]
            continue
        known = (tuple((i, contents[i].digest) for i in group), tuple(sorted(group, key=rank.__getitem__)))
        if known in memo:
            chosen[r] = memo[known]
            continue
        values, counts = np.unique(np.concatenate([contents[i].shingles for i in group]), return_counts=True)
        seen_twice = values[counts >= 2]

        def key(i: int) -> tuple[int, int, int, int]:
            corroborated = _shared(contents[i].shingles, seen_twice)
            return (-corroborated, -contents[i].paragraphs, contents[i].size - corroborated, rank[i])

        chosen[r] = memo[known] = min(group, key=key)
    return [chosen[r] for r in root]


def _shared(values: np.ndarray, known: np.ndarray) -> int:
    """How many of the sorted distinct ``values`` are in the sorted ``known`` (a binary search each)."""
    if not known.size:
        return 0
    at = np.minimum(np.searchsorted(known, values), known.size - 1)
    return int(np.count_nonzero(known[at] == values))
