"""Stage 1, ingest: tables with a text column (.csv, .tsv, .parquet) -> one record ``Page`` per row.

The text column is the first of ``ingest.text_keys`` the table has; title and id come from ``ingest.title_keys``
and ``ingest.id_keys``, and a ``url``/``link`` and ``published``/``date`` column, when present, go into ``meta``.
CSV is read with the stdlib ``csv`` module (no extra needed) from a line-counting source, so ``record`` is the
physical file line the row starts on (header and multi-line quoted fields counted) and each text line maps to its
own file line; fields larger than the stdlib's 128 KiB default are read. Parquet (the ``tables`` extra, pyarrow)
has no lines: ``record`` is the row index + 1 and page lines are the lines of the text cell, as for JSONL.
A table without a text column is skipped with the columns it has and the setting to change.

    >>> corpus = Corpus(); read_csv(Path("articles.csv"), IngestConfig(), corpus)
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..config import IngestConfig
from ..records import Corpus, Skipped
from ..jsonio import sha256_file
from . import add_page, note_damage, read_decoded, record_file, require

WHAT_PARQUET = "Parquet (.parquet)"
FIELD_LIMIT = 2**31 - 1  # csv.field_size_limit takes a C long; this fits every platform
DELIMITERS = (",", ";", "\t", "|")
URL_COLUMNS = ("url", "link")
DATE_COLUMNS = ("published", "date", "published_at")
_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Columns:
    """Positions (CSV) or names (Parquet) of the columns a page is built from; None where absent."""

    text: Any
    title: Any = None
    id: Any = None
    url: Any = None
    published: Any = None


def choose_columns(names: Sequence[str], config: IngestConfig, by_name: bool) -> Columns | None:
    """The columns to read, by position (``by_name`` False) or name; None when no text column exists."""
    def pick(keys: Sequence[str]) -> Any:
        for key in keys:
            if key in names:
                return key if by_name else list(names).index(key)
        return None

    text = pick(config.text_keys)
    if text is None:
        return None
    return Columns(text, pick(config.title_keys), pick(config.id_keys), pick(URL_COLUMNS), pick(DATE_COLUMNS))


def missing_text(names: Sequence[str], config: IngestConfig) -> str:
    """Why a table cannot be read: no column named like ``ingest.text_keys``."""
    return (f"no text column: looked for {list(config.text_keys)}, the table has {list(names)[:20]}; "
            "set ingest.text_keys to the column that holds the article text")


def read_csv(path: Path, config: IngestConfig, corpus: Corpus) -> None:
    """Read a CSV/TSV file: one page per row, ``record`` = the line the row starts on."""
    from .. import ingest

    where = path.as_posix()
    loaded = read_decoded(path, corpus, ingest.decode_bytes)
    if loaded is None:
        return
    data, text, encoding, damaged = loaded
    record_file(corpus, where, data, encoding)
    note_damage(corpus, where, damaged, encoding)
    delimiter = "\t" if path.name.lower().endswith(".tsv") else sniff_delimiter(text)
    with _big_fields():
        _read_rows(csv_rows(text, delimiter), where, encoding, config, corpus)


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV: the candidate found most often in its first line (comma when none is)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextmanager
def _big_fields() -> Iterator[None]:
    """Let the csv module read fields of any size while reading one file."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, FIELD_LIMIT))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(line the row starts on, fields) per non-blank row; a parse error is yielded in place of fields and
    ends the rows.

    Lines are counted as Python's text mode counts them (``\\n``, ``\\r\\n``, ``\\r``), so a row's line is the
    line an editor shows; a quoted field spanning lines moves the next row's line on accordingly.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield start, err
            return
        if fields:
            yield start, fields


def _read_rows(rows: Iterator[tuple[int, list[str] | csv.Error]], where: str, encoding: str,
               config: IngestConfig, corpus: Corpus) -> None:
    """Header first, then a page per row; problems become skipped entries with the row's line."""
    header: list[str] | None = None
    columns: Columns | None = None
    for line, fields in rows:
        if isinstance(fields, csv.Error):
            corpus.skipped.append(Skipped(where, line, f"CSV error, rows from here on not read: {fields}"))
            return
        if header is None:
            header = [name.strip() for name in fields]
            columns = choose_columns(header, config, by_name=False)
            if columns is None:
                corpus.skipped.append(Skipped(where, line, missing_text(header, config)))
                return
            continue
        assert columns is not None
        _add_csv_row(line, fields, header, columns, where, encoding, config, corpus)
    if header is None:
        corpus.skipped.append(Skipped(where, None, "empty table: no header row"))


def _add_csv_row(line: int, fields: list[str], header: list[str], columns: Columns, where: str, encoding: str,
                 config: IngestConfig, corpus: Corpus) -> None:
    """One CSV row as a page; its text lines map to the file lines they are on."""
    from ..ingest import split_lines

    width = len(header)
    if len(fields) != width:
        effect = "extra fields ignored" if len(fields) > width else "missing fields read as empty"
        corpus.skipped.append(Skipped(where, line, f"row has {len(fields)} fields, the header {width}: {effect}"))

    def cell(index: int | None) -> str | None:
        value = fields[index] if index is not None and index < len(fields) else ""
        return " ".join(value.split()) or None

    body = fields[columns.text] if columns.text < len(fields) else ""
    first = line + sum(len(_BREAK.findall(f)) for f in fields[:columns.text])
    lines = split_lines(body)
    add_page(corpus, where, line, lines, encoding, config=config, sources=range(first, first + len(lines)),
             title=cell(columns.title), record_id=cell(columns.id),
             meta=[("url", cell(columns.url)), ("published", cell(columns.published))],
             empty=f"row has no text in column {header[columns.text]!r}")


def read_parquet(path: Path, config: IngestConfig, corpus: Corpus) -> None:
    """Read a Parquet file: one page per row, ``record`` = row index + 1."""
    pa = require("pyarrow", "tables", WHAT_PARQUET)
    pq = require("pyarrow.parquet", "tables", WHAT_PARQUET)
    where = path.as_posix()
    try:
        table = pq.ParquetFile(path)
        names = list(table.schema_arrow.names)
        corpus.digests[where] = sha256_file(path)
    except Exception as err:  # pyarrow raises ArrowInvalid / OSError for files that are not Parquet
        corpus.skipped.append(Skipped(where, None, f"cannot read Parquet file: {err}"))
        return
    corpus.encodings[where] = "parquet (utf-8)"
    columns = choose_columns(names, config, by_name=True)
    if columns is None:
        corpus.skipped.append(Skipped(where, None, missing_text(names, config)))
        return
    kind = table.schema_arrow.field(columns.text).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
        corpus.skipped.append(Skipped(where, None, f"text column {columns.text!r} holds {kind} values, not strings; "
                                                   "set ingest.text_keys to the column that holds the article text"))
        return
    wanted = sorted({c for c in (columns.text, columns.title, columns.id, columns.url, columns.published) if c},
                    key=names.index)
    row = 0
    try:
        for batch in table.iter_batches(columns=wanted, batch_size=1024):
            for values in batch.to_pylist():
                row += 1
                _add_parquet_row(row, values, columns, where, config, corpus)
    except Exception as err:  # a damaged row group: keep the rows read so far
        corpus.skipped.append(Skipped(where, row + 1, f"cannot read Parquet rows from here on: {err}"))


def _add_parquet_row(row: int, values: dict[str, Any], columns: Columns, where: str, config: IngestConfig,
                     corpus: Corpus) -> None:
    """One Parquet row as a page (the text column is known to hold strings)."""
    from ..ingest import split_lines

    body = values.get(columns.text)

    def cell(name: str | None) -> str | None:
        value = values.get(name) if name else None
        if value is None:
            return None
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return " ".join(text.split()) or None

    add_page(corpus, where, row, split_lines(body or ""), "utf-8", config=config, title=cell(columns.title),
             record_id=cell(columns.id), meta=[("url", cell(columns.url)), ("published", cell(columns.published))],
             empty=f"row has no text in column {columns.text!r}")
