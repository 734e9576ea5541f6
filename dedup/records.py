"""Typed records that flow between the pipeline stages.

A ``Page`` is one text unit read from input: a whole ``.txt`` file, or one JSONL record. Pages are cut into
``Block`` s (paragraphs or line groups with an inclusive 1-based line span), blocks into ``Occurrence`` s (one
printed copy of an article). Stages never edit these; they return annotations keyed by block or occurrence index.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Page:
    """One text unit: a ``.txt`` file (``record`` is None) or one JSONL record (``record`` = its file line).

    Readers of other formats (HTML, feeds, WARC, tables) fill ``source_lines`` (page line -> line of the
    original file) and ``meta`` (url, published, record offset ...), which the outputs carry as nullable fields.
    Once the page is cut into blocks its lines are let go (``without_lines``: the blocks hold the text), and
    ``sha1`` keeps the hash of the text that a record without an id is known by.
    """

    index: int
    path: str
    record: int | None
    lines: tuple[str, ...]
    encoding: str
    title: str | None = None
    record_id: str | None = None
    source_lines: tuple[int, ...] | None = None
    meta: tuple[tuple[str, str], ...] = ()
    sha1: str | None = None

    def text_sha1(self) -> str:
        """Hex SHA-1 of the page's lines joined by newlines (kept in ``sha1`` when the lines were let go)."""
        if self.sha1 is not None:
            return self.sha1
        if not self.lines:  # a page read has a non-blank line
            raise ValueError(f"{self.where}: the page's lines were let go without their hash")
        return hashlib.sha1("\n".join(self.lines).encode("utf-8")).hexdigest()

    def without_lines(self) -> "Page":
        """This page without its lines, keeping ``text_sha1`` where a record has no id to be known by."""
        sha1 = self.text_sha1() if self.record is not None and self.record_id is None else None
        return replace(self, lines=(), sha1=sha1)

    def source_line(self, line: int) -> int:
        """The line of the original file that page line ``line`` (1-based) came from.

        Plain text maps to itself; text extracted from HTML, feeds or archives carries a map back into the file.
        """
        return line if self.source_lines is None else self.source_lines[line - 1]

    @property
    def where(self) -> str:
        """``path`` or ``path:record`` for messages."""
        return self.path if self.record is None else f"{self.path}:{self.record}"


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph or line group of one page, lines ``start_line..end_line`` (1-based, inclusive)."""

    index: int
    page: int
    start_line: int
    end_line: int
    text: str


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One printed copy of an article: a contiguous run of blocks of one page."""

    index: int
    page: int
    blocks: tuple[int, ...]
    title: str | None
    title_block: int | None = None


@dataclass(slots=True)
class BlockNote:
    """What the stages concluded about one block; the writer applies these last."""

    occurrence: int | None = None
    role: str = "body"  # body | title | duplicate-title | chrome | outside
    label: str = "content"  # content | boilerplate | template | duplicate-title
    kind: str | None = None
    group: str | None = None
    support: int = 0
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input (or part of one) that was not read, with where and why."""

    path: str
    line: int | None
    reason: str


@dataclass(slots=True)
class Corpus:
    """Everything read from the inputs: pages, blocks, occurrences and what was skipped."""

    pages: list[Page] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
