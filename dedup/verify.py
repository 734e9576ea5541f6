"""Stage 5, verify: the only place that decides whether two articles are copies, and how similar they are.

Candidates from LSH are approximate; every pair is scored here exactly on the articles' cleaned content:
shingle Jaccard, containment of the smaller in the larger (so a teaser or truncated copy joins its full story),
and, in the grey zone, rapidfuzz's edit-based ratio on the word sequences (word edits break many shingles).

    >>> verify(a, b, ClusterConfig()).match
    'near'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from .config import ClusterConfig

GREY_ZONE = 0.3
SHORT_SHINGLE_MARGIN = 0.1
FUZZY_LENGTH_RATIO = 0.7


@dataclass(frozen=True, slots=True)
class Content:
    """An article's cleaned content: its words joined by single spaces, the text's hash, the sorted unique
    shingle hashes and the word count. Words are not kept as a list (about ten times the text in memory);
    ``words`` splits the text again, which gives them back exactly (tokens hold no spaces)."""

    text: str
    digest: str
    shingles: np.ndarray
    paragraphs: int = 1
    length: int = 0

    @property
    def words(self) -> tuple[str, ...]:
        """The words of the content."""
        return tuple(self.text.split(" ")) if self.text else ()

    @property
    def size(self) -> int:
        """Number of distinct shingles."""
        return int(self.shingles.size)


@dataclass(frozen=True, slots=True)
class Verdict:
    """``match`` is "exact", "near" or None; ``similarity`` is the score that decided it (0..1)."""

    match: str | None
    similarity: float
    jaccard: float
    containment: float


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact (Jaccard, containment of the smaller set) of two sorted unique hash arrays."""
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter), inter / min(a.size, b.size)


def verify(a: Content, b: Content, config: ClusterConfig) -> Verdict:
    """Decide whether two contents are copies: exact, near, or not."""
    if a.length and a.digest == b.digest:
        return Verdict("exact", 1.0, 1.0, 1.0)
    jaccard, containment = overlap(a.shingles, b.shingles)
    if min(a.size, b.size) >= config.min_shingles and containment >= config.near_threshold:
        return Verdict("near", round(containment, 6), jaccard, containment)
    fuzzy = _fuzzy(a, b, containment)
    if fuzzy >= config.fuzzy_threshold:
        return Verdict("near", round(fuzzy, 6), jaccard, containment)
    short = _short_containment(a, b, containment)
    if short >= config.near_threshold + SHORT_SHINGLE_MARGIN:
        return Verdict("near", round(short - SHORT_SHINGLE_MARGIN, 6), jaccard, containment)
    return Verdict(None, round(max(containment, fuzzy), 6), jaccard, containment)


def _short_containment(a: Content, b: Content, containment: float) -> float:
    """Containment on word 3-grams for grey-zone pairs: scattered word edits break fewer short shingles."""
    if containment < GREY_ZONE or min(a.length, b.length) < 20:
        return 0.0
    words_a, words_b = a.words, b.words
    grams_a = {words_a[i:i + 3] for i in range(len(words_a) - 2)}
    grams_b = {words_b[i:i + 3] for i in range(len(words_b) - 2)}
    return len(grams_a & grams_b) / min(len(grams_a), len(grams_b))


def _fuzzy(a: Content, b: Content, containment: float) -> float:
    """Edit-based similarity of similar-length texts in the grey zone, else 0."""
    if not a.text or not b.text:
        return 0.0
    short, long_ = sorted((len(a.text), len(b.text)))
    if short < FUZZY_LENGTH_RATIO * long_:
        return 0.0
    if containment < GREY_ZONE and min(a.size, b.size) >= 8:
        return 0.0
    return fuzz.ratio(a.text, b.text) / 100.0
