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

Modules: ``gold`` and ``output`` (read the gold file and the run's output files), ``paths`` (match output paths to
gold paths), ``metrics`` (IoU, pair counts, ARI, P/R/F1, paragraph retention), ``scorer`` (``prepare``, ``score``,
``sweep``) and ``table`` (the markdown table).

    >>> metrics = score(Path("out"), load_gold(Path("truth.jsonl")))
    >>> print(format_table(metrics))
"""

from __future__ import annotations

from .gold import Gold, GoldError, GoldLines, GoldOccurrence, load_gold
from .metrics import (adjusted_rand_index, comb2, corpus_paragraphs, iou, normalise_paragraph, pair_counts,
                      paragraph_retained, prf)
from .output import Output, OutputError, PredBlock, PredOccurrence, load_output
from .paths import PathMatcher, common_suffix
from .scorer import METRIC_ORDER, Prepared, cluster_metrics, effective_cluster, prepare, score, sweep
from .table import format_table, format_value

__all__ = ["METRIC_ORDER", "Gold", "GoldError", "GoldLines", "GoldOccurrence", "Output", "OutputError", "PathMatcher",
           "PredBlock", "PredOccurrence", "Prepared", "adjusted_rand_index", "cluster_metrics", "comb2",
           "common_suffix", "corpus_paragraphs", "effective_cluster", "format_table", "format_value", "iou",
           "load_gold", "load_output", "normalise_paragraph", "pair_counts", "paragraph_retained", "prepare", "prf",
           "score", "sweep"]
