"""Score a ``dedup run`` output folder against a gold file (used by ``dedup eval`` and benchmarks/quality.py).

The gold file is JSON Lines with ``occurrence``, ``lines``, ``story`` and ``hard_negative`` records (format:
benchmarks/README.md); partial gold is fine, unlabelled lines and occurrences are simply not scored. The scorer
reads only ``occurrences.jsonl``, ``blocks.jsonl`` and ``corpus.jsonl`` of the output folder.

Metrics: ``segmentation`` (share of gold occurrences matched one-to-one by a predicted occurrence in the same
file/record with line IoU >= 0.9), pairwise precision/recall/F1 and the adjusted Rand index over gold occurrences
(an unmatched gold occurrence counts as a predicted singleton), ``hard_negatives_merged``, line-level boilerplate
precision/recall/F1, ``content_retention`` and counts.

Output paths are matched to gold paths in three steps: (1) equal after ``os.path.normpath``; (2) equal as absolute
paths, gold paths taken relative to the gold file's folder and output paths relative to the current directory;
(3) the gold path with the longest common suffix of path components (at least the file name); a tie is ambiguous
and the output path stays unmatched.

    >>> metrics = score(Path("out"), load_gold(Path("truth.jsonl")))
    >>> print(format_table(metrics))
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from .gold import Gold, GoldError, GoldLines, GoldOccurrence, load_gold
from .metrics import (adjusted_rand_index, comb2, corpus_paragraphs, iou, normalise_paragraph, pair_counts,
                      paragraph_retained, prf)
from .output import Output, OutputError, PredBlock, PredOccurrence, load_output
from .paths import PathMatcher, common_suffix
from .scorer import METRIC_ORDER, Prepared, cluster_metrics, effective_cluster, prepare, score, sweep

__all__ = ["METRIC_ORDER", "Gold", "GoldError", "GoldLines", "GoldOccurrence", "Output", "OutputError", "PathMatcher",
           "PredBlock", "PredOccurrence", "Prepared", "adjusted_rand_index", "cluster_metrics", "comb2",
           "common_suffix", "corpus_paragraphs", "effective_cluster", "format_table", "format_value", "iou",
           "load_gold", "load_output", "normalise_paragraph", "pair_counts", "paragraph_retained", "prepare", "prf",
           "score", "sweep"]


def format_value(value: object) -> str:
    """Ints as is, floats with 4 decimals, NaN as n/a."""
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def format_table(metrics: Mapping[str, float | int] | Sequence[Mapping[str, float | int]]) -> str:
    """A markdown table: one metric per row for a dict, one row per entry for a list (e.g. ``sweep`` rows).

    >>> print(format_table({"pairwise_f1": 0.5, "gold_occurrences": 4}))
    | metric | value |
    """
    if isinstance(metrics, Mapping):
        rows = [f"| {name} | {format_value(value)} |" for name, value in metrics.items()]
        return "\n".join(["| metric | value |", "| --- | ---: |", *rows])
    if not metrics:
        return ""
    columns = list(metrics[0])
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---:" for _ in columns) + " |"]
    lines += ["| " + " | ".join(format_value(row.get(c, "")) for c in columns) + " |" for row in metrics]
    return "\n".join(lines)
