"""Stage 1, ingest: WARC archives (.warc, .warc.gz, crawler output) -> one record ``Page`` per HTML response.

warcio iterates the records. Every successful (2xx) ``response`` or ``resource`` record whose content type is HTML
is rendered exactly as the HTML reader renders a page (``html.read_markup``): ``record`` is the record's 1-based
ordinal in the archive, the page lines map to lines of the record's HTML payload, ``meta`` holds the target URI
(url), the record's byte offset in the archive file (offset, a string; compressed offset for .warc.gz) and, when
the page declares one, its publication date. Records not read (requests, warcinfo, images, redirects) are counted
in one ``Skipped`` note per file; a truncated or damaged archive is read up to the damage, which is recorded.

    >>> corpus = Corpus(); read_warc(Path("crawl.warc.gz"), IngestConfig(), corpus)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..config import IngestConfig
from ..records import Corpus, Skipped
from ..jsonio import sha256_file
from . import add_page, require
from .html import decode_markup, read_markup

WHAT = "WARC archives (.warc, .warc.gz)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
TRAILER_BYTES = 4  # the blank line after the last record


def read_warc(path: Path, config: IngestConfig, corpus: Corpus) -> None:
    """Read every HTML response of one archive into a page; note what was not read and any damage."""
    archive = require("warcio.archiveiterator", "warc", WHAT)
    require("lxml.html", "warc", WHAT)
    require("trafilatura", "warc", WHAT)
    where = path.as_posix()
    try:
        size, digest = path.stat().st_size, sha256_file(path)
        fh = open(path, "rb")
    except OSError as err:
        corpus.skipped.append(Skipped(where, None, f"cannot read file: {err.strerror or err}; check its permissions"))
        return
    not_read: Counter[str] = Counter()
    encodings: set[str] = set()
    with fh:
        end = _read_records(archive.ArchiveIterator(fh), where, config, corpus, not_read, encodings)
    corpus.digests[where] = digest
    corpus.encodings[where] = ",".join(sorted(encodings)) or "utf-8"
    if end is not None and size - end > TRAILER_BYTES:
        corpus.skipped.append(Skipped(where, None, f"the last {size - end} bytes (from byte {end}) are not a complete "
                                                   "WARC record: the archive is truncated or damaged there"))
    if not_read:
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(not_read.items()))
        corpus.skipped.append(Skipped(where, None, f"records not read (not HTML pages): {listed}"))


def _read_records(iterator: Any, where: str, config: IngestConfig, corpus: Corpus, not_read: Counter[str],
                  encodings: set[str]) -> int | None:
    """Read records until the archive ends or breaks; returns the byte where the last whole record ended."""
    ordinal, end = 0, 0
    try:
        for record in iterator:
            ordinal += 1
            kind = _kind(record)
            payload = record.content_stream().read() if kind is None else b""
            missing = getattr(record.raw_stream, "limit", 0) or 0
            offset = iterator.get_record_offset()
            end = offset + iterator.get_record_length()
            if kind is not None:
                not_read[kind] += 1
                continue
            if missing:
                corpus.skipped.append(Skipped(where, ordinal, f"record at byte {offset} is truncated: {missing} bytes "
                                                              "of its payload are missing; read as far as it goes"))
            _add_record(record, payload, ordinal, offset, where, config, corpus, encodings)
    except Exception as err:  # warcio raises ArchiveLoadFailed, zlib/EOF errors, even AttributeError
        corpus.skipped.append(Skipped(where, None, f"archive damaged after record {ordinal} (byte {end}): "
                                                   f"{type(err).__name__}: {err}; the records before were read"))
        return None
    return end


def _kind(record: Any) -> str | None:
    """None for an HTML page to read, else a short description of the record for the not-read note."""
    if record.rec_type not in ("response", "resource"):
        return record.rec_type
    headers = record.http_headers
    if record.rec_type == "response" and headers is not None:
        status = headers.get_statuscode() or ""
        if not status.startswith("2"):
            return f"response (HTTP {status or '?'})"
        ctype = headers.get_header("Content-Type") or ""
    else:
        ctype = record.rec_headers.get_header("Content-Type") or ""
    if ctype.split(";")[0].strip().lower() not in HTML_TYPES:
        return f"{record.rec_type} ({ctype.split(';')[0].strip() or 'no content type'})"
    return None


def _add_record(record: Any, payload: bytes, ordinal: int, offset: int, where: str, config: IngestConfig,
                corpus: Corpus, encodings: set[str]) -> None:
    """Decode and render one HTML payload into a record page."""
    decoded = decode_markup(payload, _charset(record))
    if isinstance(decoded, Skipped):
        corpus.skipped.append(Skipped(where, ordinal, decoded.reason))
        return
    text, encoding, damaged = decoded
    encodings.add(encoding)
    if damaged:
        corpus.skipped.append(Skipped(where, ordinal, f"{damaged} invalid {encoding} byte sequence(s) replaced by "
                                                      "U+FFFD"))
    lines, sources, page_meta = read_markup(text)
    meta = [("url", record.rec_headers.get_header("WARC-Target-URI")), ("offset", str(offset))]
    meta += [(key, value) for key, value in page_meta if key == "published"]
    add_page(corpus, where, ordinal, lines, encoding, config=config, sources=sources,
             record_id=record.rec_headers.get_header("WARC-Record-ID"), meta=meta)


def _charset(record: Any) -> str | None:
    """The charset the HTTP (or WARC) Content-Type header declares, if any."""
    headers = record.http_headers if record.http_headers is not None else record.rec_headers
    ctype = headers.get_header("Content-Type") or ""
    for part in ctype.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
