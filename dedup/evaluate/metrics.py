"""Scorer metrics: line-range IoU, exact pair counts and the adjusted Rand index, precision/recall/F1, and
paragraph retention matching (rapidfuzz ``fuzz.ratio``).

Plain functions over line ranges, labels and counts, used by ``scorer``.

    >>> adjusted_rand_index(["a", "a", "b"], ["x", "x", "y"])
    1.0
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Sequence

from rapidfuzz import fuzz, process

FUZZ_MATCH = 90.0
WHOLE_RECORD = (0, 0)


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Intersection over union of two inclusive line ranges (``WHOLE_RECORD`` matches anything fully)."""
    if a == WHOLE_RECORD or b == WHOLE_RECORD:
        return 1.0
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]) + 1)
    union = (a[1] - a[0] + 1) + (b[1] - b[0] + 1) - inter
    return inter / union


def comb2(n: int) -> int:
    """n choose 2."""
    return n * (n - 1) // 2


def pair_counts(labels_true: Sequence[str], labels_pred: Sequence[str]) -> tuple[int, int, int, int]:
    """(pairs together in both, together in truth, together in prediction, all pairs), exact integers."""
    table = Counter(zip(labels_true, labels_pred))
    both = sum(comb2(n) for n in table.values())
    true_pairs = sum(comb2(n) for n in Counter(labels_true).values())
    pred_pairs = sum(comb2(n) for n in Counter(labels_pred).values())
    return both, true_pairs, pred_pairs, comb2(len(labels_true))


def adjusted_rand_index(labels_true: Sequence[str], labels_pred: Sequence[str]) -> float:
    """Hubert-Arabie ARI from exact pair counts; 1.0 when both partitions are trivial (all one / all singletons).

    >>> adjusted_rand_index(["a", "a", "b"], ["x", "x", "y"])
    1.0
    """
    both, true_pairs, pred_pairs, total = pair_counts(labels_true, labels_pred)
    if total == 0:
        return 1.0
    expected = Fraction(true_pairs * pred_pairs, total)
    maximum = Fraction(true_pairs + pred_pairs, 2)
    if maximum == expected:
        return 1.0
    return float((both - expected) / (maximum - expected))


def prf(tp: int, predicted: int, actual: int) -> tuple[float, float, float]:
    """Precision, recall, F1; an empty denominator gives 1.0 when the other side is empty too, else 0.0."""
    precision = tp / predicted if predicted else (1.0 if actual == 0 else 0.0)
    recall = tp / actual if actual else (1.0 if predicted == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def normalise_paragraph(text: str) -> str:
    """Case-folded, whitespace-collapsed paragraph for retention matching."""
    return " ".join(text.casefold().split())


def corpus_paragraphs(text: str) -> list[str]:
    """Candidate paragraphs of a corpus text: blank-line-separated blocks and single lines, normalised."""
    blocks = [normalise_paragraph(b) for b in text.replace("\r\n", "\n").split("\n\n")]
    lines = [normalise_paragraph(line) for line in text.splitlines()]
    return sorted({p for p in blocks + lines if p})


def paragraph_retained(paragraph: str, exact: set[str], candidates: Sequence[str]) -> bool:
    """True when the paragraph is in the corpus text exactly or with fuzz.ratio >= 90 (after normalising)."""
    wanted = normalise_paragraph(paragraph)
    if not wanted or wanted in exact:
        return True
    return process.extractOne(wanted, candidates, scorer=fuzz.ratio, score_cutoff=FUZZ_MATCH) is not None
