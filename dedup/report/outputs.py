"""Report input: the output files of a run -> their checked rows (``Outputs``), or ``ReportError``.

The first step of ``build_report``. Reads summary.json, corpus.jsonl, occurrences.jsonl, blocks.jsonl,
groups.jsonl (and templates.jsonl when present), checks their SHA-256 against summary.json, the fields the report
relies on and the ids they share; errors name the file and line and say how to get a complete set. Also holds the
small readers of optional fields that the other report modules use.

    >>> load_outputs(Path("reports")).summary["counts"]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..jsonio import parse_object, sha256_file

REPORT_NAME = "report.html"
REQUIRED_FILES = ("summary.json", "corpus.jsonl", "occurrences.jsonl", "blocks.jsonl", "groups.jsonl")
TEMPLATES_FILE = "templates.jsonl"
RUN_HINT = "rerun `dedup run INPUTS --out DIR` to write a complete set"

# Fields each output row must carry (others are optional and read defensively).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "corpus.jsonl": ("cluster_id",),
    "occurrences.jsonl": ("occurrence_id", "path", "start_line", "end_line", "cluster_id"),
    "blocks.jsonl": ("path", "start_line", "end_line", "label"),
    "groups.jsonl": ("group_id",),
    TEMPLATES_FILE: ("template_id",),
}


class ReportError(ValueError):
    """The output folder cannot be turned into a report; the message names the file (and line) and the fix."""


@dataclass
class Outputs:
    """The rows of every output file of one run."""

    out_dir: Path
    summary: dict[str, Any]
    corpus: list[dict[str, Any]]
    occurrences: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    templates: list[dict[str, Any]] | None


def load_outputs(out_dir: Path) -> Outputs:
    """Read and check every output file; raise ``ReportError`` naming the first bad file and line."""
    if not out_dir.is_dir():
        raise ReportError(f"{out_dir}: no such output folder; {RUN_HINT}")
    for name in REQUIRED_FILES:
        if not (out_dir / name).is_file():
            raise ReportError(f"{out_dir / name}: missing; the report needs {', '.join(REQUIRED_FILES)}; {RUN_HINT}")
    summary = _read_summary(out_dir / "summary.json")
    _check_hashes(out_dir, summary)
    templates_path = out_dir / TEMPLATES_FILE
    outputs = Outputs(out_dir, summary, *(read_rows(out_dir / name) for name in REQUIRED_FILES[1:]),
                      read_rows(templates_path) if templates_path.is_file() else None)
    _check_references(outputs)
    return outputs


def _read_summary(path: Path) -> dict[str, Any]:
    """summary.json as a mapping."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise ReportError(f"{path}: cannot read: {err}; {RUN_HINT}") from err
    except json.JSONDecodeError as err:
        raise ReportError(f"{path}:{err.lineno}: not valid JSON ({err.msg}); {RUN_HINT}") from err
    if not isinstance(summary, dict):
        raise ReportError(f"{path}: must hold one JSON object, found a {type(summary).__name__}; {RUN_HINT}")
    return summary


def _check_hashes(out_dir: Path, summary: dict[str, Any]) -> None:
    """Every file summary.json lists must still have the SHA-256 recorded there (one run's set)."""
    files = summary.get("files")
    if not isinstance(files, dict):
        return
    for name, expected in sorted(files.items()):
        path = out_dir / str(name)
        if name == REPORT_NAME or not isinstance(expected, str) or not path.is_file():
            continue
        if sha256_file(path) != expected:
            raise ReportError(f"{path}: its SHA-256 differs from the one in {out_dir / 'summary.json'}: the files "
                              f"come from different runs or were edited; {RUN_HINT}")


PARSE_CHARS = 1 << 22  # lines of about this many characters are parsed by one json.loads call


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of one output JSONL file, checked for the fields the report relies on.

    Lines are parsed a few MB at a time as one JSON array (one call instead of one per line: a third faster); where
    such a piece does not give one good row per line, its lines are parsed one by one, and the first bad line is
    named. (A line split across two lines would pass only together with another holding two objects: a change
    that the SHA-256 check against summary.json catches before.)"""
    required = REQUIRED_FIELDS.get(path.name, ())
    rows: list[dict[str, Any]] = []
    number = 0
    try:
        with open(path, encoding="utf-8") as fh:
            while lines := fh.readlines(PARSE_CHARS):
                rows.extend(_parse_lines(path, number, lines, required))
                number += len(lines)
    except UnicodeDecodeError as err:
        raise ReportError(f"{path}: not UTF-8 ({err.reason}); {RUN_HINT}") from err
    except OSError as err:
        raise ReportError(f"{path}: cannot read: {err.strerror or err}") from err
    return rows


def _parse_lines(path: Path, before: int, lines: list[str], required: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of ``lines`` (lines ``before`` + 1 ... of ``path``): parsed as one array when every line holds
    one good row, else one by one (blank lines skipped, a bad one named by ``_parse_row``)."""
    try:
        rows = json.loads("[" + ",".join(lines) + "]")
    except ValueError:  # a blank or bad line
        rows = None
    if (rows is not None and len(rows) == len(lines)
            and all(type(row) is dict and _row_problem(row, required) is None for row in rows)):
        return rows  # type: ignore[no-any-return]
    return [_parse_row(path, before + offset, line, required)
            for offset, line in enumerate(lines, start=1) if line.strip()]


def _row_problem(row: dict[str, Any], required: tuple[str, ...]) -> str | None:
    """What is wrong with a parsed row (without its file and line), or None: a required field is missing, the line
    numbers are not 1 <= start <= end, or ``path`` is not a string. The message is made only for a bad row."""
    for key in required:
        if row.get(key) is None:
            return f"field {key!r} is missing; {RUN_HINT}"
    start, end = row.get("start_line", 1), row.get("end_line", 1)
    if not (type(start) is int and type(end) is int and 1 <= start <= end):
        return (f"start_line {start!r} and end_line {end!r} must be line numbers (1 or more, start <= end); "
                f"{RUN_HINT}")
    if "path" in required and not isinstance(row["path"], str):
        return f"field 'path' must be a string, got {row['path']!r}"
    return None


def _parse_row(path: Path, number: int, line: str, required: tuple[str, ...]) -> dict[str, Any]:
    """One row, or ``ReportError`` naming file, line and what is wrong."""
    row = parse_object(line, f"{path}:{number}", ReportError, RUN_HINT)
    problem = _row_problem(row, required)
    if problem is not None:
        raise ReportError(f"{path}:{number}: {problem}")
    return row


def _is_int(value: Any) -> bool:
    """A real int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_references(outputs: Outputs) -> None:
    """Occurrences name known stories and blocks name known occurrences."""
    clusters = {row["cluster_id"] for row in outputs.corpus}
    for number, row in enumerate(outputs.occurrences, start=1):
        if row["cluster_id"] not in clusters:
            raise ReportError(f"{outputs.out_dir / 'occurrences.jsonl'}:{number}: cluster_id {row['cluster_id']!r} "
                              f"is not in corpus.jsonl; {RUN_HINT}")
    occurrences = {row["occurrence_id"] for row in outputs.occurrences}
    for number, row in enumerate(outputs.blocks, start=1):
        occ = row.get("occurrence_id")
        if occ is not None and occ not in occurrences:
            raise ReportError(f"{outputs.out_dir / 'blocks.jsonl'}:{number}: occurrence_id {occ!r} is not in "
                              f"occurrences.jsonl; {RUN_HINT}")


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_zero(value: Any) -> int:
    return value if _is_int(value) else 0


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
