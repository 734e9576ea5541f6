"""Scorer input: the gold file -> ``Gold`` (true occurrences, labelled line ranges, stories, hard negatives).

Read once per ``dedup eval`` (and per seed in benchmarks/quality.py) before ``score``; the format is in
benchmarks/README.md. A malformed line raises ``GoldError`` naming ``file:line``. The field checks here are shared
with ``output``, which reads the run's side.

    >>> gold = load_gold(Path("benchmarks/out/n150-seed1/truth.jsonl"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..jsonio import json_objects

GOLD_LINE_LABELS = frozenset({"content", "boilerplate", "title"})
GOLD_TYPES = ("occurrence", "lines", "story", "hard_negative")


class GoldError(ValueError):
    """A malformed gold file; the message names the file and line."""


@dataclass(frozen=True)
class GoldOccurrence:
    """One true article occurrence: lines ``start_line..end_line`` of a file or of one JSONL record's text."""

    path: str
    record: int | None
    start_line: int
    end_line: int
    cluster: str
    site: str | None = None
    copy: str | None = None


@dataclass(frozen=True)
class GoldLines:
    """A labelled line range: ``content``, ``boilerplate`` or ``title`` (titles are not scored)."""

    path: str
    record: int | None
    start_line: int
    end_line: int
    label: str
    kind: str | None = None


@dataclass
class Gold:
    """A parsed gold file; ``base_dir`` is the folder relative gold paths are resolved against."""

    source: Path
    base_dir: Path
    occurrences: list[GoldOccurrence] = field(default_factory=list)
    lines: list[GoldLines] = field(default_factory=list)
    stories: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    hard_negatives: list[tuple[str, str, str]] = field(default_factory=list)

    def paths(self) -> list[str]:
        """Every path named by an occurrence or lines record, sorted."""
        return sorted({o.path for o in self.occurrences} | {g.path for g in self.lines})


def load_gold(path: Path) -> Gold:
    """Parse a gold JSONL file; malformed lines raise ``GoldError`` naming ``file:line``.

    >>> gold = load_gold(Path("bench/truth.jsonl"))
    >>> len(gold.occurrences) > 0
    """
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"{path}: gold file not found")
    gold = Gold(source=path, base_dir=path.resolve().parent)
    for number, record in _json_lines(path, GoldError):
        where = f"{path}:{number}"
        kind = record.get("type")
        if kind == "occurrence":
            start, end = _span(record, where, GoldError)
            gold.occurrences.append(GoldOccurrence(
                _text(record, "path", where), _record(record, where, GoldError), start, end,
                _text(record, "cluster", where), _optional_text(record, "site"), _optional_text(record, "copy")))
        elif kind == "lines":
            start, end = _span(record, where, GoldError)
            label = _text(record, "label", where)
            if label not in GOLD_LINE_LABELS:
                raise GoldError(f"{where}: label must be one of {sorted(GOLD_LINE_LABELS)}, got {label!r}")
            gold.lines.append(GoldLines(_text(record, "path", where), _record(record, where, GoldError),
                                        start, end, label, _optional_text(record, "kind")))
        elif kind == "story":
            paragraphs = record.get("paragraphs")
            if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
                raise GoldError(f"{where}: 'paragraphs' must be a list of strings")
            gold.stories[_text(record, "cluster", where)] = (str(record.get("title") or ""), paragraphs)
        elif kind == "hard_negative":
            gold.hard_negatives.append((_text(record, "a", where), _text(record, "b", where),
                                        str(record.get("why") or "")))
        else:
            raise GoldError(f"{where}: 'type' must be one of {list(GOLD_TYPES)}, got {kind!r}")
    return gold


def _json_lines(path: Path, error: type[ValueError]) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; bad JSON raises ``error`` naming file:line."""
    return json_objects(path, error)


def _text(record: dict, key: str, where: str, error: type[ValueError] = GoldError) -> str:
    """A required non-empty string field (ints are accepted and converted)."""
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise error(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return str(value)


def _optional_text(record: dict, key: str) -> str | None:
    """An optional string field."""
    value = record.get(key)
    return None if value is None else str(value)


def _record(record: dict, where: str, error: type[ValueError]) -> int | None:
    """The ``record`` field: null for text files, a positive JSONL line number otherwise."""
    value = record.get("record")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise error(f"{where}: 'record' must be null or a positive integer, got {value!r}")
    return value


def _span(record: dict, where: str, error: type[ValueError]) -> tuple[int, int]:
    """``start_line``/``end_line`` as a valid 1-based inclusive range."""
    start, end = record.get("start_line"), record.get("end_line")
    for name, value in (("start_line", start), ("end_line", end)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise error(f"{where}: '{name}' must be a positive integer, got {value!r}")
    if end < start:
        raise error(f"{where}: end_line {end} is before start_line {start}")
    return start, end
