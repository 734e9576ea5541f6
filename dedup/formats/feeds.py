"""Stage 1, ingest: RSS and Atom feeds (.xml, .rss, .atom) -> one record ``Page`` per entry.

feedparser reads the feed (leniently: a malformed feed is read as far as it goes, and the problem is recorded as a
``Skipped`` entry with the line where it was found). Each entry is one article: ``record`` is the file line of its
``<item>``/``<entry>`` (found with defusedxml's SAX parser, or by scanning the text past a point where the XML
breaks), ``title`` its title, the lines its content (or summary) with HTML turned into text, one paragraph per line,
each mapped to the file line where the paragraph's text is found in the entry (else the entry's line), and
``meta`` its link (url) and publication date (ISO 8601 in UTC when feedparser can parse it). A ``.xml`` file is
sniffed: a feed is read here, an XHTML page by the HTML reader, anything else is recorded as skipped.

    >>> corpus = Corpus(); read_feed(Path("news.rss"), IngestConfig(), corpus)
"""

from __future__ import annotations

import io
import re
import time
import xml.sax.handler
from pathlib import Path
from typing import Any

from ..config import IngestConfig
from ..records import Corpus, Skipped
from . import add_page, note_damage, read_decoded, record_file, require
from .html import decode_markup, fragment_lines, locate_line, read_html

WHAT = "RSS/Atom feeds (.xml, .rss, .atom)"
ENTRY_TAGS = frozenset({"item", "entry"})
FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})

_PROLOG = re.compile(r"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.S | re.I)
_ROOT = re.compile(r"<(?:[\w.-]+:)?([\w.-]+)")
_ENTRY_OPEN = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)(?=[\s>/])")
_HIDDEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)


def read_feed(path: Path, config: IngestConfig, corpus: Corpus) -> None:
    """Read one feed file: a page per entry, problems recorded as skipped entries."""
    where = path.as_posix()
    loaded = read_decoded(path, corpus, decode_markup)
    if loaded is None:
        return
    data, text, encoding, damaged = loaded
    root = sniff_root(text)
    if root == "html":
        read_html(path, config, corpus)
        return
    if root not in FEED_ROOTS and path.name.lower().endswith(".xml"):
        record_file(corpus, where, data, encoding)
        corpus.skipped.append(Skipped(where, None, f"not an RSS/Atom feed or an HTML page (root element "
                                                   f"<{root or '?'}>); only feeds are read from .xml files"))
        return
    feedparser = require("feedparser", "feeds", WHAT)
    record_file(corpus, where, data, encoding)
    note_damage(corpus, where, damaged, encoding)
    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=True)
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = entry_lines(data, text, len(parsed.entries))
    for index, entry in enumerate(parsed.entries):
        stop = lines[index + 1] if index + 1 < len(lines) else len(raw) + 1
        _add_entry(corpus, where, entry, lines[index], stop, raw, encoding, config)
    _note_problems(corpus, where, parsed)


def sniff_root(text: str) -> str | None:
    """Lower-cased local name of the document's root element (``rss``, ``feed``, ``rdf``, ``html`` ...)."""
    body = text.lstrip("\ufeff")
    match = _ROOT.match(body, _PROLOG.match(body).end())  # type: ignore[union-attr]
    return match.group(1).lower() if match else None


def entry_lines(data: bytes, text: str, count: int) -> list[int]:
    """File line of each of the first ``count`` entries, in order; never shorter than ``count``.

    defusedxml's SAX parser gives exact lines up to the point where the XML breaks; entries feedparser still
    recovered past it are found by scanning the text for ``<item``/``<entry`` openings (outside comments and
    CDATA). Should both fall short, the remaining entries get the last line known.
    """
    lines = _sax_entry_lines(data)
    if len(lines) < count:
        after = lines[-1] if lines else 0
        lines += [n for n in _scanned_entry_lines(text) if n > after]
    while len(lines) < count:
        lines.append(lines[-1] if lines else 1)
    return lines[:count]


class _EntryStarts(xml.sax.handler.ContentHandler):
    """Collects the line of every outermost ``<item>``/``<entry>`` start tag."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []
        self.depth = 0
        self.locator: Any = None

    def setDocumentLocator(self, locator: Any) -> None:  # noqa: N802 - SAX API name
        self.locator = locator

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 - SAX API name
        if name.rsplit(":", 1)[-1] in ENTRY_TAGS:
            if self.depth == 0 and self.locator is not None:
                self.lines.append(self.locator.getLineNumber())
            self.depth += 1

    def endElement(self, name: str) -> None:  # noqa: N802 - SAX API name
        if name.rsplit(":", 1)[-1] in ENTRY_TAGS:
            self.depth = max(0, self.depth - 1)


def _sax_entry_lines(data: bytes) -> list[int]:
    """Entry lines from defusedxml's SAX parser, as far as the document parses."""
    defused_sax = require("defusedxml.sax", "feeds", WHAT)
    handler = _EntryStarts()
    try:
        defused_sax.parseString(data, handler)
    except Exception:  # malformed XML, forbidden entities: keep what was read before the error
        pass
    return handler.lines


def _scanned_entry_lines(text: str) -> list[int]:
    """Entry lines found by scanning the text, comments and CDATA blanked out (newlines kept)."""
    visible = _HIDDEN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text.replace("\r\n", "\n").replace("\r", "\n"))
    return [visible.count("\n", 0, m.start()) + 1 for m in _ENTRY_OPEN.finditer(visible)]


def _add_entry(corpus: Corpus, where: str, entry: Any, line: int, stop: int, raw: list[str], encoding: str,
               config: IngestConfig) -> None:
    """One entry as a record page: content lines mapped into the entry's part of the file."""
    lines = content_lines(entry)
    sources: list[int] = []
    cursor = line
    for text in lines:
        if text.strip():
            cursor = locate_line(text, raw, cursor, stop) or cursor
        sources.append(cursor)
    meta = [("url", entry.get("link")), ("published", published(entry))]
    add_page(corpus, where, line, lines, encoding, config=config, sources=sources, title=entry_title(entry),
             record_id=entry.get("id") or None, meta=meta,
             empty="entry has no content or summary text (a cut-off entry loses its unclosed element)")


def content_lines(entry: Any) -> list[str]:
    """The entry's content (else summary) as text lines, HTML turned into paragraphs with blank lines between."""
    detail = next((c for c in entry.get("content") or [] if (c.get("value") or "").strip()), None)
    if detail is None:
        detail = entry.get("summary_detail") or {"value": entry.get("summary") or "", "type": "text/html"}
    return _as_lines(detail.get("value") or "", detail.get("type") or "text/html")


def entry_title(entry: Any) -> str | None:
    """The entry's title as plain text, or None."""
    detail = entry.get("title_detail") or {"value": entry.get("title") or "", "type": "text/plain"}
    title = " ".join(" ".join(_as_lines(detail.get("value") or "", detail.get("type") or "text/plain")).split())
    return title or None


def _as_lines(value: str, kind: str) -> list[str]:
    """Lines of a text construct: HTML rendered by the HTML reader's renderer, plain text split as written."""
    if kind.lower() in HTML_TYPES:
        return fragment_lines(value)
    return [line.strip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def published(entry: Any) -> str | None:
    """Publication (else update) time as ISO 8601 UTC, or the feed's own string when it does not parse."""
    for key in ("published", "updated"):
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed)
        if entry.get(key):
            return str(entry.get(key))
    return None


def _note_problems(corpus: Corpus, where: str, parsed: Any) -> None:
    """Record feedparser's complaint about a malformed feed (its ``bozo`` flag), or a feed without entries."""
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
        message = getattr(exc, "getMessage", lambda: str(exc))() if exc is not None else "unknown problem"
        corpus.skipped.append(Skipped(where, line, f"malformed feed ({type(exc).__name__}: {message}); read as "
                                                   f"far as it goes: {len(parsed.entries)} entries"))
    elif not parsed.entries:
        corpus.skipped.append(Skipped(where, None, "feed has no entries (no <item> or <entry>)"))
