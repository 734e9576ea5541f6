"""Stage 1, ingest: input paths -> ``Page`` records (decoded text split into lines).

Folders are recursed; all files are read in sorted path order, so the order inputs are listed in never changes
the result. Lines are counted as Python iterates a file in text mode (universal newlines: ``\\n``, ``\\r\\n`` and
``\\r`` end a line; ``\\x0b``, ``\\x0c``, ``\\x85`` and ``\\u2028`` do not). Anything that cannot be read is
recorded as ``Skipped`` with the file, line and reason; nothing is dropped silently.

    >>> corpus = read_inputs([Path("seeds")], IngestConfig())
    >>> len(corpus.pages)
    5
"""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path
from typing import Iterable, Iterator

from .config import IngestConfig
from .records import Corpus, Page, Skipped

BINARY_SNIFF_BYTES = 8192


class InputError(ValueError):
    """An input path given by the user does not exist or cannot be listed."""


def discover(inputs: Iterable[Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Expand folders (recursively, known suffixes only) and return unique files in sorted path order."""
    found: set[str] = set()
    for item in inputs:
        if item.is_dir():
            found.update(_walk(item, suffixes))
        elif item.is_file():
            found.add(item.as_posix())
        elif item.is_symlink():
            found.add(item.as_posix())  # broken link: read_inputs records why it is skipped
        else:
            raise InputError(f"{item}: no such file or folder; give .txt/.jsonl files or folders that hold them")
    return [Path(p) for p in sorted(found)]


def _walk(folder: Path, suffixes: tuple[str, ...]) -> Iterator[str]:
    """All files below ``folder`` with a known suffix, as posix strings; hidden folders are skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.lower().endswith(suffixes) and not name.startswith("."):
                yield (Path(root) / name).as_posix()


def read_inputs(inputs: Iterable[Path], config: IngestConfig) -> Corpus:
    """Read every input file into pages; unreadable parts go to ``corpus.skipped``."""
    corpus = Corpus()
    for path in discover(inputs, config.suffixes):
        corpus.files.append(path.as_posix())
        _read_file(path, config, corpus)
    return corpus


def _read_file(path: Path, config: IngestConfig, corpus: Corpus) -> None:
    """Decode one file and append its pages (or a skip record) to the corpus."""
    where = path.as_posix()
    try:
        data = path.read_bytes()
    except OSError as err:
        corpus.skipped.append(Skipped(where, None, f"cannot read file: {err.strerror or err}"))
        return
    decoded = decode_bytes(data)
    if isinstance(decoded, Skipped):
        corpus.skipped.append(Skipped(where, None, decoded.reason))
        return
    text, encoding = decoded
    corpus.encodings[where] = encoding
    if path.suffix.lower() == ".jsonl":
        _read_jsonl(where, text, encoding, config, corpus)
    else:
        _add_page(corpus, where, None, split_lines(text), encoding)


def decode_bytes(data: bytes) -> tuple[str, str] | Skipped:
    """Decode file bytes: BOM-marked UTF-8/16/32, then strict UTF-8, then cp1252, then latin-1."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as err:
                return Skipped("", None, f"starts with a {codec} byte-order mark but is not valid {codec}: {err}")
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return Skipped("", None, "binary file (NUL byte in the first 8 KB); convert it to text to include it")
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def split_lines(text: str) -> tuple[str, ...]:
    """Split like Python's text-mode file iteration (universal newlines), without the line ends."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(lines)


def _read_jsonl(where: str, text: str, encoding: str, config: IngestConfig, corpus: Corpus) -> None:
    """One page per JSONL record; malformed records are skipped with file, line and reason."""
    for number, line in enumerate(split_lines(text), start=1):
        if not line.strip():
            continue
        result = parse_record(line, config)
        if isinstance(result, str):
            corpus.skipped.append(Skipped(where, number, result))
            continue
        body, title, record_id = result
        _add_page(corpus, where, number, split_lines(body), encoding, title, record_id)


def parse_record(line: str, config: IngestConfig) -> tuple[str, str | None, str | None] | str:
    """Return (text, title, id) of one JSONL line, or the reason it cannot be used."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return f"not valid JSON ({err.msg} at column {err.colno}); each line must be one JSON object"
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object; each line must be one JSON object"
    body = _first(record, config.text_keys)
    if body is None:
        return (f"no text key: looked for {list(config.text_keys)}, the record has {sorted(record)[:20]}; "
                "set ingest.text_keys to the key that holds the article text")
    if not isinstance(body, str):
        return f"text key holds a {type(body).__name__}, not a string"
    title = _first(record, config.title_keys)
    record_id = _first(record, config.id_keys)
    title = title.strip() if isinstance(title, str) and title.strip() else None
    record_id = str(record_id) if isinstance(record_id, (str, int)) and not isinstance(record_id, bool) else None
    return body, title, record_id


def _first(record: dict, keys: tuple[str, ...]) -> object:
    """The value of the first key present."""
    for key in keys:
        if key in record:
            return record[key]
    return None


def _add_page(corpus: Corpus, where: str, record: int | None, lines: tuple[str, ...], encoding: str,
              title: str | None = None, record_id: str | None = None) -> None:
    """Append a page, or a skip record when it has no text at all."""
    if not any(line.strip() for line in lines):
        corpus.skipped.append(Skipped(where, record, "empty: no non-blank line"))
        return
    corpus.pages.append(Page(len(corpus.pages), where, record, lines, encoding, title, record_id))
