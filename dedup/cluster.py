"""Stage 6, cluster: verified copy pairs -> clusters of occurrences of one story, without chaining.

Edges are taken strongest first. Two clusters join only when their representatives (each cluster's most complete
member) are themselves verified copies, so an ambiguous item that resembles two different stories (a shared
quote, a templated opening) cannot chain them into one cluster.

    >>> clusters = cluster(items, edges, lambda i, j: verify(...))
"""

from __future__ import annotations

from typing import Callable, Sequence

from .verify import Verdict


class _Clusters:
    """Union-find whose roots carry the cluster representative."""

    def __init__(self, order: Sequence[int]) -> None:
        self.parent = list(range(len(order)))
        self.rank = order  # smaller rank = more complete / earlier: the representative

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        keep, drop = (ra, rb) if self.rank[ra] <= self.rank[rb] else (rb, ra)
        self.parent[drop] = keep


def cluster(n: int, rank: Sequence[int], edges: list[tuple[int, int, Verdict]],
            check: Callable[[int, int], Verdict]) -> list[int]:
    """Cluster root (the representative's index) of each of ``n`` items.

    ``rank[i]`` orders items for the representative (lower wins); ``check(i, j)`` verifies two representatives.
    """
    sets = _Clusters(rank)
    for i, j, _ in sorted(edges, key=lambda e: (-e[2].similarity, e[0], e[1])):
        ri, rj = sets.find(i), sets.find(j)
        if ri == rj:
            continue
        if {ri, rj} != {i, j} and check(ri, rj).match is None:
            continue
        sets.union(ri, rj)
    return [sets.find(i) for i in range(n)]
