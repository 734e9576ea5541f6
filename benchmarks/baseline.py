"""Naive baseline in the ``dedup run`` output contract, to give the quality benchmark a floor.

Each ``.txt`` file is one article and each JSONL record is one article (its first to last non-blank line). Articles
are clustered by an exact hash of their normalised text (case-folded, whitespace collapsed); the first in sorted
path order is canonical. A line whose normalised text occurs in 3 or more documents (a file, or a JSONL record) is
labelled boilerplate; every non-blank line is its own block. Writes occurrences.jsonl, blocks.jsonl, corpus.jsonl
and summary.json.

    >>> run_baseline([Path("bench/input")], Path("bench/baseline"))
    >>> sorted(p.name for p in Path("bench/baseline").iterdir())[:2]
    ['blocks.jsonl', 'corpus.jsonl']
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from dedup.jsonio import parse_object

TEXT_KEYS = ("text", "content", "body")
TITLE_KEYS = ("title", "headline")
SUFFIXES = (".txt", ".jsonl")
BOILERPLATE_MIN_DOCS = 3
BULLETS = "\u2022*-\u25aa\u00b7 "


@dataclass(frozen=True)
class Document:
    """One article: a whole .txt file or one JSONL record (``record`` = its 1-based line in the file)."""

    path: str
    record: int | None
    lines: tuple[str, ...]
    title: str | None


def split_lines(text: str) -> tuple[str, ...]:
    """Lines as Python's text-mode iteration gives them (universal newlines), without line ends."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(lines)


def normalise(text: str) -> str:
    """Case-folded text with whitespace collapsed."""
    return " ".join(text.casefold().split())


def discover(inputs: Iterable[Path]) -> list[Path]:
    """Input files (folders searched recursively for .txt/.jsonl), in sorted order."""
    found: set[Path] = set()
    for item in inputs:
        if item.is_dir():
            found.update(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif item.is_file():
            found.add(item)
        else:
            raise FileNotFoundError(f"{item}: no such file or folder")
    return sorted(found, key=lambda p: p.as_posix())


def read_documents(path: Path) -> Iterator[Document]:
    """The articles of one input file; malformed JSONL lines raise ValueError naming file:line."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix.lower() != ".jsonl":
        yield Document(path.as_posix(), None, split_lines(text), None)
        return
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        record = parse_object(line, f"{path}:{number}", ValueError)
        body = next((record[k] for k in TEXT_KEYS if isinstance(record.get(k), str)), None)
        if body is None:
            raise ValueError(f"{path}:{number}: no text key (looked for {list(TEXT_KEYS)})")
        title = next((record[k] for k in TITLE_KEYS if isinstance(record.get(k), str)), None)
        yield Document(path.as_posix(), number, split_lines(body), title)


def span(document: Document) -> tuple[int, int] | None:
    """First and last non-blank line numbers, or None for an empty document."""
    numbers = [i for i, line in enumerate(document.lines, start=1) if line.strip()]
    return (numbers[0], numbers[-1]) if numbers else None


def title_of(document: Document) -> str:
    """The JSONL title, else the first non-blank line without its bullet."""
    if document.title:
        return document.title
    first = next((line for line in document.lines if line.strip()), "")
    stripped = first.strip().lstrip(BULLETS)
    if stripped[:1].isdigit() and ". " in stripped[:5]:
        stripped = stripped.split(". ", 1)[1]
    return stripped.strip()


def run_baseline(inputs: list[Path], out_dir: Path) -> dict[str, int]:
    """Write the baseline's output files for ``inputs`` into ``out_dir``; return the summary counts.

    >>> run_baseline([Path("seeds")], Path("/tmp/baseline"))["occurrences"]
    5
    """
    documents = [d for path in discover(inputs) for d in read_documents(path) if span(d)]
    support: dict[str, set[int]] = defaultdict(set)
    for index, document in enumerate(documents):
        for line in document.lines:
            if line.strip():
                support[normalise(line)].add(index)
    clusters: dict[str, list[int]] = defaultdict(list)
    for index, document in enumerate(documents):
        digest = hashlib.sha256(normalise("\n".join(document.lines)).encode("utf-8")).hexdigest()[:16]
        clusters[digest].append(index)
    cluster_of = {i: f"c-{digest}" for digest, members in clusters.items() for i in members}
    canonical = {members[0] for members in clusters.values()}
    out_dir.mkdir(parents=True, exist_ok=True)
    occurrences, blocks, corpus = [], [], []
    for index, document in enumerate(documents):
        start, end = span(document) or (1, 1)
        occurrence_id = f"o{index + 1:06d}"
        is_canonical = index in canonical
        size = len(clusters[cluster_of[index][2:]])
        occurrences.append({
            "occurrence_id": occurrence_id, "path": document.path, "start_line": start, "end_line": end,
            "record": document.record, "title": title_of(document), "cluster_id": cluster_of[index],
            "canonical": is_canonical, "similarity": 1.0, "match": "exact" if size > 1 else "unique"})
        kept: list[str] = []
        for number, line in enumerate(document.lines, start=1):
            if not line.strip():
                if kept and kept[-1] != "":
                    kept.append("")
                continue
            docs = len(support[normalise(line)])
            boilerplate = docs >= BOILERPLATE_MIN_DOCS
            blocks.append({
                "path": document.path, "record": document.record, "start_line": number, "end_line": number,
                "occurrence_id": occurrence_id, "label": "boilerplate" if boilerplate else "content",
                "kind": None, "group_id": f"g-{hashlib.sha256(normalise(line).encode()).hexdigest()[:12]}"
                if boilerplate else None, "support": docs})
            if not boilerplate:
                kept.append(line.strip())
        if is_canonical:
            members = clusters[cluster_of[index][2:]]
            corpus.append({
                "id": cluster_of[index], "title": title_of(document), "text": "\n".join(kept).strip("\n"),
                "cluster_id": cluster_of[index],
                "sources": [_source(documents[m]) for m in members]})
    _write_jsonl(out_dir / "occurrences.jsonl", occurrences)
    _write_jsonl(out_dir / "blocks.jsonl", blocks)
    _write_jsonl(out_dir / "corpus.jsonl", corpus)
    summary = {"documents": len(documents), "occurrences": len(occurrences), "clusters": len(clusters),
               "blocks": len(blocks), "boilerplate_blocks": sum(b["label"] == "boilerplate" for b in blocks)}
    (out_dir / "summary.json").write_text(json.dumps({"tool": "baseline", **summary}, indent=2) + "\n",
                                          encoding="utf-8")
    return summary


def _source(document: Document) -> dict[str, object]:
    """A provenance entry for corpus.jsonl."""
    if document.record is not None:
        return {"path": document.path, "record": document.record}
    start, end = span(document) or (1, 1)
    return {"path": document.path, "start_line": start, "end_line": end}


def _write_jsonl(path: Path, rows: Sequence[dict]) -> None:
    """One JSON object per line, UTF-8."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m benchmarks.baseline INPUT... --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline", description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        summary = run_baseline(args.inputs, args.out)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
