"""Stage 9, write: output records -> files in DIR, written atomically.

Every file is first written into a staging folder inside DIR, flushed and fsynced, then moved into place with
``os.replace`` under a commit journal (``.dedup-commit``): a run killed before the journal exists leaves the
previous outputs untouched; one killed after it is rolled forward by ``recover`` at the start of the next command,
so DIR always ends up with one complete set. ``summary.json`` lists the SHA-256 of every other file. Output file
names are fixed; nothing derived from input content names a file.

    >>> write_outputs(Path("reports"), {"corpus.jsonl": rows}, summary)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import tempfile
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator

from .parallel import Beside, release_free_memory

STAGING_PREFIX = ".dedup-staging-"
KILL_AT_ENV = "DEDUP_KILL_AT"  # fault injection for the crash-safety tests: kill the process at a named point


class OutputError(OSError):
    """DIR cannot be used for output; the message says why and what to do."""


def check_out_dir(out: Path) -> None:
    """Refuse a DIR that is a symlink or an existing non-folder."""
    if out.is_symlink():
        raise OutputError(f"{out}: output folder is a symbolic link; give a real folder path")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; give a folder path for the outputs")


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_C_ENCODER = (json.encoder.c_make_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",",
                                          True, False, True)
              if json.encoder.c_make_encoder is not None else None)  # what _ENCODER.encode builds on every call
WRITE_BATCH = 4096  # text chunks encoded, hashed and written at a time


def dumps(record: Any) -> str:
    """One canonical JSON line: sorted keys, no ASCII escaping, stable separators; the same text as
    ``json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``, from one C encoder made
    once instead of per call (records hold no reference cycles, so it does not look for them)."""
    if _C_ENCODER is None:
        return _ENCODER.encode(record)
    return "".join(_C_ENCODER(record, 0))


def _write_file(path: Path, chunks: Iterable[str]) -> str:
    """Write text chunks as UTF-8, fsync, return the SHA-256 of the bytes written; ``WRITE_BATCH`` chunks are
    joined and encoded at a time. A file that cannot be written (a full disk, a size limit) raises
    ``OutputError`` naming it."""
    digest = hashlib.sha256()
    try:
        with open(path, "wb") as fh:
            for batch in _batches(chunks, WRITE_BATCH):
                data = "".join(batch).encode("utf-8")
                fh.write(data)
                digest.update(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err.strerror or err}); nothing was committed, so the folder keeps "
                          "its previous outputs: free some space or give another output folder") from err
    return digest.hexdigest()


def _batches(chunks: Iterable[str], size: int) -> Iterator[list[str]]:
    """``chunks`` in lists of ``size`` (the last may be shorter)."""
    iterator = iter(chunks)
    while batch := list(islice(iterator, size)):
        yield batch


JOURNAL = ".dedup-commit"


def write_outputs(out: Path, jsonl: dict[str, Iterable[dict[str, Any]]], summary: dict[str, Any],
                  extra: Callable[[Path], None] | None = None, apart: Collection[str] = (),
                  release: bool = False) -> None:
    """Write JSONL files and summary.json (with file hashes) into ``out`` as one commit; rows given as generators
    are made as they are written. The files named in ``apart`` are written (their rows made too) by a process
    forked from this one meanwhile, where the platform has fork; the bytes are the same either way. With
    ``release``, ``jsonl`` is emptied once its files are written, so that what its generators hold (a whole
    run's results) is let go before ``extra`` runs.

    ``extra(staging)`` may add derived files (the HTML report) to the staging folder before the commit; they
    are moved in with the rest. A run killed before the journal is written leaves the previous outputs; one
    killed after it is completed by ``recover`` (called by every command that reads or writes ``out``).
    """
    check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    recover(out)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        hashes = _write_jsonl(staging, jsonl, apart)
        if release:
            jsonl.clear()
            release_free_memory()
        summary = dict(summary, files=hashes)
        _write_file(staging / "summary.json", [json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=2)
                                               + "\n"])
        if extra is not None:
            extra(staging)
        fault("staged")
        _commit(out, staging, sorted(p.name for p in staging.iterdir()))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_jsonl(staging: Path, jsonl: dict[str, Iterable[dict[str, Any]]], apart: Collection[str]
                 ) -> dict[str, str]:
    """Write each file of ``jsonl`` into ``staging``, those named in ``apart`` by a forked process while this one
    writes the rest; the SHA-256 of each, in ``jsonl``'s order."""
    def write(names: list[str]) -> dict[str, str]:
        return {name: _write_file(staging / name, (dumps(r) + "\n" for r in jsonl[name])) for name in names}

    there = [name for name in jsonl if name in apart]
    beside = Beside(write, there, workers=2 if there else 1, forked=True)
    try:
        hashes = write([name for name in jsonl if name not in apart])
    except BaseException:
        beside.cancel()
        raise
    hashes.update(beside.result())
    return {name: hashes[name] for name in jsonl}


def _commit(out: Path, staging: Path, names: list[str]) -> None:
    """Journal the file list, move every file into place, then drop the journal."""
    tmp = out / (JOURNAL + ".tmp")
    _write_file(tmp, [json.dumps({"staging": staging.name, "files": names})])
    os.replace(tmp, out / JOURNAL)
    _fsync_dir(out)
    fault("journal")
    _apply(out, staging, names)


def _apply(out: Path, staging: Path, names: list[str]) -> None:
    """Move the staged files that are still there into ``out`` and close the journal."""
    for n, name in enumerate(names, 1):
        if (staging / name).exists():
            os.replace(staging / name, out / name)
            fault(f"moved:{n}")
    _fsync_dir(out)
    (out / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(out)


def fault(point: str) -> None:
    """Kill this process with SIGKILL when ``DEDUP_KILL_AT`` names ``point`` (crash-safety tests only)."""
    if os.environ.get(KILL_AT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def consistent(out: Path) -> bool:
    """Whether every file summary.json lists is present with the SHA-256 it records (one complete set)."""
    try:
        files = json.loads((out / "summary.json").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return False
    for name, digest in files.items():
        try:
            if hashlib.sha256((out / name).read_bytes()).hexdigest() != digest:
                return False
        except OSError:
            return False
    return True


def recover(out: Path) -> bool:
    """Finish a commit that a killed run left half done; drop uncommitted staging. True if one was finished."""
    finished = False
    journal = out / JOURNAL
    if journal.exists():
        try:
            entry = json.loads(journal.read_text(encoding="utf-8"))
            staging, names = out / str(entry["staging"]), [str(n) for n in entry["files"]]
        except (ValueError, KeyError, TypeError) as err:
            raise OutputError(f"{journal}: unreadable commit journal ({err}); remove it and run again") from err
        if staging.parent != out or any("/" in n or n.startswith(".") for n in names):
            raise OutputError(f"{journal}: names outside the output folder; remove it and run again")
        _apply(out, staging, names)
        finished = True
    for stale in [*out.glob(STAGING_PREFIX + "*"), out / (JOURNAL + ".tmp")]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        elif stale.exists():
            stale.unlink()
    return finished


def _fsync_dir(path: Path) -> None:
    """Make the renames durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
