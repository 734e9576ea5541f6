"""Scorer path matching: output paths -> gold paths (normpath, then absolute, then the longest unique suffix).

Used by ``scorer.prepare``, so a run started from another folder still lines up with the gold file.

    >>> PathMatcher(["x/a.txt", "y/b.txt"], Path(".")).match("/data/y/b.txt")
    'y/b.txt'
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Sequence


def _norm(path: str) -> str:
    """``os.path.normpath`` with forward slashes."""
    return os.path.normpath(path).replace("\\", "/")


class PathMatcher:
    """Maps output paths to gold paths: normpath equality, absolute equality, then longest unique suffix."""

    def __init__(self, gold_paths: Sequence[str], base_dir: Path) -> None:
        self._exact = {_norm(p): p for p in gold_paths}
        self._absolute = {_norm(os.path.join(base_dir, p)): p for p in gold_paths}
        self._by_name: dict[str, list[str]] = defaultdict(list)
        for gold in sorted(gold_paths):
            self._by_name[_norm(gold).rsplit("/", 1)[-1]].append(gold)
        self._cache: dict[str, str | None] = {}

    def match(self, path: str) -> str | None:
        """The gold path ``path`` refers to, or None when there is none or the suffix match is a tie."""
        if path not in self._cache:
            self._cache[path] = self._match(path)
        return self._cache[path]

    def _match(self, path: str) -> str | None:
        normal = _norm(path)
        if normal in self._exact:
            return self._exact[normal]
        absolute = _norm(os.path.abspath(path))
        if absolute in self._absolute:
            return self._absolute[absolute]
        parts = normal.split("/")
        scored = sorted(((common_suffix(parts, _norm(g).split("/")), g) for g in self._by_name.get(parts[-1], [])),
                        reverse=True)
        if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
            return None
        return scored[0][1]


def common_suffix(a: Sequence[str], b: Sequence[str]) -> int:
    """Number of equal trailing components of two split paths."""
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count
