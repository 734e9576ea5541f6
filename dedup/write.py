"""Stage 9, write: output records -> files in DIR, written atomically.

Every file is first written into a staging folder inside DIR, flushed and fsynced, then moved into place with
``os.replace``; ``summary.json`` goes last and lists the SHA-256 of every other file, so a reader can check that
the set belongs together. Output file names are fixed; nothing derived from input content names a file.

    >>> write_outputs(Path("reports"), {"corpus.jsonl": rows}, summary)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable

STAGING_PREFIX = ".dedup-staging-"


class OutputError(OSError):
    """DIR cannot be used for output; the message says why and what to do."""


def check_out_dir(out: Path) -> None:
    """Refuse a DIR that is a symlink or an existing non-folder."""
    if out.is_symlink():
        raise OutputError(f"{out}: output folder is a symbolic link; give a real folder path")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; give a folder path for the outputs")


def dumps(record: Any) -> str:
    """One canonical JSON line: sorted keys, no ASCII escaping, stable separators."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _write_file(path: Path, chunks: Iterable[str]) -> str:
    """Write text chunks, fsync, return the SHA-256 of the bytes written."""
    digest = hashlib.sha256()
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for chunk in chunks:
            fh.write(chunk)
            digest.update(chunk.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
    return digest.hexdigest()


def write_outputs(out: Path, jsonl: dict[str, list[dict[str, Any]]], summary: dict[str, Any],
                  extra: dict[str, str] | None = None) -> None:
    """Write JSONL files, extra text files and summary.json (last, with file hashes) into ``out``."""
    check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        hashes = {}
        for name, rows in jsonl.items():
            hashes[name] = _write_file(staging / name, (dumps(r) + "\n" for r in rows))
        for name, text in (extra or {}).items():
            hashes[name] = _write_file(staging / name, [text])
        summary = dict(summary, files=hashes)
        _write_file(staging / "summary.json", [json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=2)
                                               + "\n"])
        for name in [*hashes, "summary.json"]:
            os.replace(staging / name, out / name)
        _fsync_dir(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    """Make the renames durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
