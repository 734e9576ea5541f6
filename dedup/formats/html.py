"""Stage 1, ingest: HTML pages (.html, .htm) -> one ``Page`` whose lines are the page's text blocks.

lxml parses the page (keeping each element's source line); every text block in document order (headings,
paragraphs, list items, table rows, and the navigation, sidebars and footers a main-text extractor discards)
becomes one page line, blocks separated by blank lines, each line mapped to the HTML line its text starts on.
List items get a bullet ("• ", or "3. " in ordered lists) as a text rendering of the page shows them.
trafilatura (with ``deduplicate=False``: its cache is process-global) decides what is main content; runs of short
links outside it (menus, footer link lists) are printed as one "Home | World | Tech" line, so the segment and
boilerplate stages see page chrome the way they see it in a text page. Only what a browser does not show as
text is left out: the ``<head>``, scripts, styles, templates, ``<noscript>`` fallbacks, ``<select>`` options,
SVG/MathML and embedded frames. ``warc`` reads HTML responses with the same code; ``feeds`` uses
``fragment_lines``.

    >>> lines, sources = page_lines("<p>One</p>\\n<p>Two</p>")
    >>> lines, sources
    (['One', '', 'Two'], [1, 1, 2])
"""

from __future__ import annotations

import codecs
import copy
import html as html_lib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..config import IngestConfig
from ..records import Corpus, Skipped
from . import add_page, note_damage, read_decoded, record_file, require

WHAT = "HTML (.html, .htm)"
BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav noframes ol p "
    "pre section summary table tbody tfoot thead tr ul".split())
SKIP_TAGS = frozenset("script style template head noscript select svg math iframe object".split())
CELL_TAGS = frozenset({"td", "th"})
ROW_CONTAINERS = frozenset({"ul", "ol", "menu", "nav", "dl", "header", "footer", "aside"})
MAX_LINK_WORDS = 4
LXML_MAX_LINE = 65535  # libxml2's HTML parser stops counting source lines here

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""",
                      re.I)
_WORD = re.compile(r"\w+")
_SEP = r"(?:[^\w&<]|<[^>]{0,300}>|&(?:amp;)?lt;[^<>]{0,300}?&(?:amp;)?gt;|&(?:amp;)?#?\w{1,8};)+"
_TAG = re.compile(r"<[^>]*>")


def read_html(path: Path, config: IngestConfig, corpus: Corpus) -> None:
    """Read one HTML file into one page (``record`` None) whose lines map to the file's lines."""
    require("lxml.html", "html", WHAT)
    require("trafilatura", "html", WHAT)
    where = path.as_posix()
    loaded = read_decoded(path, corpus, decode_markup)
    if loaded is None:
        return
    data, text, encoding, damaged = loaded
    record_file(corpus, where, data, encoding)
    note_damage(corpus, where, damaged, encoding)
    lines, sources, meta = read_markup(text)
    add_page(corpus, where, None, lines, encoding, config=config, sources=sources, meta=meta)


def decode_markup(data: bytes, declared: str | None = None) -> tuple[str, str, int] | Skipped:
    """Decode HTML/XML bytes: byte-order mark, then ``declared`` (HTTP charset), then the document's own
    declaration (``<meta charset>``, ``<?xml encoding?>``), then ingest's detection (UTF-8, cp1252, latin-1).

    Returns (text, encoding, replaced invalid sequences), or why the bytes cannot be read as text.
    """
    from .. import ingest

    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ingest.decode_bytes(data)
    for name in (declared, _declared_charset(data)):
        codec = _codec(name)
        if codec is None:
            continue
        try:
            return data.decode(codec), codec, 0
        except UnicodeDecodeError:
            continue
    return ingest.decode_bytes(data)


def _declared_charset(data: bytes) -> str | None:
    """The charset a document declares in its first 4 KB, if any."""
    match = _CHARSET.search(data[:4096])
    if match is None:
        return None
    return (match.group(1) or match.group(2)).decode("ascii", "replace")


def _codec(name: str | None) -> str | None:
    """Python's codec name for a declared charset; latin-1 and ASCII read as cp1252, as browsers do."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    if codec in ("utf-16", "utf-32", "utf-16-le", "utf-16-be"):
        return None  # a UTF-16 declaration in bytes we could read as ASCII is wrong
    return "cp1252" if codec in ("iso8859-1", "latin-1", "ascii") else codec


def read_markup(text: str) -> tuple[list[str], list[int], list[tuple[str, str]]]:
    """(lines, source line of each, meta) of a decoded HTML document."""
    root = _parse_document(text)
    if root is None:
        return [], [], []
    lines, sources = _root_lines(root, text)
    return lines, sources, page_meta(root)


def page_lines(text: str, extract_main: bool = True) -> tuple[list[str], list[int]]:
    """Page lines of a whole HTML document and the 1-based document line each came from.

    With ``extract_main`` False trafilatura is not asked, and every line counts as main content.
    """
    root = _parse_document(text)
    return ([], []) if root is None else _root_lines(root, text, extract_main)


def _root_lines(root: Any, text: str, extract_main: bool = True) -> tuple[list[str], list[int]]:
    """Render a parsed document; trafilatura's main text decides which short-link runs are menus."""
    pieces = _Renderer(_normalise_newlines(text).split("\n")).render(root)
    return compose(pieces, main_text(root) if extract_main else None)


def fragment_lines(markup: str, extra: str = "feeds") -> list[str]:
    """Text lines of an HTML fragment (a feed entry's content): blocks in order, blank lines between."""
    lxml_html = require("lxml.html", extra, "HTML inside feed entries")
    if not markup.strip():
        return []
    try:
        root = lxml_html.fragment_fromstring(_normalise_newlines(markup), create_parent="div")
    except Exception:  # lxml raises several parser errors; fall back to the text without its tags
        return [html_lib.unescape(_TAG.sub("", line)).strip() for line in markup.splitlines()]
    pieces = _Renderer([]).render(root)
    return compose(pieces, None)[0]


def _normalise_newlines(text: str) -> str:
    """``\\r\\n`` and ``\\r`` to ``\\n``: libxml2 then counts lines as Python's text mode does."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parse_document(text: str) -> Any:
    """The lxml root element of a document, or None when it holds no markup or text at all."""
    lxml_html = require("lxml.html", "html", WHAT)
    etree = require("lxml.etree", "html", WHAT)
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=False, huge_tree=True)
    try:
        return lxml_html.document_fromstring(_normalise_newlines(text).encode("utf-8", "replace"), parser=parser)
    except etree.ParserError:
        return None


def main_text(root: Any) -> set[str]:
    """The main-content lines trafilatura extracts from the page, whitespace-normalised."""
    trafilatura = require("trafilatura", "html", WHAT)
    extracted = trafilatura.extract(copy.deepcopy(root), deduplicate=False, include_comments=False,
                                    include_tables=True, output_format="txt")
    return {_key(line) for line in (extracted or "").split("\n") if line.strip()}


def _key(text: str) -> str:
    """Comparable form of a line: no bullet or markdown marker, whitespace collapsed."""
    text = re.sub(r"^\s*(?:[-*•]|\d{1,3}[.)]|#{1,6})\s+", "", text)
    return " ".join(text.split())


def page_meta(root: Any) -> list[tuple[str, str]]:
    """url (canonical link or og:url) and published (article meta) when the document declares them."""
    url = _first_attr(root, ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"))
    published = _first_attr(root, ("//meta[@property='article:published_time']/@content",
                                    "//meta[@name='date' or @name='pubdate' or @name='publish-date' or "
                                    "@name='DC.date.issued' or @itemprop='datePublished']/@content"))
    return [(k, v) for k, v in (("url", url), ("published", published)) if v]


def _first_attr(root: Any, paths: Sequence[str]) -> str | None:
    """The first non-empty attribute value any of the XPath expressions selects."""
    for xpath in paths:
        for value in root.xpath(xpath):
            if str(value).strip():
                return str(value).strip()
    return None


@dataclass
class Piece:
    """One rendered text line of a page: its text, source line, paragraph and what it is made of."""

    text: str
    line: int
    paragraph: int
    container: int
    links: list[str] = field(default_factory=list)
    link_only: bool = False


class _Renderer:
    """Walks an lxml tree in document order and renders text lines, tracking the source line of each."""

    def __init__(self, raw: list[str]) -> None:
        self.raw = raw
        self.pieces: list[Piece] = []
        self.parts: list[str] = []
        self.links: list[str] = []
        self.other_words = 0
        self.start: int | None = None
        self.cursor = 1
        self.paragraph = 0
        self.prefix = ""
        self.in_link = False
        self.in_pre = False
        self.container = 0
        self.containers = 0

    def render(self, root: Any) -> list[Piece]:
        """All text lines below ``root``."""
        self.walk(root)
        self.end_paragraph()
        return self.pieces

    def walk(self, el: Any) -> None:
        """Render one element, its children, then its tail."""
        if not isinstance(el.tag, str):  # comment, processing instruction, entity
            self.cursor = self._line_of(el) or self.cursor
            self.add(el.tail)
            return
        tag = el.tag.lower()
        self.cursor = self._line_of(el) or self.cursor
        if tag in SKIP_TAGS:
            self.cursor += (el.text or "").count("\n")
        elif tag == "br":
            self.end_line()
        elif tag == "hr":
            self.end_paragraph()
        else:
            self._walk_children(el, tag)
        self.add(el.tail)

    def _walk_children(self, el: Any, tag: str) -> None:
        """Render an element's own text and children, opening a paragraph for block elements."""
        block, saved = tag in BLOCK_TAGS, (self.in_link, self.in_pre, self.container)
        if block:
            self.end_paragraph()
            if tag == "li":
                self.prefix = self._bullet(el)
        if tag in CELL_TAGS and "".join(self.parts).strip():
            self.parts.append(" | ")
        if tag in ROW_CONTAINERS:
            self.containers += 1
            self.container = self.containers
        self.in_link = self.in_link or tag == "a"
        self.in_pre = self.in_pre or tag == "pre"
        if tag == "a":
            self.links.append("")
        self.add(el.text)
        for child in el:
            self.walk(child)
        if block:
            self.end_paragraph()
            self.prefix = ""
        self.in_link, self.in_pre, self.container = saved

    def _bullet(self, el: Any) -> str:
        """"• " for an unordered list item, "N. " for the N-th item of an ordered list."""
        parent = el.getparent()
        if parent is not None and isinstance(parent.tag, str) and parent.tag.lower() == "ol":
            items = [c for c in parent if isinstance(c.tag, str) and c.tag.lower() == "li"]
            return f"{items.index(el) + 1}. "
        return "• "

    def _line_of(self, el: Any) -> int | None:
        """The element's source line; past libxml2's 65535 limit, found by searching the text onwards."""
        line = el.sourceline
        if line is None:
            return None
        if line < LXML_MAX_LINE:
            return line
        return max(self.cursor, LXML_MAX_LINE)

    def add(self, text: str | None) -> None:
        """Append a text fragment to the current line, advancing the source-line cursor over its newlines."""
        if not text:
            return
        if self.in_pre:
            first, *rest = text.split("\n")
            self._append(first)
            for segment in rest:
                self.end_line()
                self.cursor += 1
                self._append(segment)
            return
        self._append(text)
        self.cursor += text.count("\n")

    def _append(self, text: str) -> None:
        """Add text that starts on the cursor line (leading newlines move it) to the current line."""
        if not text.strip():
            if self.parts:
                self.parts.append(text)
            return
        if self.start is None:
            self.start = self.cursor + text[:len(text) - len(text.lstrip())].count("\n")
            if self.start >= LXML_MAX_LINE:
                self.start = locate_line(text, self.raw, self.start, len(self.raw) + 1) or self.start
                self.cursor = max(self.cursor, self.start)
        self.parts.append(text)
        if self.in_link:
            if not self.links:
                self.links.append("")
            self.links[-1] += text
        else:
            self.other_words += len(_WORD.findall(text))

    def end_line(self) -> None:
        """Close the current line (``<br>``, a ``<pre>`` newline, a block end)."""
        text = "".join(self.parts)
        text = text.rstrip() if self.in_pre else " ".join(text.split())
        if text.strip() and self.start is not None:
            links = [" ".join(link.split()) for link in self.links if link.strip()]
            self.pieces.append(Piece(self.prefix + text, self.start, self.paragraph, self.container, links,
                                     bool(links) and self.other_words == 0))
            self.prefix = ""
        self.parts, self.links, self.other_words, self.start = [], [], 0, None

    def end_paragraph(self) -> None:
        """Close the current line and start a new paragraph."""
        self.end_line()
        self.paragraph += 1


def compose(pieces: list[Piece], main: set[str] | None) -> tuple[list[str], list[int]]:
    """Page lines (paragraphs separated by one blank line) and their source lines.

    Runs of short links outside the main content (``main``; None means all is content) in one menu, list or
    footer become one "A | B | C" line.
    """
    lines: list[str] = []
    sources: list[int] = []
    i = 0
    while i < len(pieces):
        piece, j = pieces[i], i + 1
        text = piece.text
        if main is not None and _is_link_row(piece, main):
            while j < len(pieces) and pieces[j].container == piece.container and _is_link_row(pieces[j], main):
                j += 1
            links = [link for p in pieces[i:j] for link in p.links]
            if len(links) >= 2:
                text = " | ".join(links)
            else:
                j = i + 1
        if lines and pieces[i - 1].paragraph != piece.paragraph:
            lines.append("")
            sources.append(sources[-1])
        lines.append(text)
        sources.append(piece.line)
        i = j
    return lines, sources


def _is_link_row(piece: Piece, main: set[str]) -> bool:
    """A line of short links only (a menu item), outside the extracted main content."""
    return (piece.link_only and all(len(_WORD.findall(link)) <= MAX_LINK_WORDS for link in piece.links)
            and _key(piece.text) not in main)


def locate_line(text: str, raw: Sequence[str], start: int, stop: int) -> int | None:
    """The first line number in ``start..stop-1`` (1-based) of ``raw`` whose markup holds the start of ``text``.

    Tries the first four words, then two, then one; words may be separated by tags, entities or escaped tags.
    """
    words = _WORD.findall(text)[:4]
    for n in (4, 2, 1):
        if len(words) < n or (n == 1 and len(words[0]) < 3):
            continue
        pattern = re.compile(r"(?<!\w)" + _SEP.join(re.escape(w) for w in words[:n]) + r"(?!\w)")
        for number in range(max(start, 1), min(stop, len(raw) + 1)):
            if pattern.search(raw[number - 1]):
                return number
    return None
