"""Scorer output: metrics -> the markdown table that ``dedup eval`` and benchmarks/quality.py print.

    >>> print(format_table({"pairwise_f1": 0.5}))
    | metric | value |
    | --- | ---: |
    | pairwise_f1 | 0.5000 |
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence


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
