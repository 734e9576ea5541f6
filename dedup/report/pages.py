"""Report pages: ``Outputs`` -> one ``PageSource`` per input page, with its lines re-read from the inputs.

The second step of ``build_report``. Input files are decoded exactly as ingest decoded them, so line numbers
match; a page whose file is missing, unreadable or changed since the run (hash or encoding differ; for a file
whose hash the run could not record, blank lines or canonical text) keeps its block labels and gets a status and
a note instead of its lines.

    >>> pages = load_pages(load_outputs(Path("reports")), Path.cwd())
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .. import formats
from ..ingest import NotPlainUTF8, split_lines, universal_newlines, utf8_pieces
from ..records import Skipped
from .outputs import Outputs, _is_int

PageKey = tuple[str, "int | None"]


@dataclass
class PageSource:
    """One input page (a .txt file or a JSONL record) as the run saw it, re-read for the page view."""

    index: int
    path: str
    record: int | None
    blocks: list[dict[str, Any]]
    lines: tuple[str, ...] | None = None
    status: str = "ok"  # ok | missing | changed | unreadable | omitted
    note: str | None = None

    @property
    def where(self) -> str:
        """``path`` or ``path:record`` for notes."""
        return self.path if self.record is None else f"{self.path}:{self.record}"


def _page_key(row: dict[str, Any]) -> PageKey:
    """(path, record) of a row; record is None for .txt inputs."""
    record = row.get("record")
    return row["path"], record if _is_int(record) else None


def _sort_key(key: PageKey) -> tuple[str, int]:
    """Input order of pages."""
    return key[0], key[1] or 0


class LineCursor:
    """The lines of a text, as ``split_lines`` numbers them, looked up by moving forward through the text: the
    pages of a JSONL file are asked for in input order, so no list of all its lines is made (for a 300 MB file,
    that list is another 300 MB of new memory)."""

    def __init__(self, text: str) -> None:
        self.text = universal_newlines(text)
        self.number, self.start = 1, 0  # line ``number`` starts at offset ``start``

    def line(self, number: int) -> str | None:
        """Line ``number`` (1-based), or None past the last line."""
        text = self.text
        if number < self.number:
            self.number, self.start = 1, 0
        while self.number < number:
            end = text.find("\n", self.start)
            if end < 0:
                return None
            self.number, self.start = self.number + 1, end + 1
        if self.start >= len(text):  # after the last line end: split_lines has no line here
            return None
        end = text.find("\n", self.start)
        return text[self.start:end if end >= 0 else len(text)]

    def lines(self) -> tuple[str, ...]:
        """All the lines, as ``split_lines`` gives them."""
        return split_lines(self.text)


class PieceCursor:
    """``LineCursor`` over a plain UTF-8 file read again a piece of whole lines at a time (``utf8_pieces``): no
    more than a piece of its text is held. Asked for a line before the last one asked, it reads from the start."""

    def __init__(self, path: Path, cap: int | None) -> None:
        self.path, self.cap = path, cap
        self._restart()

    def _restart(self) -> None:
        self.pieces = utf8_pieces(self.path, self.cap)
        self.text = ""  # the current piece, line ends as ``\n``
        self.number, self.start = 1, 0  # line ``number`` starts at offset ``start`` of the piece

    def line(self, number: int) -> str | None:
        """Line ``number`` (1-based), or None past the last line (or if the file can no longer be read so)."""
        if number < self.number:
            self._restart()
        while True:
            text = self.text
            while self.number < number:
                end = text.find("\n", self.start)
                if end < 0:
                    break
                self.number, self.start = self.number + 1, end + 1
            if self.start < len(text):  # on line ``number``, or on a last line without a line end before it
                if self.number < number:
                    return None
                end = text.find("\n", self.start)
                return text[self.start:end if end >= 0 else len(text)]
            try:  # every piece but the last ends with a line end: the next line starts the next piece
                piece = next(self.pieces, None)
            except (NotPlainUTF8, OSError):
                piece = None
            if piece is None:
                return None
            self.text, self.start = universal_newlines(piece), 0

    def lines(self) -> tuple[str, ...]:
        """All the lines, as ``split_lines`` gives them."""
        return tuple(line for piece in utf8_pieces(self.path, self.cap) for line in split_lines(piece))


class InputReader:
    """Re-reads input files the way ingest did, resolving relative paths against ``root``: each once, when its
    pages are asked for in input order (one file's text is held at a time; of a plain UTF-8 JSONL file, one piece
    of it: ``PieceCursor``)."""

    def __init__(self, root: Path, summary: dict[str, Any]) -> None:
        inputs = summary.get("inputs") if isinstance(summary.get("inputs"), dict) else {}
        self.root = root
        self.listed = {str(p) for p in inputs.get("files", [])} if isinstance(inputs.get("files"), list) else None
        encodings = inputs.get("encodings")
        self.encodings = encodings if isinstance(encodings, dict) else {}
        hashes = inputs.get("sha256")
        self.hashes = hashes if isinstance(hashes, dict) else {}
        config = summary.get("config") if isinstance(summary.get("config"), dict) else {}
        ingest = config.get("ingest") if isinstance(config.get("ingest"), dict) else {}
        keys = ingest.get("text_keys")
        self.text_keys = tuple(str(k) for k in keys) if isinstance(keys, list) and keys else ("text", "content",
                                                                                             "body")
        cap = ingest.get("max_line_chars")
        self.max_line_chars = cap if _is_int(cap) and cap > 0 else None
        # the last file read
        self._file: tuple[str, LineCursor | PieceCursor | None, str | None, str | None] | None = None
        self._formats: dict[str, bool] = {}
        self.verified: set[str] = set()  # files read with the SHA-256 the run recorded: the bytes it read

    def file_text(self, path: str) -> tuple[LineCursor | PieceCursor | None, str, str | None]:
        """(its lines, status, note) of one input file, decoded as ingest decodes it."""
        if self._file is None or self._file[0] != path:
            self._file = None  # the last file's text goes before the next is read
            self._file = (path, *self._read(path))
        _, cursor, status, note = self._file
        return cursor, status or "ok", note

    def _read(self, path: str) -> tuple[LineCursor | PieceCursor | None, str | None, str | None]:
        if self.listed is not None and path not in self.listed:
            return None, "missing", f"{path} is not among the inputs listed in summary.json"
        target = Path(path) if Path(path).is_absolute() else self.root / path
        try:
            digest, decoded = self._read_plain_jsonl(path, target) or read_text_as_ingest(target, self.max_line_chars)
        except FileNotFoundError:
            return None, "missing", (f"input file {path} was not found under {self.root}; rebuild the report from "
                                     "the folder the run started in, or pass inputs_root (dedup report --inputs-root)")
        except OSError as err:
            return None, "unreadable", f"input file {path} cannot be read: {err.strerror or err}"
        expected = self.hashes.get(path)
        if isinstance(expected, str) and digest != expected:
            return None, "changed", f"input file {path} changed since the run (its SHA-256 differs)"
        if isinstance(decoded, str):
            return None, "unreadable", f"input file {path} cannot be decoded now: {decoded}"
        text, encoding = decoded
        recorded = self.encodings.get(path)
        if isinstance(recorded, str) and recorded != encoding:
            return None, "changed", (f"input file {path} changed since the run: it decodes as {encoding}, "
                                     f"the run read it as {recorded}")
        if isinstance(expected, str):
            self.verified.add(path)
        return (LineCursor(text) if text is not None else PieceCursor(target, self.max_line_chars)), None, None

    def _read_plain_jsonl(self, path: str, target: Path) -> tuple[str, tuple[None, str]] | None:
        """(SHA-256, (None, "utf-8")) of a JSONL file that ingest read a piece at a time (plain UTF-8), checked by
        reading it through once; its lines are then read again, a piece at a time, by a ``PieceCursor``. None
        for any other file (read whole, as ingest read it)."""
        if not path.lower().endswith(".jsonl"):
            return None
        digest = hashlib.sha256()
        try:
            for _ in utf8_pieces(target, self.max_line_chars, digest):
                pass
        except NotPlainUTF8:
            return None
        return digest.hexdigest(), (None, "utf-8")

    def _extracted(self, path: str) -> bool:
        """Whether a format reader extracted the pages of ``path`` (asked once per file, not once per page)."""
        if path not in self._formats:
            self._formats[path] = formats.reader_for(Path(path)) is not None
        return self._formats[path]

    def page_lines(self, path: str, record: int | None) -> tuple[tuple[str, ...] | None, str, str | None]:
        """(lines, status, note) of a page: the whole file, or the text field of JSONL record ``record``.

        Pages that a format reader extracted (HTML, feeds, WARC, tables) are not re-extracted here: their view is
        marked omitted with a note saying where their lines are, never reported as changed.
        """
        if self._extracted(path):
            where = path if record is None else f"{path} (record {record})"
            return None, "omitted", (f"{where}: text extracted by the {Path(path).suffix or 'format'} reader; the "
                                     "page view shows text and JSONL inputs only. Block line numbers are lines of "
                                     "the original file")
        cursor, status, note = self.file_text(path)
        if cursor is None or record is None:
            return cursor.lines() if cursor is not None else None, status, note
        line = cursor.line(record)
        if line is None:
            return None, "changed", (f"{path} changed since the run: it has {len(cursor.lines())} lines, record "
                                     f"{record} is gone")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            return None, "changed", f"{path}:{record} changed since the run: not valid JSON now ({err.msg})"
        body = next((obj[k] for k in self.text_keys if k in obj), None) if isinstance(obj, dict) else None
        if not isinstance(body, str):
            return None, "changed", f"{path}:{record} changed since the run: no text in keys {list(self.text_keys)}"
        return split_lines(body), "ok", None


def read_text_as_ingest(path: Path, max_line_chars: int | None) -> tuple[str, tuple[str, str] | str]:
    """The SHA-256 of an input file's bytes as ingest reads them, and its (text, encoding) decoded exactly as
    ingest decodes it, or why it cannot be decoded.

    Uses ingest's own reader (lines capped at ``ingest.max_line_chars``) and decoder, so line numbers match; the
    run records the SHA-256 of a file none of whose lines it capped, which is then the hash of the whole file.
    """
    from .. import ingest

    capped = getattr(ingest, "read_capped", None)
    data = capped(path, max_line_chars)[0] if capped is not None and max_line_chars else path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    decoded = ingest.decode_bytes(data)
    if isinstance(decoded, Skipped):
        return digest, decoded.reason
    return digest, (decoded[0], decoded[1])


def load_pages(outputs: Outputs, root: Path) -> list[PageSource]:
    """Every page that has blocks, in input order, with its lines re-read.

    A page from a file whose SHA-256 is the one the run recorded is the page the run read; the pages of other
    files are checked line by line: blank lines where the run saw none, or canonical text that is not there now,
    mark them changed."""
    by_page: dict[PageKey, list[dict[str, Any]]] = defaultdict(list)
    for row in outputs.blocks:
        by_page[_page_key(row)].append(row)
    for row in outputs.occurrences:
        by_page.setdefault(_page_key(row), [])
    reader = InputReader(root, outputs.summary)
    corpus_text = {row["cluster_id"]: row.get("text") for row in outputs.corpus}
    canon: dict[PageKey, list[dict[str, Any]]] = defaultdict(list)
    for row in outputs.occurrences:
        if row.get("canonical"):
            canon[_page_key(row)].append(row)
    pages = []
    for index, key in enumerate(sorted(by_page, key=_sort_key)):
        blocks = sorted(by_page[key], key=lambda r: (r["start_line"], r["end_line"]))
        page = PageSource(index, key[0], key[1], blocks)
        lines, page.status, page.note = reader.page_lines(key[0], key[1])
        if lines is not None:
            problem = None if key[0] in reader.verified else (
                check_page(lines, blocks) or _check_canonical(lines, blocks, canon[key], corpus_text))
            if problem:
                page.status, page.note = "changed", f"{page.where} changed since the run: {problem}"
            else:
                page.lines = lines
        pages.append(page)
    return pages


def check_page(lines: Sequence[str], blocks: list[dict[str, Any]]) -> str | None:
    """Why ``lines`` are not the page the run saw (blocks cover exactly its non-blank lines), or None."""
    covered: set[int] = set()
    for row in blocks:
        if row["end_line"] > len(lines):
            return f"it has {len(lines)} lines, the run saw a block at lines {row['start_line']}-{row['end_line']}"
        covered.update(range(row["start_line"], row["end_line"] + 1))
    for number, line in enumerate(lines, start=1):
        if bool(line.strip()) != (number in covered):
            state = "blank" if not line.strip() else "not blank"
            return f"line {number} is {state} now, unlike when the run read it"
    return None


def _check_canonical(lines: Sequence[str], blocks: list[dict[str, Any]], canonical: list[dict[str, Any]],
                     corpus_text: dict[str, Any]) -> str | None:
    """Each paragraph of a canonical copy's corpus text must still be one of its content blocks on this page."""
    for occ in canonical:
        text = corpus_text.get(occ["cluster_id"])
        if not isinstance(text, str) or not text.strip():
            continue
        have = {_norm(t) for t in occurrence_paragraphs(lines, blocks, occ["occurrence_id"])}
        for paragraph in text.split("\n\n"):
            if paragraph.strip() and _norm(paragraph) not in have:
                return (f"the text of article {occ['occurrence_id']} (lines {occ['start_line']}-{occ['end_line']}) "
                        "differs from corpus.jsonl")
    return None


def _norm(text: str) -> str:
    """Whitespace-normalised text for comparisons."""
    return " ".join(text.split())


def block_text(lines: Sequence[str], row: dict[str, Any]) -> str:
    """A block's text reflowed to one line, as the pipeline joins it."""
    return " ".join(line.strip() for line in lines[row["start_line"] - 1:row["end_line"]])


def occurrence_paragraphs(lines: Sequence[str], blocks: Iterable[dict[str, Any]], occurrence_id: str) -> list[str]:
    """The cleaned paragraphs of one occurrence: its content blocks that are not its headline."""
    return [block_text(lines, row) for row in blocks
            if row.get("occurrence_id") == occurrence_id and row["label"] == "content" and row.get("kind") != "title"]
