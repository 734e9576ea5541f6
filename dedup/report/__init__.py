"""Stage 10, report: the output files in DIR -> ``DIR/report.html``, one self-contained offline page.

Runs after ``write`` (``dedup run`` calls it last; ``dedup report DIR`` rebuilds it). It reads corpus.jsonl,
occurrences.jsonl, blocks.jsonl, groups.jsonl, summary.json (and templates.jsonl when present), re-reads the input
files they name for the per-page view, and renders ``report_assets/report.html.j2`` with jinja2 (autoescape on).

Safety: scraped text is untrusted. Everything the page script needs travels in ONE JSON data island
(``<script type="application/json" id="data">``) serialised by ``island_json`` (``<``, ``>``, ``&``, ``'``,
U+2028 and U+2029 escaped, so no ``</script>`` or ``<!--`` can appear); the script builds the DOM with
createElement/textContent only. A Content-Security-Policy meta tag allows exactly the report's own inline script
and style by SHA-256 hash, computed here; nothing is loaded from anywhere.

Size: page lines are stored once in a string table (identical lines, e.g. boilerplate and exact copies, share
one entry) and every page refers to them by index, with its blocks as flat ``[start, end, style]`` triples.
Embedded text is capped by ``max_text_bytes``; pages past the cap keep their line labels but not their text.

Output is deterministic: the same output files (and input files) give the same bytes; nothing is timestamped.

    >>> build_report(Path("reports"))
    PosixPath('reports/report.html')
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .data import DEFAULT_MAX_TEXT_BYTES, build_data, word_diff
from .outputs import REPORT_NAME, Outputs, ReportError, load_outputs
from .pages import PageSource, load_pages

OVERVIEW_MAX_SKIPPED = 50


ISLAND_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027", "\u2028": "\\u2028",
                  "\u2029": "\\u2029"}


def island_json(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&``, ``'``, U+2028/2029 raw.

    Registered as the template's ``tojson`` filter (jinja's own keeps U+2028/2029 raw when ensure_ascii is off).
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    for raw, escaped in ISLAND_ESCAPES.items():
        text = text.replace(raw, escaped)
    return Markup(text)


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


def render(data: dict[str, Any]) -> str:
    """The whole HTML document."""
    script, style = _asset("report.js", "</script"), _asset("report.css", "</style")
    env = jinja2.Environment(loader=jinja2.PackageLoader("dedup", "report_assets"),
                             autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["tojson"] = island_json
    env.filters["pct"] = lambda v: "\u2014" if v is None else f"{v:.1%}"
    template = env.get_template("report.html.j2")
    return template.render(data=data, ov=data["overview"], meta=data["meta"], csp=content_security_policy(script,
                           style), script=Markup(script), style=Markup(style), skipped_cap=OVERVIEW_MAX_SKIPPED)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder, fsync, os.replace, fsync the folder."""
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
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

__all__ = ["DEFAULT_MAX_TEXT_BYTES", "REPORT_NAME", "Outputs", "PageSource", "ReportError", "build_data",
           "build_report", "island_json", "load_outputs", "load_pages", "render", "word_diff", "write_atomic"]


def build_report(out_dir: Path, *, inputs_root: Path | None = None,
                 max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> Path:
    """Build ``out_dir/report.html`` from the output files in ``out_dir``; return its path.

    Relative input paths are resolved against ``inputs_root`` (default: the current folder, where ``dedup run``
    was started). Raises ``ReportError`` when an output file is missing or damaged.
    """
    if max_text_bytes < 0:
        raise ValueError(f"max_text_bytes={max_text_bytes}: give 0 or more bytes of page text to embed")
    out_dir = Path(out_dir)
    outputs = load_outputs(out_dir)
    for stale in out_dir.glob(".report-*.tmp"):
        stale.unlink(missing_ok=True)
    pages = load_pages(outputs, Path(inputs_root) if inputs_root is not None else Path.cwd())
    html = render(build_data(outputs, pages, max_text_bytes=max_text_bytes))
    target = out_dir / REPORT_NAME
    try:
        write_atomic(target, html)
    except OSError as err:
        raise ReportError(f"{target}: cannot write the report: {err.strerror or err}; check the folder's "
                          "permissions and free space") from err
    return target
