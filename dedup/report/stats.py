"""Report numbers: the per-source table and the overview (headline counts, chart geometry for inline SVG).

Used by ``data.build_data``. The source table is built with pandas (articles, stories, duplicate rate,
boilerplate share) and scores a sample of each source's cleaned text with textstat (Flesch reading ease and grade).

    >>> similarity_bins([0.82, 0.97])
    [('0.80', 1), ('0.85', 0), ('0.90', 0), ('0.95', 1)]
"""

from __future__ import annotations

import functools
import math
import os
from collections import Counter, defaultdict
from typing import Any, Sequence

from .outputs import Outputs, _finite, _int_or_zero, _str_or_none
from .pages import PageSource, block_text

READABILITY_SAMPLE_WORDS = 5000  # per source, at most ...
READABILITY_TOTAL_WORDS = 400_000  # ... and about this many over all sources (textstat is slow on many files)
READABILITY_MIN_WORDS = 150
# Sources scored at most: past this, even the smallest sample of each would exceed the total, so only the sources
# with the most articles are scored (a folder of 30k one-page files would take textstat minutes otherwise).
READABILITY_MAX_SOURCES = READABILITY_TOTAL_WORDS // READABILITY_MIN_WORDS
CHART_MAX_SOURCES = 30
BOILERPLATE_LABELS = ("boilerplate", "template")


@functools.lru_cache(maxsize=1)
def readability_method() -> str:
    """How readability is computed here: textstat with its CMU dictionary when installed, else textstat's
    counts with pyphen syllables (textstat would otherwise try to download the dictionary)."""
    try:
        import nltk
    except ImportError:
        nltk = None
    if nltk is not None and has_cmudict(nltk.data.path):
        return "textstat (CMU pronouncing dictionary)"
    return "textstat sentence and word counts, pyphen syllables (nltk cmudict not installed)"


def has_cmudict(folders: Sequence[object]) -> bool:
    """Whether nltk's data ``folders`` hold the CMU dictionary (``corpora/cmudict``, as a folder or a zip file), as
    ``nltk.data.find`` looks for it. Not by calling it: its failed lookups leave the error and their frames in a
    reference cycle, which kept the calling frames, with the report's whole data, alive until the cyclic
    collector ran (1.6 s at 100k articles)."""
    return any(os.path.exists(os.path.join(folder, "corpora", name))
               for folder in folders if isinstance(folder, str) for name in ("cmudict", "cmudict.zip"))


@functools.lru_cache(maxsize=200_000)
def _syllables(word: str) -> int:
    """Syllables of one lower-case word by pyphen hyphenation points (textstat's own fallback)."""
    return len(_pyphen().positions(word)) + 1 if word else 0


@functools.lru_cache(maxsize=1)
def _pyphen() -> Any:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


def readability(text: str) -> tuple[float | None, float | None]:
    """(Flesch reading ease, Flesch-Kincaid grade) of a text, rounded; (None, None) for no text."""
    import textstat

    if not text.strip():
        return None, None
    if readability_method().startswith("textstat (CMU"):
        return round(float(textstat.flesch_reading_ease(text)), 1), round(float(textstat.flesch_kincaid_grade(text)), 1)
    words = textstat.remove_punctuation(text).lower().split()
    per_sentence = float(textstat.words_per_sentence(text))
    if not words or per_sentence == 0:
        return None, None
    per_word = sum(_syllables(w) for w in words) / len(words)
    return round(206.835 - 1.015 * per_sentence - 84.6 * per_word, 1), round(0.39 * per_sentence + 11.8 * per_word
                                                                             - 15.59, 1)


def source_table(outputs: Outputs, pages: list[PageSource], scorer: Readability | None = None
                 ) -> tuple[list[dict[str, Any]], str]:
    """Per input file: articles, stories, duplicate rate, boilerplate share, readability (pandas, and ``scorer``
    or this process for readability); and how readability was computed."""
    import pandas as pd

    occ = pd.DataFrame({"path": [r["path"] for r in outputs.occurrences],
                        "story": [r["cluster_id"] for r in outputs.occurrences],
                        "canonical": [bool(r.get("canonical")) for r in outputs.occurrences]},
                       columns=["path", "story", "canonical"])
    blk = pd.DataFrame({"path": [r["path"] for r in outputs.blocks],
                        "label": [str(r["label"]) for r in outputs.blocks],
                        "lines": [r["end_line"] - r["start_line"] + 1 for r in outputs.blocks]},
                       columns=["path", "label", "lines"])
    page_df = pd.DataFrame({"path": [p.path for p in pages], "available": [p.lines is not None for p in pages]},
                           columns=["path", "available"])
    by_occ = occ.groupby("path").agg(articles=("story", "size"), stories=("story", "nunique"),
                                     canonical=("canonical", "sum"))
    blk["bp"] = blk["lines"].where(blk["label"].isin(BOILERPLATE_LABELS), 0)
    blk["removed"] = blk["lines"].where(blk["label"] != "content", 0)
    by_blk = blk.groupby("path").agg(lines=("lines", "sum"), bp=("bp", "sum"), removed=("removed", "sum"))
    by_page = page_df.groupby("path").agg(pages=("available", "size"), available=("available", "sum"))
    table = by_page.join(by_occ, how="outer").join(by_blk, how="outer").fillna(0).sort_index()
    table["duplicate_rate"] = (1 - table["canonical"] / table["articles"].where(table["articles"] > 0)).round(4)
    table["boilerplate_share"] = (table["bp"] / table["lines"].where(table["lines"] > 0)).round(4)
    table["removed_share"] = (table["removed"] / table["lines"].where(table["lines"] > 0)).round(4)
    scored = scored_sources({str(path): int(n) for path, n in table["articles"].items()})
    samples = _clean_samples(outputs, pages, scored)
    method, scores = (scorer or Readability()).scores({path: text for path, text in samples.items() if text.strip()})
    encodings = (outputs.summary.get("inputs") or {}).get("encodings") or {}
    rows = []
    columns = {name: table[name].tolist() for name in table.columns}  # a Series per row costs ~30 us
    for n, path in enumerate(table.index.tolist()):
        rec = {name: values[n] for name, values in columns.items()}
        sample = samples.get(str(path), "")
        fre, grade = scores.get(str(path), (None, None))
        rows.append({"path": str(path), "encoding": _str_or_none(encodings.get(path)), "pages": int(rec["pages"]),
                     "available": int(rec["available"]), "articles": int(rec["articles"]),
                     "stories": int(rec["stories"]), "canonical": int(rec["canonical"]),
                     "duplicate_rate": _clean_float(rec["duplicate_rate"]), "lines": int(rec["lines"]),
                     "boilerplate_share": _clean_float(rec["boilerplate_share"]),
                     "removed_share": _clean_float(rec["removed_share"]), "words": len(sample.split()),
                     "flesch": fre, "grade": grade})
    return rows, method


Scores = dict[str, tuple[float | None, float | None]]


class Readability:
    """``readability`` of the source samples, by a process of its own when ``workers`` > 1: started with the
    report, it imports textstat (with nltk and scipy: ~0.9 s, more than the scoring) while the output files are
    read, then scores the samples it is sent. The scores and the method are those this process would compute."""

    def __init__(self, workers: int = 1) -> None:
        self._conn: Any = None
        if workers > 1:
            from ..parallel import _main_script_hidden, _pool_context

            context = _pool_context()
            self._conn, theirs = context.Pipe()
            try:
                with _main_script_hidden():
                    self._process = context.Process(target=_serve_readability, args=(theirs,), daemon=True)
                    self._process.start()
            except OSError:  # no process can be started here (a limit on processes): score in this one
                self._conn.close()
                self._conn = None
            finally:
                theirs.close()

    def scores(self, samples: dict[str, str]) -> tuple[str, Scores]:
        """(method, {path: (Flesch reading ease, grade)}) of the non-blank ``samples``."""
        if self._conn is not None:
            try:
                self._conn.send(samples)
                return self._conn.recv()  # type: ignore[no-any-return]
            except (EOFError, OSError):  # the process is gone: score here
                pass
            finally:
                self.close()
        return readability_method(), {path: readability(text) for path, text in samples.items()}

    def close(self) -> None:
        """Stop the process, if one was started and is still there."""
        if self._conn is not None:
            self._conn.close()
            self._process.join()
            self._conn = None


def _serve_readability(conn: Any) -> None:
    """``Readability``'s process: import textstat, then score the samples it is sent (none: the report stopped)."""
    try:
        method = readability_method()
        import textstat  # noqa: F401  (loaded before the samples come)

        samples = conn.recv()
        conn.send((method, {path: readability(text) for path, text in samples.items()}))
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


def _clean_float(value: Any) -> float | None:
    """A rounded float, or None for NaN."""
    return round(float(value), 4) if value is not None and math.isfinite(float(value)) else None


def scored_sources(articles: dict[str, int]) -> set[str]:
    """The sources (path -> articles) whose readability is scored: all of them, or the ``READABILITY_MAX_SOURCES``
    with the most articles (the first paths in order among equals)."""
    if len(articles) <= READABILITY_MAX_SOURCES:
        return set(articles)
    return set(sorted(articles, key=lambda path: (-articles[path], path))[:READABILITY_MAX_SOURCES])


def readability_note(sources: int, method: str) -> str:
    """How readability is computed (``method``), and which sources are scored when not all are."""
    if sources <= READABILITY_MAX_SOURCES:
        return method
    return f"{method}; scored for the {READABILITY_MAX_SOURCES:,} sources with the most articles, of {sources:,}"


def sample_words(sources: int) -> int:
    """Words of cleaned text sampled per source: all sources together stay near READABILITY_TOTAL_WORDS."""
    return max(READABILITY_MIN_WORDS, min(READABILITY_SAMPLE_WORDS, READABILITY_TOTAL_WORDS // max(sources, 1)))


def _clean_samples(outputs: Outputs, pages: list[PageSource], scored: set[str]) -> dict[str, str]:
    """Cleaned text per ``scored`` source: its articles' content blocks in input order, whole blocks up to the
    sample size."""
    cap = sample_words(len({p.path for p in pages}))
    samples: dict[str, list[str]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for page in pages:
        if page.lines is None or page.path not in scored:
            continue
        for row in page.blocks:
            if counts[page.path] >= cap:
                break
            if row.get("occurrence_id") is not None and row["label"] == "content" and row.get("kind") != "title":
                text = block_text(page.lines, row)
                samples[page.path].append(text)
                counts[page.path] += len(text.split())
    return {path: "\n\n".join(parts) for path, parts in samples.items()}


def overview(outputs: Outputs, pages: list[PageSource], sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Headline numbers and the three charts (as bar geometry for inline SVG)."""
    lines: Counter[str] = Counter()
    for row in outputs.blocks:
        lines[str(row["label"])] += row["end_line"] - row["start_line"] + 1
    total = sum(lines.values())
    matches = Counter(r.get("match") for r in outputs.occurrences if not r.get("canonical"))
    near = sorted(float(r["similarity"]) for r in outputs.occurrences
                  if r.get("match") == "near" and not r.get("canonical") and _finite(r.get("similarity")))
    copies = Counter(min(int(r.get("copies") or 1), 10) for r in outputs.corpus)
    counts = outputs.summary.get("counts") if isinstance(outputs.summary.get("counts"), dict) else {}
    bp_lines = sum(lines[label] for label in BOILERPLATE_LABELS)
    return {
        "inputs": len({p.path for p in pages} | set(_listed_inputs(outputs.summary))),
        "pages": len(pages), "occurrences": len(outputs.occurrences), "stories": len(outputs.corpus),
        "exact_copies": matches["exact"], "near_copies": matches["near"],
        "lines": total, "lines_by_label": dict(sorted(lines.items())),
        "boilerplate_lines": bp_lines, "boilerplate_share": round(bp_lines / total, 4) if total else None,
        "removed_share": round((total - lines["content"]) / total, 4) if total else None,
        "groups": len(outputs.groups),
        "boilerplate_groups": sum(1 for g in outputs.groups if g.get("label") not in (None, "content")),
        "templates": len(outputs.templates) if outputs.templates is not None else None,
        "skipped": len(outputs.summary.get("skipped") or []) if isinstance(outputs.summary.get("skipped"), list)
        else _int_or_zero(counts.get("skipped")),
        "charts": {
            "copies": histogram_chart([(("10+" if k == 10 else str(k)), copies[k]) for k in range(1, 11)],
                                      "copies per story", "stories"),
            "near": histogram_chart(similarity_bins(near), "similarity of near copies", "near copies"),
            "sources": source_chart(sources),
        },
    }


def _listed_inputs(summary: dict[str, Any]) -> list[str]:
    inputs = summary.get("inputs")
    files = inputs.get("files") if isinstance(inputs, dict) else None
    return [str(f) for f in files] if isinstance(files, list) else []


def similarity_bins(values: list[float], width: float = 0.05) -> list[tuple[str, int]]:
    """Histogram bins of similarities from the lowest bin that has a value up to 1.0."""
    if not values:
        return []
    lowest = min(int(math.floor(min(values) / width + 1e-9)), int(round(1 / width)) - 1)
    bins = []
    for k in range(lowest, int(round(1 / width))):
        lo, hi = k * width, (k + 1) * width
        last = k == int(round(1 / width)) - 1
        n = sum(1 for v in values if lo - 1e-9 <= v < hi - 1e-9 or (last and v >= hi - 1e-9))
        bins.append((f"{lo:.2f}", n))
    return bins


def histogram_chart(bins: list[tuple[str, int]], title: str, unit: str) -> dict[str, Any]:
    """Vertical bar chart geometry (viewBox 0 0 360 180)."""
    width, height, left, bottom, top = 360, 180, 34, 26, 14
    peak = max((n for _, n in bins), default=0)
    bars = []
    slot = (width - left - 6) / max(len(bins), 1)
    for i, (label, n) in enumerate(bins):
        h = (height - bottom - top) * n / peak if peak else 0
        bars.append({"x": round(left + i * slot + 2, 2), "y": round(height - bottom - h, 2), "w": round(slot - 4, 2),
                     "h": round(h, 2), "label": label, "value": n, "tip": f"{label}: {n} {unit}",
                     "lx": round(left + i * slot + slot / 2, 2)})
    return {"title": title, "unit": unit, "bars": bars, "peak": peak, "width": width, "height": height,
            "left": left, "base": height - bottom, "top": top}


def source_chart(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Horizontal bars: boilerplate share of each source (the highest CHART_MAX_SOURCES)."""
    ranked = sorted((s for s in sources if s["boilerplate_share"] is not None),
                    key=lambda s: (-s["boilerplate_share"], s["path"]))
    shown = ranked[:CHART_MAX_SOURCES]
    row_h, left, width = 16, 170, 360
    bars = []
    for i, s in enumerate(shown):
        share = s["boilerplate_share"]
        name = s["path"].rsplit("/", 1)[-1]
        bars.append({"y": i * row_h + 4, "w": round((width - left - 40) * share, 2), "h": row_h - 4,
                     "label": name if len(name) <= 26 else name[:25] + "\u2026", "value": f"{share:.0%}",
                     "tip": f"{s['path']}: {share:.1%} of {s['lines']} lines are boilerplate"})
    return {"title": "boilerplate share per source", "bars": bars, "left": left, "width": width,
            "height": len(shown) * row_h + 8, "total": len(ranked), "shown": len(shown), "max_w": width - left - 40}
