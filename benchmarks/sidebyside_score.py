"""Scores for benchmarks/sidebyside.py: one predicted label per article against its true story.

The pair counts and the ARI are dedup/evaluate/'s (exact integers, Hubert-Arabie ARI); this module adds what a
label-per-article comparison needs on top: unrelated-story merges, mixed clusters, hard negatives merged, and the
shared lines that glue the largest mixed clusters together.

    >>> score_labels(["s1", "s1", "s2"], ["c", "c", "c"]).unrelated_pairs
    2
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Iterable, Sequence

from benchmarks.speed import shingle_strings, simple_words
from dedup.evaluate import adjusted_rand_index, pair_counts, prf

MAX_PAIRS_MEMBERS = 300


@dataclass(frozen=True)
class Scores:
    """Clustering quality of one tool against the true stories."""

    ari: float
    precision: float
    recall: float
    f1: float
    clusters: int
    unrelated_pairs: int
    mixed_clusters: int
    hard_negatives_merged: int


def score_labels(truth: Sequence[str], predicted: Sequence[str],
                 hard_negatives: Iterable[tuple[str, str]] = ()) -> Scores:
    """ARI, pairwise P/R/F1 over same-story pairs, clusters, and the merges of different stories.

    >>> score_labels(["a", "a", "b", "b"], ["x", "x", "y", "y"]).ari
    1.0
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predicted ones")
    both, true_pairs, pred_pairs, _ = pair_counts(truth, predicted)
    precision, recall, f1 = prf(both, pred_pairs, true_pairs)
    stories = stories_per_cluster(truth, predicted)
    merged = sum(any(a in s and b in s for s in stories.values()) for a, b in hard_negatives)
    return Scores(adjusted_rand_index(truth, predicted), precision, recall, f1, len(stories),
                  pred_pairs - both, sum(len(s) > 1 for s in stories.values()), merged)


def stories_per_cluster(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, set[str]]:
    """Predicted cluster -> the true stories among its members."""
    stories: dict[str, set[str]] = defaultdict(set)
    for story, cluster in zip(truth, predicted):
        stories[cluster].add(story)
    return stories


def mixed_examples(texts: Sequence[str], truth: Sequence[str], predicted: Sequence[str],
                   top: int = 3) -> list[str]:
    """The ``top`` mixed clusters with the most stories: size, story count, the highest word 5-gram Jaccard between
    two articles of different stories, and the line most stories share.

    >>> mixed_examples(["x\\nSubscribe now", "y\\nSubscribe now"], ["s1", "s2"], ["c", "c"])
    ['2 articles of 2 stories; max cross-story Jaccard 0.00; line in 2 of the stories: "Subscribe now"']
    """
    members: dict[str, list[int]] = defaultdict(list)
    for i, cluster in enumerate(predicted):
        members[cluster].append(i)
    mixed = [(len({truth[i] for i in m}), len(m), c) for c, m in members.items() if len({truth[i] for i in m}) > 1]
    lines = []
    for n_stories, size, cluster in sorted(mixed, key=lambda t: (-t[0], -t[1], t[2]))[:top]:
        texts_in, stories_in = [texts[i] for i in members[cluster]], [truth[i] for i in members[cluster]]
        line, count = shared_line(texts_in, stories_in)
        glue = f'line in {count} of the stories: "{line[:90]}"' if count > 1 else "no line shared across stories"
        jaccard = max_cross_jaccard(texts_in, stories_in)
        lines.append(f"{size} articles of {n_stories} stories; max cross-story Jaccard {jaccard:.2f}; {glue}")
    return lines


def shared_line(texts: Sequence[str], stories: Sequence[str]) -> tuple[str, int]:
    """The non-blank line (whitespace-collapsed) found in the most distinct stories, and in how many."""
    seen: dict[str, set[str]] = defaultdict(set)
    for text, story in zip(texts, stories):
        for line in {" ".join(raw.split()) for raw in text.splitlines()} - {""}:
            seen[line].add(story)
    if not seen:
        return "", 0
    line = min(seen, key=lambda key: (-len(seen[key]), key))
    return line, len(seen[line])


def max_cross_jaccard(texts: Sequence[str], stories: Sequence[str], limit: int = MAX_PAIRS_MEMBERS) -> float:
    """Highest word 5-gram Jaccard between two of the first ``limit`` texts that belong to different stories."""
    sets = [set(shingle_strings(simple_words(t))) for t in texts[:limit]]
    best = 0.0
    for i, j in combinations(range(len(sets)), 2):
        if stories[i] != stories[j] and sets[i] | sets[j]:
            best = max(best, len(sets[i] & sets[j]) / len(sets[i] | sets[j]))
    return best
