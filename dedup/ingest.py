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
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

import numpy as np

from . import formats
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
    if path.is_symlink() and not path.exists():
        corpus.skipped.append(Skipped(where, None, "broken symbolic link: its target does not exist"))
        return
    reader = formats.reader_for(path)
    if reader is not None:
        try:
            reader(path, config, corpus)
        except formats.MissingExtra as err:
            corpus.skipped.append(Skipped(where, None, str(err)))
        return
    if path.suffix.lower() == ".jsonl" and _read_jsonl_streamed(path, where, config, corpus):
        return
    try:
        data, truncated = read_capped(path, config.max_line_chars)
    except OSError as err:
        corpus.skipped.append(Skipped(where, None, f"cannot read file: {err.strerror or err}; check its permissions"))
        return
    for line, length in truncated:
        corpus.skipped.append(Skipped(where, line, f"line of {length} bytes truncated to the first "
                                                   f"{config.max_line_chars} (ingest.max_line_chars)"))
    decoded = decode_bytes(data)
    if isinstance(decoded, Skipped):
        corpus.skipped.append(Skipped(where, None, decoded.reason))
        return
    text, encoding, damaged = decoded
    corpus.encodings[where] = encoding
    if not truncated:
        corpus.digests[where] = hashlib.sha256(data).hexdigest()
    if damaged:
        corpus.skipped.append(Skipped(where, None, f"{damaged} invalid {encoding} byte sequence(s) replaced by U+FFFD"))
    if path.suffix.lower() == ".jsonl":
        _read_jsonl(where, text, encoding, config, corpus)
    else:
        _add_page(corpus, where, None, split_lines(text), encoding)


def read_capped(path: Path, cap: int) -> tuple[bytes, list[tuple[int, int]]]:
    """File bytes with every line cut to ``cap`` bytes (memory stays bounded); returns (data, [(line, length)]).

    Files that start with a UTF-16/32 byte-order mark are read whole: their line ends are not single bytes.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return fh.read(), []
        whole = _chunks_within_cap(fh, cap)
        if whole is not None:
            return b"".join(whole), []
        fh.seek(0)
        parts: list[bytes] = []
        truncated: list[tuple[int, int]] = []
        number = 0
        while True:
            line = fh.readline(cap + 1)
            if not line:
                break
            number += 1
            if len(line) > cap and not line.endswith(b"\n"):
                length = len(line) + _skip_rest_of_line(fh)
                truncated.append((number, length))
                line = line[:cap] + b"\n"
            parts.append(line)
    return b"".join(parts), truncated


SCAN_CHUNK = 8 << 20  # bytes ``_chunks_within_cap`` reads at a time


def _chunks_within_cap(fh: "BinaryIO", cap: int) -> list[bytes] | None:
    """The rest of the file in chunks when none of its lines is longer than ``cap`` bytes (its line end not
    counted), else None, as soon as a chunk shows a longer one: most files are read whole, at the speed of
    reading, their line lengths measured on the chunks' newline positions; what was read before a longer line
    is all that is held (its line is not)."""
    chunks: list[bytes] = []
    open_line = 0  # bytes of the line still open at the end of the chunks so far
    while chunk := fh.read(SCAN_CHUNK):
        ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 0x0A)
        if ends.size == 0:
            open_line += len(chunk)
        else:
            longest = max(open_line + int(ends[0]), int(np.diff(ends).max()) - 1 if ends.size > 1 else 0)
            if longest > cap:
                return None
            open_line = len(chunk) - int(ends[-1]) - 1
        if open_line > cap:
            return None
        chunks.append(chunk)
    return chunks


def _skip_rest_of_line(fh: "BinaryIO") -> int:
    """Read and drop the rest of an over-long line; return how many bytes were dropped."""
    dropped = 0
    while True:
        chunk = fh.readline(1 << 20)
        dropped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return dropped


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def decode_bytes(data: bytes) -> tuple[str, str, int] | Skipped:
    """Decode file bytes; returns (text, encoding, replaced invalid sequences) or why it cannot be read.

    Order: a byte-order mark (UTF-8/16/32); NUL bytes mean binary; strict UTF-8; UTF-8 with a few invalid
    sequences replaced when the rest is clearly UTF-8; cp1252; latin-1 (which decodes anything).
    """
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec), codec, 0
            except UnicodeDecodeError as err:
                text = data.decode(codec, errors="replace")
                return text, codec, max(1, text.count("\ufffd")) if err else 0
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return Skipped("", None, "binary file (NUL byte in the first 8 KB); convert it to text to include it")
    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    if len(_UTF8_MULTIBYTE.findall(data)) >= 4 * bad:
        return text, "utf-8", bad
    try:
        return data.decode("cp1252"), "cp1252", 0
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", 0


def universal_newlines(text: str) -> str:
    """``text`` with every line end (``\r\n``, ``\r``) as ``\n``, as Python's text-mode files read it."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def split_lines(text: str) -> tuple[str, ...]:
    """Split like Python's text-mode file iteration (universal newlines), without the line ends."""
    lines = universal_newlines(text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(lines)


STREAM_CHUNK = 8 << 20  # bytes ``utf8_pieces`` reads at a time
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class NotPlainUTF8(Exception):
    """A file ``utf8_pieces`` leaves to the whole-file read (``read_capped`` and ``decode_bytes``)."""


def utf8_pieces(path: Path, cap: int | None, digest: Any = None) -> Iterator[str]:
    """The text of a plain UTF-8 file, a piece of whole lines at a time: each piece but the last ends at a
    ``\n``, so no line, ``\r\n`` or UTF-8 sequence is cut, and ``split_lines`` of each piece, one after the
    other, are the file's lines. ``digest`` (a hashlib object) is fed the file's bytes as they are read.

    The common case, read without the file's bytes, its decoded text and its lines held whole (copies of a large
    file, each in memory the process has not used before). Anything else raises ``NotPlainUTF8``, possibly after
    some pieces: a byte-order mark or a NUL in the first 8 KB, a line longer than ``cap`` bytes (its line end not
    counted), bytes that are not UTF-8. ``decode_bytes`` decodes such a file as strict UTF-8 too; read whole, the
    others are decoded, or their lines capped, as that path does."""
    rest = b""
    with open(path, "rb") as fh:
        head = fh.read(BINARY_SNIFF_BYTES)
        if head.startswith(_BOMS) or b"\x00" in head:
            raise NotPlainUTF8(path)
        fh.seek(0)
        while chunk := fh.read(STREAM_CHUNK):
            if digest is not None:
                digest.update(chunk)
            cut = chunk.rfind(b"\n") + 1
            piece, rest = (rest + chunk[:cut], chunk[cut:]) if cut else (b"", rest + chunk)
            if cap is not None and len(rest) > cap:
                raise NotPlainUTF8(path)
            if piece:
                yield _decoded_piece(piece, cap, path)
    if rest:
        yield _decoded_piece(rest, cap, path)


def _decoded_piece(piece: bytes, cap: int | None, path: Path) -> str:
    """A piece of whole lines decoded; ``NotPlainUTF8`` for a line longer than ``cap`` or bytes not UTF-8."""
    if cap is not None:
        ends = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == 0x0A)
        if ends.size and max(int(ends[0]), int(np.diff(ends).max()) - 1 if ends.size > 1 else 0) > cap:
            raise NotPlainUTF8(path)
    try:
        return piece.decode("utf-8")
    except UnicodeDecodeError:
        raise NotPlainUTF8(path) from None


def _read_jsonl_streamed(path: Path, where: str, config: IngestConfig, corpus: Corpus) -> bool:
    """Read a JSONL file that is plain UTF-8 a piece of whole lines at a time (``utf8_pieces``); whether it was.
    The pages and records are those of the whole-file path, the lines numbered on across pieces. A file that is
    not plain UTF-8, or a read error, undoes what this file added and returns False: the whole-file path then
    decodes, truncates and records it."""
    before = (len(corpus.pages), len(corpus.skipped))
    corpus.encodings[where] = "utf-8"
    digest = hashlib.sha256()
    number = 0
    try:
        for piece in utf8_pieces(path, config.max_line_chars, digest):
            lines = split_lines(piece)
            _read_jsonl_lines(where, lines, number, "utf-8", config, corpus)
            number += len(lines)
    except (NotPlainUTF8, OSError):
        del corpus.pages[before[0]:], corpus.skipped[before[1]:]
        del corpus.encodings[where]
        return False
    corpus.digests[where] = digest.hexdigest()
    return True


def _read_jsonl(where: str, text: str, encoding: str, config: IngestConfig, corpus: Corpus) -> None:
    """One page per JSONL record; malformed records are skipped with file, line and reason."""
    _read_jsonl_lines(where, split_lines(text), 0, encoding, config, corpus)


def _read_jsonl_lines(where: str, lines: tuple[str, ...], number: int, encoding: str, config: IngestConfig,
                      corpus: Corpus) -> None:
    """The records of ``lines``, the first of them line ``number + 1`` of the file."""
    for number, line in enumerate(lines, start=number + 1):
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
