"""Stage 1, ingest: readers for input formats beyond plain text and JSONL, chosen by file suffix.

Each reader takes ``(path, config, corpus)`` and appends ``Page`` records (with ``source_lines`` mapping page lines
back into the original file, and ``meta`` for url/published/offset) or ``Skipped`` records to the corpus. It also
records the file's encoding and SHA-256. A format whose optional dependency is missing raises ``MissingExtra``
naming the extra to install; ``ingest`` records that as a skipped file.

    ========================  ==========  ===============================================================
    suffixes                  extra       one page per ... (``record``)
    ========================  ==========  ===============================================================
    .html .htm                html        file (None); lines are HTML text blocks, mapped to HTML lines
    .xml .rss .atom           feeds       feed entry (the file line of its <item>/<entry>)
    .warc .warc.gz            warc        HTML response record (its ordinal in the archive)
    .csv .tsv                 (none)      row (the file line the row starts on)
    .parquet                  tables      row (row index + 1)
    ========================  ==========  ===============================================================

    >>> reader_for(Path("feed.rss")).__name__
    'read_feed'
"""

from __future__ import annotations

import email.utils
import hashlib
import importlib
import re
from datetime import date, datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable, Sequence

from ..config import IngestConfig
from ..records import Corpus, Page, Skipped

Reader = Callable[[Path, IngestConfig, Corpus], None]

READERS: dict[str, Reader] = {}


class MissingExtra(ImportError):
    """An optional dependency for a format is not installed; the message names the extra."""


def reader_for(path: Path) -> Reader | None:
    """The reader registered for the file's suffix (longest match, e.g. ``.warc.gz``), or None."""
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import an optional dependency, or raise ``MissingExtra`` saying which extra reading ``what`` needs."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtra(f"reading {what} needs the '{extra}' extra: pip install 'dedup[{extra}]' "
                           f"(could not import {module}: {err})") from err


def record_file(corpus: Corpus, where: str, data: bytes, encoding: str) -> None:
    """Note a file's encoding (as detected) and the SHA-256 of its bytes in the corpus."""
    corpus.encodings[where] = encoding
    corpus.digests[where] = hashlib.sha256(data).hexdigest()


def read_decoded(path: Path, corpus: Corpus,
                 decode: Callable[[bytes], "tuple[str, str, int] | Skipped"]) -> tuple[bytes, str, str, int] | None:
    """Read and decode a file: (bytes, text, encoding, replaced sequences), or None with the reason recorded."""
    where = path.as_posix()
    try:
        data = path.read_bytes()
    except OSError as err:
        corpus.skipped.append(Skipped(where, None, f"cannot read file: {err.strerror or err}; check its permissions"))
        return None
    decoded = decode(data)
    if isinstance(decoded, Skipped):
        corpus.skipped.append(Skipped(where, None, decoded.reason))
        return None
    text, encoding, damaged = decoded
    return data, text, encoding, damaged


def note_damage(corpus: Corpus, where: str, damaged: int, encoding: str) -> None:
    """Record invalid byte sequences that decoding replaced by U+FFFD."""
    if damaged:
        corpus.skipped.append(Skipped(where, None, f"{damaged} invalid {encoding} byte sequence(s) replaced by U+FFFD"))


def add_page(corpus: Corpus, where: str, record: int | None, lines: Sequence[str], encoding: str, *,
             config: IngestConfig, sources: Sequence[int] | None = None, title: str | None = None,
             record_id: str | None = None, meta: Iterable[tuple[str, str | None]] = (),
             empty: str = "empty: no text to read") -> None:
    """Append a page; a page without text becomes a ``Skipped`` record, over-long lines are cut and noted.

    ``sources`` maps each page line to a 1-based line of the original file (None: the lines are their own
    numbering, as for a record's text field). ``meta`` pairs with an empty value are left out; ``empty`` is
    the reason recorded for a page without text.
    """
    if not any(line.strip() for line in lines):
        corpus.skipped.append(Skipped(where, record, empty))
        return
    cut = list(lines)
    for i, line in enumerate(cut):
        if len(line) > config.max_line_chars:
            at = sources[i] if sources is not None else record
            corpus.skipped.append(Skipped(where, at, f"text line of {len(line)} characters truncated to the first "
                                                     f"{config.max_line_chars} (ingest.max_line_chars)"))
            cut[i] = line[:config.max_line_chars]
    pairs = tuple(_meta_pair(key, str(value)) for key, value in meta if value is not None and str(value).strip())
    corpus.pages.append(Page(len(corpus.pages), where, record, tuple(cut), encoding, title or None, record_id,
                             tuple(sources) if sources is not None else None, pairs))


def iso_time(value: str) -> str | None:
    """A date or time as ISO 8601 (``2025-03-04``, ``2025-03-04T09:30:00Z`` in UTC, or without zone when the
    source gives none), from ISO or RFC 822 text; None when it does not parse.

    One shape for every format keeps the ``published`` field one type when the outputs are loaded as tables.
    """
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _meta_pair(key: str, value: str) -> tuple[str, str]:
    """A meta pair as written: ``published`` in ISO 8601, or kept as ``published_text`` when it is no date."""
    value = " ".join(value.split())
    if key != "published":
        return key, value
    moment = iso_time(value)
    return ("published", moment) if moment else ("published_text", value)


def _register() -> None:
    """Fill ``READERS``; the reader modules import their libraries only when a file is read."""
    from .feeds import read_feed
    from .html import read_html
    from .tables import read_csv, read_parquet
    from .warc import read_warc

    for suffix in (".html", ".htm"):
        READERS[suffix] = read_html
    for suffix in (".xml", ".rss", ".atom"):
        READERS[suffix] = read_feed
    for suffix in (".warc", ".warc.gz"):
        READERS[suffix] = read_warc
    for suffix in (".csv", ".tsv"):
        READERS[suffix] = read_csv
    READERS[".parquet"] = read_parquet


_register()
