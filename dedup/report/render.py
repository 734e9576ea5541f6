"""Report page: the data island -> the HTML document, written atomically.

The last step of ``build_report``. Renders ``report_assets/report.html.j2`` (jinja2, autoescape on) with the data
as one escaped JSON island, the packaged script and style inlined, and a Content-Security-Policy that allows
exactly those two by SHA-256 hash. The document is made and written in pieces (the island a slice of each long
list at a time), never held whole: for 100k articles it is ~170 MB, and each whole copy of it cost new memory.

    >>> write_atomic(Path("reports/report.html"), render(data))
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator

import jinja2
from markupsafe import Markup

from .outputs import ReportError

OVERVIEW_MAX_SKIPPED = 50
ISLAND_PIECE_ITEMS = 4096  # a long list of the island is serialised this many items at a time
ISLAND_MARK = "<dedup-data-island/>"  # where the island goes in the rendered page: autoescaped text cannot hold "<"


ISLAND_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027", "\u2028": "\\u2028",
                  "\u2029": "\\u2029"}


def island_json(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&``, ``'``, U+2028/2029 raw.

    (jinja's own ``tojson`` keeps U+2028/2029 raw when ensure_ascii is off.) ``island_pieces`` writes the page's
    island with it, a slice at a time.
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    for raw, escaped in ISLAND_ESCAPES.items():
        text = text.replace(raw, escaped)
    return Markup(text)


def island_pieces(data: dict[str, Any], items: int = ISLAND_PIECE_ITEMS) -> Iterator[str]:
    """``island_json(data)`` in pieces, a long list ``items`` at a time: the same text, never all of it at once
    (for 100k articles the island is ~170 MB; pieces of a few MB reuse the same memory).

    The island's escapes replace single characters, and ``json.dumps`` of a list is its items' texts joined by
    ``,`` inside brackets, so the pieces join to exactly ``island_json(data)``."""
    yield "{"
    for n, key in enumerate(sorted(data)):
        yield ("," if n else "") + island_json(str(key)) + ":"
        value = data[key]
        if not isinstance(value, list) or len(value) <= items:
            yield str(island_json(value))
            continue
        yield "["
        for start in range(0, len(value), items):
            yield ("," if start else "") + island_json(value[start:start + items])[1:-1]
        yield "]"
    yield "}"


def csp_hash(text: str) -> str:
    """A CSP hash source for an inline element's exact text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    """Nothing but the report's own inline script and style; no network of any kind."""
    return (f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; img-src data:; "
            "connect-src 'none'; font-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
            "worker-src 'none'; manifest-src 'none'; base-uri 'none'; form-action 'none'")


def _asset(name: str, closing: str) -> str:
    """A packaged asset inlined into the page; it must not be able to close its element."""
    text = resources.files("dedup").joinpath("report_assets", name).read_text(encoding="utf-8")
    lowered = text.lower()
    if closing in lowered or "<!--" in lowered:
        raise ReportError(f"dedup/report_assets/{name}: contains {closing!r} or '<!--', which would end the inline "
                          "element early; rewrite that part of the asset")
    return text


def render(data: dict[str, Any]) -> Iterator[str]:
    """The whole HTML document, in pieces (``island_pieces``); ``write_atomic`` writes them."""
    script, style = _asset("report.js", "</script"), _asset("report.css", "</style")
    env = jinja2.Environment(loader=jinja2.PackageLoader("dedup", "report_assets"),
                             autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["pct"] = lambda v: "\u2014" if v is None else f"{v:.1%}"
    template = env.get_template("report.html.j2")
    page = template.render(island=Markup(ISLAND_MARK), ov=data["overview"], meta=data["meta"],
                           csp=content_security_policy(script, style), script=Markup(script), style=Markup(style),
                           skipped_cap=OVERVIEW_MAX_SKIPPED)
    head, mark, tail = page.partition(ISLAND_MARK)
    if not mark or ISLAND_MARK in tail:
        raise ReportError("dedup/report_assets/report.html.j2: must place {{ island }} exactly once")
    yield head
    yield from island_pieces(data)
    yield tail


def write_atomic(path: Path, pieces: Iterable[str]) -> None:
    """Write the text ``pieces`` to ``path`` via a temp file in the same folder, fsync, os.replace, fsync the
    folder."""
    if isinstance(pieces, str):
        raise TypeError("write_atomic takes the text as pieces (a list or an iterator of str), not one str")
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            for piece in pieces:
                fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
