"""The naive datasketch way to cluster articles, as tutorials show it: the third column of benchmarks/sidebyside.py.

Each article (a ``text`` field of a JSONL record) gets a ``MinHash`` fed one ``update`` call per lower-cased word
5-gram; ``MinHashLSH`` is queried before each insert, and every candidate it returns is taken as a duplicate
(union-find, no verification, no boilerplate handling). Writes one label per record, in input order, as a JSON list.

    python -m benchmarks.naive_minhash articles.jsonl --out labels.json --threshold 0.7
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from benchmarks.speed import shingle_bytes
from dedup.jsonio import json_objects

NUM_PERM = 128
THRESHOLD = 0.7


def naive_clusters(texts: Sequence[str], threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> list[int]:
    """Union-find root per text, every LSH candidate taken as a duplicate.

    >>> naive_clusters(["a b c d e f", "a b c d e f", "x y z"], 0.7)
    [0, 0, 2]
    """
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(texts)))
    for i, text in enumerate(texts):
        m = MinHash(num_perm=num_perm, seed=1)
        for shingle in shingle_bytes(text):
            m.update(shingle)
        for key in sorted(lsh.query(m), key=int):
            parent[_root(parent, i)] = _root(parent, int(key))
        lsh.insert(str(i), m)
    return [_root(parent, i) for i in range(len(texts))]


def _root(parent: list[int], i: int) -> int:
    """Union-find root with path halving."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m benchmarks.naive_minhash JSONL --out FILE [--threshold T] [--num-perm N]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.naive_minhash", description=__doc__.split("\n\n")[0])
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--num-perm", type=int, default=NUM_PERM)
    args = parser.parse_args(argv)
    try:
        texts = [str(record["text"]) for _, record in json_objects(args.jsonl, ValueError)]
    except (OSError, ValueError, KeyError) as err:
        print(f"error: {args.jsonl}: {err!r}", file=sys.stderr)
        return 2
    args.out.write_text(json.dumps(naive_clusters(texts, args.threshold, args.num_perm)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
