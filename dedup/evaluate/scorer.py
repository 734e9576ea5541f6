"""Scorer: ``Output`` + ``Gold`` -> every metric, at the run's clustering or at other similarity thresholds.

``prepare`` matches paths and occurrences and computes what does not depend on the threshold once; ``score`` and
``sweep`` add the clustering metrics and return them in ``METRIC_ORDER``.

    >>> score(Path("out"), load_gold(Path("truth.jsonl")))["pairwise_f1"]
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .gold import Gold
from .metrics import WHOLE_RECORD, adjusted_rand_index, corpus_paragraphs, iou, pair_counts, paragraph_retained, prf
from .output import Output, PredBlock, PredOccurrence, load_output
from .paths import PathMatcher

IOU_MATCH = 0.9
Key = tuple[str, "int | None"]


@dataclass
class Prepared:
    """Everything that does not depend on the similarity threshold, computed once per (output, gold)."""

    output: Output
    gold: Gold
    matched: dict[int, int]          # gold occurrence index -> predicted occurrence index (IoU >= 0.9)
    associated: dict[int, int]       # gold occurrence index -> predicted occurrence with the largest overlap
    unmatched_paths: int
    static: dict[str, float | int]   # boilerplate, retention and count metrics


def prepare(output: Output, gold: Gold) -> Prepared:
    """Match paths and occurrences and compute the threshold-independent metrics."""
    matcher = PathMatcher(gold.paths(), gold.base_dir)
    predicted_by_key: dict[Key, list[int]] = defaultdict(list)
    unmatched_paths = 0
    for index, occ in enumerate(output.occurrences):
        gold_path = matcher.match(occ.path)
        if gold_path is None:
            unmatched_paths += 1
            continue
        predicted_by_key[(gold_path, occ.record)].append(index)
    gold_by_key: dict[Key, list[int]] = defaultdict(list)
    for index, occ in enumerate(gold.occurrences):
        gold_by_key[(occ.path, occ.record)].append(index)
    matched: dict[int, int] = {}
    associated: dict[int, int] = {}
    for key, gold_indices in gold_by_key.items():
        _match_key(gold, output, gold_indices, predicted_by_key.get(key, []), matched, associated)
    prepared = Prepared(output, gold, matched, associated, unmatched_paths, {})
    prepared.static.update(_boilerplate_metrics(output, gold, matcher))
    prepared.static.update(_retention_metrics(prepared))
    return prepared


def _match_key(gold: Gold, output: Output, gold_indices: Sequence[int], pred_indices: Sequence[int],
               matched: dict[int, int], associated: dict[int, int]) -> None:
    """Greedy one-to-one IoU matching inside one file/record, plus largest-overlap association."""
    candidates: list[tuple[float, int, int]] = []
    for g in gold_indices:
        gold_span = (gold.occurrences[g].start_line, gold.occurrences[g].end_line)
        best: tuple[float, int] | None = None
        for p in pred_indices:
            occ = output.occurrences[p]
            span = WHOLE_RECORD if occ.start_line is None else (occ.start_line, occ.end_line)
            overlap = iou(gold_span, span)
            if overlap > 0:
                candidates.append((overlap, g, p))
                if best is None or overlap > best[0]:
                    best = (overlap, p)
        if best is not None:
            associated[g] = best[1]
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    for overlap, g, p in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if overlap >= IOU_MATCH and g not in used_gold and p not in used_pred:
            matched[g] = p
            used_gold.add(g)
            used_pred.add(p)


def _boilerplate_metrics(output: Output, gold: Gold, matcher: PathMatcher) -> dict[str, float | int]:
    """Line-level boilerplate precision/recall/F1 over gold content/boilerplate lines covered by a block."""
    scored_ranges = [g for g in gold.lines if g.label != "title"]
    if output.blocks is None or not scored_ranges:
        nan = float("nan")
        return {"boilerplate_precision": nan, "boilerplate_recall": nan, "boilerplate_f1": nan,
                "boilerplate_lines_scored": 0, "boilerplate_lines_uncovered": 0}
    index: dict[Key, tuple[list[int], list[PredBlock]]] = {}
    grouped: dict[Key, list[PredBlock]] = defaultdict(list)
    for block in output.blocks:
        gold_path = matcher.match(block.path)
        if gold_path is not None:
            grouped[(gold_path, block.record)].append(block)
    for key, blocks in grouped.items():
        blocks.sort(key=lambda b: (b.start_line, b.end_line))
        index[key] = ([b.start_line for b in blocks], blocks)
    tp = fp = fn = tn = uncovered = 0
    for lines in scored_ranges:
        starts, blocks = index.get((lines.path, lines.record), ([], []))
        for number in range(lines.start_line, lines.end_line + 1):
            position = bisect_right(starts, number) - 1
            if position < 0 or blocks[position].end_line < number:
                uncovered += 1
                continue
            removed = blocks[position].removed
            if lines.label == "boilerplate":
                tp, fn = tp + removed, fn + (not removed)
            else:
                fp, tn = fp + removed, tn + (not removed)
    precision, recall, f1 = prf(tp, tp + fp, tp + fn)
    return {"boilerplate_precision": precision, "boilerplate_recall": recall, "boilerplate_f1": f1,
            "boilerplate_lines_scored": tp + fp + fn + tn, "boilerplate_lines_uncovered": uncovered}


def _retention_metrics(prepared: Prepared) -> dict[str, float | int]:
    """Mean share of each story's paragraphs found in the canonical text of its main predicted cluster."""
    gold, output = prepared.gold, prepared.output
    clusters_of: dict[str, list[str]] = defaultdict(list)
    for g, occ in enumerate(gold.occurrences):
        if g in prepared.associated:
            clusters_of[occ.cluster].append(output.occurrences[prepared.associated[g]].cluster_id)
    occurring = {occ.cluster for occ in gold.occurrences}
    stories = sorted(c for c in gold.stories if c in occurring)
    if output.corpus is None or not stories:
        return {"content_retention": float("nan"), "stories_scored": 0}
    shares: list[float] = []
    cache: dict[str, tuple[set[str], list[str]]] = {}
    for cluster in stories:
        paragraphs = gold.stories[cluster][1]
        votes = Counter(clusters_of.get(cluster, []))
        if not votes or not paragraphs:
            shares.append(0.0 if paragraphs else 1.0)
            continue
        predicted = sorted(votes.items(), key=lambda item: (-item[1], item[0]))[0][0]
        text = output.corpus.get(predicted)
        if text is None:
            shares.append(0.0)
            continue
        if predicted not in cache:
            candidates = corpus_paragraphs(text)
            cache[predicted] = (set(candidates), candidates)
        exact, candidates = cache[predicted]
        shares.append(sum(paragraph_retained(p, exact, candidates) for p in paragraphs) / len(paragraphs))
    return {"content_retention": sum(shares) / len(shares), "stories_scored": len(shares)}


def effective_cluster(occ: PredOccurrence, threshold: float | None) -> str:
    """The occurrence's cluster, or a singleton of its own when its similarity is below ``threshold``."""
    if threshold is None or occ.canonical or occ.similarity is None or occ.similarity >= threshold:
        return occ.cluster_id
    return f"\x00split:{occ.occurrence_id}:{occ.path}:{occ.record}:{occ.start_line}"


def cluster_metrics(prepared: Prepared, threshold: float | None) -> dict[str, float | int]:
    """Segmentation, pairwise P/R/F1, ARI, hard negatives merged and cluster counts at one threshold."""
    gold, output = prepared.gold, prepared.output
    clusters = [effective_cluster(occ, threshold) for occ in output.occurrences]
    labels_true = [occ.cluster for occ in gold.occurrences]
    labels_pred = [clusters[prepared.matched[g]] if g in prepared.matched else f"\x00unmatched:{g}"
                   for g in range(len(gold.occurrences))]
    both, true_pairs, pred_pairs, _ = pair_counts(labels_true, labels_pred)
    precision, recall, f1 = prf(both, pred_pairs, true_pairs)
    members: dict[str, set[str]] = defaultdict(set)
    for g, occ in enumerate(gold.occurrences):
        if g in prepared.associated:
            members[occ.cluster].add(clusters[prepared.associated[g]])
    merged = sum(1 for a, b, _ in gold.hard_negatives if members.get(a, set()) & members.get(b, set()))
    total = len(gold.occurrences)
    return {
        "segmentation": len(prepared.matched) / total if total else float("nan"),
        "pairwise_precision": precision, "pairwise_recall": recall, "pairwise_f1": f1,
        "ari": adjusted_rand_index(labels_true, labels_pred),
        "hard_negatives_merged": merged, "hard_negatives": len(gold.hard_negatives),
        "canonical_count": len(set(clusters)),
        "true_story_count": len(set(labels_true)) if labels_true else len(gold.stories),
        "gold_occurrences": total, "gold_occurrences_matched": len(prepared.matched),
        "predicted_occurrences": len(output.occurrences),
        "predicted_occurrences_unmatched_path": prepared.unmatched_paths,
        "gold_pairs": true_pairs, "predicted_pairs": pred_pairs, "true_positive_pairs": both,
    }


def score(out_dir: Path, gold: Gold, *, threshold: float | None = None) -> dict[str, float | int]:
    """All metrics for one run output folder; ``threshold`` splits off low-similarity occurrences (see ``sweep``).

    >>> m = score(Path("out"), load_gold(Path("truth.jsonl")))
    >>> round(m["pairwise_f1"], 3)
    """
    prepared = prepare(load_output(out_dir), gold)
    return _ordered({**cluster_metrics(prepared, threshold), **prepared.static})


def sweep(out_dir: Path, gold: Gold, thresholds: Sequence[float]) -> list[dict[str, float | int]]:
    """Re-score the clustering at several thresholds using only the output files.

    Approximation: an occurrence whose ``similarity`` (to its canonical) is below the threshold is split off as a
    singleton; nothing is re-clustered, so a higher threshold can only split clusters, never merge them, and
    canonicals, occurrences without a similarity, boilerplate and content retention stay as the run wrote them.

    >>> rows = sweep(Path("out"), load_gold(Path("truth.jsonl")), [0.5, 0.7, 0.9])
    >>> [round(r["pairwise_f1"], 2) for r in rows]
    """
    prepared = prepare(load_output(out_dir), gold)
    return [_ordered({"threshold": float(t), **cluster_metrics(prepared, float(t)), **prepared.static})
            for t in thresholds]


METRIC_ORDER = (
    "threshold", "segmentation", "pairwise_precision", "pairwise_recall", "pairwise_f1", "ari",
    "hard_negatives_merged", "hard_negatives", "boilerplate_precision", "boilerplate_recall", "boilerplate_f1",
    "content_retention", "canonical_count", "true_story_count", "gold_occurrences", "gold_occurrences_matched",
    "predicted_occurrences", "predicted_occurrences_unmatched_path", "gold_pairs", "predicted_pairs",
    "true_positive_pairs", "boilerplate_lines_scored", "boilerplate_lines_uncovered", "stories_scored",
)


def _ordered(metrics: dict[str, float | int]) -> dict[str, float | int]:
    """Metrics in the documented order (unknown keys last, sorted)."""
    known = [k for k in METRIC_ORDER if k in metrics]
    return {k: metrics[k] for k in known + sorted(set(metrics) - set(known))}
