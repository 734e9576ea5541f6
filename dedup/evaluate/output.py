"""Scorer input: a run's output folder -> ``Output`` (predicted occurrences, blocks, corpus texts).

Reads only occurrences.jsonl (required), blocks.jsonl and corpus.jsonl (optional: their metrics become n/a);
a missing or malformed file raises ``OutputError`` naming ``file:line``.

    >>> output = load_output(Path("out"))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .gold import _json_lines, _record, _span, _text

REMOVED_LABELS = frozenset({"boilerplate", "template", "duplicate-title"})


class OutputError(ValueError):
    """A missing or malformed run output file; the message names the file and line."""


@dataclass(frozen=True)
class PredOccurrence:
    """One predicted occurrence from ``occurrences.jsonl`` (no line numbers: the whole record)."""

    occurrence_id: str
    path: str
    record: int | None
    start_line: int | None
    end_line: int | None
    cluster_id: str
    canonical: bool
    similarity: float | None


@dataclass(frozen=True)
class PredBlock:
    """One block from ``blocks.jsonl``; ``removed`` when its label is boilerplate, template or duplicate-title."""

    path: str
    record: int | None
    start_line: int
    end_line: int
    removed: bool


@dataclass
class Output:
    """What the scorer reads from a run's output folder; ``blocks``/``corpus`` are None when the file is absent."""

    occurrences: list[PredOccurrence]
    blocks: list[PredBlock] | None
    corpus: dict[str, str] | None


def load_output(out_dir: Path) -> Output:
    """Read ``occurrences.jsonl`` (required), ``blocks.jsonl`` and ``corpus.jsonl`` (optional) of a run."""
    out_dir = Path(out_dir)
    occurrences_path = out_dir / "occurrences.jsonl"
    if not occurrences_path.is_file():
        raise OutputError(f"{occurrences_path}: not found; is {out_dir} the --out folder of a `dedup run`?")
    occurrences = [_pred_occurrence(r, f"{occurrences_path}:{n}") for n, r in _json_lines(occurrences_path,
                                                                                          OutputError)]
    blocks_path = out_dir / "blocks.jsonl"
    blocks = None
    if blocks_path.is_file():
        blocks = [_pred_block(r, f"{blocks_path}:{n}") for n, r in _json_lines(blocks_path, OutputError)]
    corpus_path = out_dir / "corpus.jsonl"
    corpus = None
    if corpus_path.is_file():
        corpus = {}
        for number, record in _json_lines(corpus_path, OutputError):
            cluster = record.get("cluster_id")
            text = record.get("text")
            if cluster is None or not isinstance(text, str):
                raise OutputError(f"{corpus_path}:{number}: needs 'cluster_id' and a string 'text'")
            title = record.get("title")
            # the record's title is part of what the corpus keeps (a heading can become the title)
            corpus.setdefault(str(cluster), f"{title}\n\n{text}" if isinstance(title, str) and title else text)
    return Output(occurrences, blocks, corpus)


def _pred_occurrence(record: dict, where: str) -> PredOccurrence:
    """One ``occurrences.jsonl`` line."""
    start, end = record.get("start_line"), record.get("end_line")
    if start is None or end is None:
        start = end = None
    else:
        start, end = _span(record, where, OutputError)
    similarity = record.get("similarity")
    if similarity is not None and (isinstance(similarity, bool) or not isinstance(similarity, (int, float))):
        raise OutputError(f"{where}: 'similarity' must be a number or null, got {similarity!r}")
    return PredOccurrence(
        occurrence_id=str(record.get("occurrence_id", where)), path=_text(record, "path", where, OutputError),
        record=_record(record, where, OutputError), start_line=start, end_line=end,
        cluster_id=_text(record, "cluster_id", where, OutputError), canonical=record.get("canonical") is True,
        similarity=None if similarity is None else float(similarity))


def _pred_block(record: dict, where: str) -> PredBlock:
    """One ``blocks.jsonl`` line."""
    start, end = _span(record, where, OutputError)
    label = _text(record, "label", where, OutputError)
    return PredBlock(_text(record, "path", where, OutputError), _record(record, where, OutputError), start, end,
                     label in REMOVED_LABELS)
