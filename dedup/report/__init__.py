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

Modules, in the order ``build_report`` uses them: ``outputs`` (read and check the output files), ``pages`` (re-read
the input pages), ``data`` (the data island; its numbers and charts come from ``stats``), ``render`` (the HTML
page and its atomic write).

    >>> build_report(Path("reports"))
    PosixPath('reports/report.html')
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from ..parallel import default_workers, no_cycle_collection
from .data import DEFAULT_MAX_TEXT_BYTES, build_data, word_diff
from .outputs import REPORT_NAME, Outputs, ReportError, load_outputs
from .pages import PageSource, load_pages
from .render import island_json, render, write_atomic
from .stats import Readability

PROCESS_MIN_ARTICLES = 20_000  # below this, the report is built by one process

__all__ = ["DEFAULT_MAX_TEXT_BYTES", "REPORT_NAME", "Outputs", "PageSource", "ReportError", "build_data",
           "build_report", "island_json", "load_outputs", "load_pages", "render", "word_diff", "write_atomic"]


@no_cycle_collection()  # the rows and the page lines are millions of objects in no cycle
def build_report(out_dir: Path, *, inputs_root: Path | None = None,
                 max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES, workers: int | None = None,
                 progress: Callable[[str], None] | None = None) -> Path:
    """Build ``out_dir/report.html`` from the output files in ``out_dir``; return its path.

    Relative input paths are resolved against ``inputs_root`` (default: the current folder, where ``dedup run``
    was started). With ``workers`` > 1 (default: the CPUs available) and a run of ``PROCESS_MIN_ARTICLES`` or more,
    readability is scored by a second process (``Readability``) and the near copies' word diffs computed by a third
    while the other rows are built; the report's bytes do not depend on it. ``progress`` is told each step as it
    ends (a 100k-article report takes ~15 s). Raises ``ReportError`` when an output file is missing or damaged.
    """
    if max_text_bytes < 0:
        raise ValueError(f"max_text_bytes={max_text_bytes}: give 0 or more bytes of page text to embed")
    out_dir = Path(out_dir)
    workers = default_workers() if workers is None else workers
    workers = workers if _articles(out_dir) >= PROCESS_MIN_ARTICLES else 1
    step = _Steps(progress)
    scorer = Readability(workers)
    try:
        outputs = load_outputs(out_dir)
        step(f"read {len(outputs.corpus):,} stories, {len(outputs.occurrences):,} articles and "
             f"{len(outputs.blocks):,} blocks")
        for stale in out_dir.glob(".report-*.tmp"):
            stale.unlink(missing_ok=True)
        pages = load_pages(outputs, Path(inputs_root) if inputs_root is not None else Path.cwd())
        step(f"re-read {len(pages):,} input pages, {sum(p.lines is not None for p in pages):,} with their text")
        data = build_data(outputs, pages, max_text_bytes=max_text_bytes, scorer=scorer, workers=workers)
        step("built the page's data")
    finally:
        scorer.close()
    target = out_dir / REPORT_NAME
    try:
        write_atomic(target, render(data))
    except OSError as err:
        raise ReportError(f"{target}: cannot write the report: {err.strerror or err}; check the folder's "
                          "permissions and free space") from err
    step(f"wrote {REPORT_NAME}, {target.stat().st_size / 1e6:.1f} MB")
    return target


class _Steps:
    """Tells ``progress`` that a step of the report ended, with the seconds it took."""

    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.progress, self.start = progress, time.perf_counter()

    def __call__(self, what: str) -> None:
        if self.progress is not None:
            now = time.perf_counter()
            self.progress(f"report: {what} ({now - self.start:.2f}s)")
            self.start = now


def _articles(out_dir: Path) -> int:
    """The articles the run's summary.json counts, or 0 where it cannot say (``load_outputs`` reports why)."""
    try:
        counts = json.loads((out_dir / "summary.json").read_text(encoding="utf-8")).get("counts")
        return int(counts.get("occurrences", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 0
