"""Reading JSON Lines and hashing files: shared by the scorer, the report and the benchmarks.

    >>> parse_object('{"a": 1}', "x.jsonl:1", ValueError)
    {'a': 1}
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterator


def parse_object(line: str, where: str, error: type[ValueError], hint: str = "") -> dict:
    """One JSON object from one line, or ``error`` naming ``where`` (file:line) and what is wrong."""
    tail = f"; {hint}" if hint else ""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise error(f"{where}: not valid JSON ({err.msg} at column {err.colno}){tail}") from None
    if not isinstance(record, dict):
        raise error(f"{where}: expected a JSON object, got {type(record).__name__}{tail}")
    return record


def json_objects(path: Path, error: type[ValueError], hint: str = "") -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of a JSONL file."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, parse_object(line, f"{path}:{number}", error, hint)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
