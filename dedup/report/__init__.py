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
import functools
import hashlib
import json
import math
import os
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence

import jinja2
from markupsafe import Markup

from .outputs import REPORT_NAME, Outputs, ReportError, _finite, _int_or_zero, _is_int, _str_or_none, load_outputs
from .pages import PageKey, PageSource, _page_key, block_text, load_pages, occurrence_paragraphs

DEFAULT_MAX_TEXT_BYTES = 48 * 1024 * 1024
READABILITY_SAMPLE_WORDS = 5000  # per source, at most ...
READABILITY_TOTAL_WORDS = 400_000  # ... and about this many over all sources (textstat is slow on many files)
READABILITY_MIN_WORDS = 150
DIFF_MAX_WORDS = 20000
DIFF_CONTEXT_WORDS = 12
CHART_MAX_SOURCES = 30
OVERVIEW_MAX_SKIPPED = 50
BOILERPLATE_LABELS = ("boilerplate", "template")
LABEL_ORDER = ("content", "boilerplate", "template", "duplicate-title")
PAGE_COLS = ("source", "record", "status", "note", "lines", "line_count", "blocks", "occurrences")
OCC_COLS = ("id", "page", "start", "end", "title", "story", "canonical", "similarity", "match", "words", "diff",
            "diff_note")
STORY_COLS = ("cluster_id", "doc_id", "title", "occurrences", "text")
STYLE_COLS = ("label", "kind", "reason", "group", "support")
GROUP_COLS = ("group_id", "representative", "label", "kind", "support", "blocks", "wordings", "sites",
              "first_page", "first_line", "last_page", "last_line")
TEMPLATE_COLS = ("template_id", "template", "kind", "support", "occurrences")
TEMPLATE_PLACE_KEYS = frozenset({"path", "record", "start_line", "end_line", "slots"})
SOURCE_COLS = ("path", "encoding", "pages", "available", "articles", "stories", "canonical", "duplicate_rate",
               "lines", "boilerplate_share", "removed_share", "words", "flesch", "grade")


class Interner:
    """A string table: each distinct string stored once, referred to by index; counts embedded bytes."""

    def __init__(self) -> None:
        self.items: list[str] = [""]
        self.index: dict[str, int] = {"": 0}
        self.bytes = 0

    def add(self, text: str) -> int:
        """Index of ``text``, adding it when new."""
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.items)
            self.items.append(text)
            self.bytes += len(text.encode("utf-8"))
        return found

    def cost(self, texts: Iterable[str]) -> int:
        """Bytes that adding ``texts`` would embed."""
        new = {t for t in texts if t not in self.index}
        return sum(len(t.encode("utf-8")) for t in new)


class Codes:
    """Small vocabulary (labels, kinds, reasons) mapped to indices; -1 stands for None."""

    def __init__(self, first: Sequence[str] = ()) -> None:
        self.items: list[str] = list(first)
        self.index = {s: i for i, s in enumerate(self.items)}

    def code(self, value: Any) -> int:
        if value is None:
            return -1
        value = str(value)
        if value not in self.index:
            self.index[value] = len(self.items)
            self.items.append(value)
        return self.index[value]


@dataclass
class Tables:
    """Everything ``build_data`` assembles before it is put into the island."""

    strings: Interner = field(default_factory=Interner)
    labels: Codes = field(default_factory=lambda: Codes(LABEL_ORDER))
    kinds: Codes = field(default_factory=Codes)
    reasons: Codes = field(default_factory=Codes)
    styles: dict[tuple[int, int, int, int, int], int] = field(default_factory=dict)

    def style(self, row: dict[str, Any], groups: dict[str, int]) -> int:
        """Index of the (label, kind, reason, group, support) combination of a block row."""
        support = row.get("support")
        key = (self.labels.code(row["label"]), self.kinds.code(row.get("kind")), self.reasons.code(row.get("reason")),
               groups.get(row.get("group_id"), -1) if row.get("group_id") is not None else -1,
               support if _is_int(support) else 0)
        return self.styles.setdefault(key, len(self.styles))


def build_data(outputs: Outputs, pages: list[PageSource], *,
               max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> dict[str, Any]:
    """The JSON-ready data island: string table, pages, occurrences, stories, groups, templates, sources."""
    t = Tables()
    group_index = {row["group_id"]: i for i, row in enumerate(outputs.groups)}
    page_index = {(p.path, p.record): p.index for p in pages}
    occ_index = {row["occurrence_id"]: i for i, row in enumerate(outputs.occurrences)}
    story_index = {row["cluster_id"]: i for i, row in enumerate(outputs.corpus)}
    _embed_lines(pages, t, max_text_bytes)
    page_occs: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(outputs.occurrences):
        page_occs[page_index[_page_key(row)]].append(i)
    sources = source_table(outputs, pages)
    source_index = {row["path"]: i for i, row in enumerate(sources)}
    page_rows = [_page_row(p, t, group_index, page_occs[p.index], source_index[p.path]) for p in pages]
    occ_rows = _occurrence_rows(outputs, pages, page_index, story_index, t)
    story_rows = _story_rows(outputs, pages, page_index, occ_index, t, max_text_bytes)
    group_rows = [_group_row(g, t, page_index) for g in outputs.groups]
    template_rows = _template_rows(outputs.templates, page_index) if outputs.templates is not None else None
    for row in [*outputs.groups, *(outputs.templates or [])]:
        t.kinds.code(_str_or_none(row.get("kind")))
    return {
        "format": 1,
        "cols": {"pages": PAGE_COLS, "occurrences": OCC_COLS, "stories": STORY_COLS, "styles": STYLE_COLS,
                 "groups": GROUP_COLS, "templates": TEMPLATE_COLS, "sources": SOURCE_COLS},
        "meta": _meta(outputs, pages, max_text_bytes),
        "overview": overview(outputs, pages, sources),
        "strings": t.strings.items,
        "labels": t.labels.items,
        "kinds": t.kinds.items,
        "reasons": t.reasons.items,
        "styles": [list(k) for k, _ in sorted(t.styles.items(), key=lambda kv: kv[1])],
        "pages": page_rows,
        "occurrences": occ_rows,
        "stories": story_rows,
        "groups": group_rows,
        "templates": template_rows,
        "sources": [[row[c] for c in SOURCE_COLS] for row in sources],
    }


def _embed_lines(pages: list[PageSource], t: Tables, max_text_bytes: int) -> None:
    """Intern page lines in input order until the budget is spent; later pages are marked ``omitted``."""
    for page in pages:
        if page.lines is None:
            continue
        if t.strings.bytes + t.strings.cost(page.lines) > max_text_bytes:
            page.status = "omitted"
            page.note = (f"the text of {page.where} is not embedded: the report's text budget "
                         f"({max_text_bytes // (1024 * 1024)} MiB, max_text_bytes) was spent; line labels are shown")
            continue
        for line in page.lines:
            t.strings.add(line)


def _page_row(page: PageSource, t: Tables, groups: dict[str, int], occs: list[int], source: int) -> list[Any]:
    """One page: source, record, status, note, line ids (or None), and blocks as flat [start, end, style]."""
    flat: list[int] = []
    for row in page.blocks:
        flat.extend((row["start_line"], row["end_line"], t.style(row, groups)))
    embedded = page.lines is not None and page.status == "ok"
    line_ids = [t.strings.index[line] for line in page.lines] if embedded and page.lines is not None else None
    count = len(page.lines) if page.lines is not None else max((r["end_line"] for r in page.blocks), default=0)
    return [source, page.record, page.status, page.note, line_ids, count, flat, occs]


def _intern(t: Tables, value: Any) -> int:
    """String-table index of a text field (titles repeat across copies and usually equal a page line), or -1."""
    return t.strings.add(value) if isinstance(value, str) else -1


def _occurrence_rows(outputs: Outputs, pages: list[PageSource], page_index: dict[PageKey, int],
                     story_index: dict[str, int], t: Tables) -> list[list[Any]]:
    """One row per occurrence; near copies carry a word diff against their story's canonical text."""
    corpus_text = {row["cluster_id"]: row.get("text") if isinstance(row.get("text"), str) else None
                   for row in outputs.corpus}
    blocks_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in outputs.blocks:
        if row.get("occurrence_id") is not None:
            blocks_of[row["occurrence_id"]].append(row)
    rows = []
    for row in outputs.occurrences:
        p = page_index[_page_key(row)]
        diff, diff_note = None, None
        if row.get("match") == "near" and not row.get("canonical"):
            diff, diff_note = _near_diff(row, pages[p], blocks_of[row["occurrence_id"]],
                                         corpus_text.get(row["cluster_id"]))
        similarity = row.get("similarity")
        rows.append([row["occurrence_id"], p, row["start_line"], row["end_line"], _intern(t, row.get("title")),
                     story_index[row["cluster_id"]], 1 if row.get("canonical") else 0,
                     round(float(similarity), 4) if _finite(similarity) else None, _str_or_none(row.get("match")),
                     row.get("words") if _is_int(row.get("words")) else None, diff, diff_note])
    return rows


def _near_diff(row: dict[str, Any], page: PageSource, blocks: list[dict[str, Any]],
               canonical_text: str | None) -> tuple[list[list[Any]] | None, str | None]:
    """Word diff of a near copy against the canonical text, or the reason there is none."""
    if canonical_text is None:
        return None, "the canonical text is missing from corpus.jsonl"
    if page.lines is None:
        return None, f"no diff: {page.note or 'the input page is unavailable'}"
    copy_text = " ".join(occurrence_paragraphs(page.lines, blocks, row["occurrence_id"]))
    return word_diff(canonical_text.split(), copy_text.split()), None


def word_diff(a: list[str], b: list[str], context: int = DIFF_CONTEXT_WORDS) -> list[list[Any]]:
    """rapidfuzz Levenshtein opcodes over word lists, as segments the page script renders side by side.

    ``["=", text]`` or ``["=", head, skipped_words, tail]`` (long equal runs keep ``context`` words each side),
    ``["-", deleted]``, ``["+", inserted]``, ``["~", old, new]``.
    """
    from rapidfuzz.distance import Levenshtein

    a, b = a[:DIFF_MAX_WORDS], b[:DIFF_MAX_WORDS]
    segments: list[list[Any]] = []
    for op in Levenshtein.opcodes(a, b):
        old, new = " ".join(a[op.src_start:op.src_end]), " ".join(b[op.dest_start:op.dest_end])
        if op.tag == "equal":
            words = a[op.src_start:op.src_end]
            if len(words) > 2 * context + 1:
                segments.append(["=", " ".join(words[:context]), len(words) - 2 * context,
                                 " ".join(words[-context:])])
            else:
                segments.append(["=", old])
        elif op.tag == "delete":
            segments.append(["-", old])
        elif op.tag == "insert":
            segments.append(["+", new])
        else:
            segments.append(["~", old, new])
    return segments


def _story_rows(outputs: Outputs, pages: list[PageSource], page_index: dict[PageKey, int],
                occ_index: dict[str, int], t: Tables, max_text_bytes: int) -> list[list[Any]]:
    """One row per story; its cleaned text is embedded only when the canonical page text is not."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in outputs.occurrences:
        members[row["cluster_id"]].append(row)
    rows = []
    for story in outputs.corpus:
        occs = sorted(members[story["cluster_id"]], key=lambda r: (not r.get("canonical"), r["path"],
                                                                   r.get("record") or 0, r["start_line"]))
        text_id = -1
        canon = occs[0] if occs and occs[0].get("canonical") else None
        text = story.get("text")
        shown = canon is not None and pages[page_index[_page_key(canon)]].status == "ok"
        if not shown and isinstance(text, str) and t.strings.bytes + t.strings.cost([text]) <= max_text_bytes:
            text_id = t.strings.add(text)
        rows.append([story["cluster_id"], _str_or_none(story.get("id")), _intern(t, story.get("title")),
                     [occ_index[r["occurrence_id"]] for r in occs], text_id])
    return rows


def _group_row(row: dict[str, Any], t: Tables, page_index: dict[PageKey, int]) -> list[Any]:
    """One boilerplate group, its representative text interned (it is usually one of the page lines)."""
    def place(key: str) -> tuple[int | None, int | None]:
        where = row.get(key)
        if not isinstance(where, dict) or not isinstance(where.get("path"), str):
            return None, None
        return page_index.get(_page_key(where)), where.get("start_line") if _is_int(where.get("start_line")) else None

    rep = row.get("representative")
    first, last = place("first"), place("last")
    return [row["group_id"], t.strings.add(rep) if isinstance(rep, str) else -1, _str_or_none(row.get("label")),
            _str_or_none(row.get("kind")), _int_or_zero(row.get("support")), _int_or_zero(row.get("blocks")),
            _int_or_zero(row.get("wordings")), _int_or_zero(row.get("sites")), *first, *last]


def _template_rows(rows: list[dict[str, Any]], page_index: dict[PageKey, int]) -> list[list[Any]]:
    """Templated paragraphs: template with {SLOT} markers, kind, support, and occurrences as
    [page index, start line, slots, path, record, end line, other fields (e.g. coverage, removed) as text]."""
    out = []
    for row in rows:
        places = []
        for occ in row.get("occurrences") or []:
            if not isinstance(occ, dict) or not isinstance(occ.get("path"), str):
                continue
            slots = occ.get("slots") if isinstance(occ.get("slots"), dict) else {}
            start = occ.get("start_line") if _is_int(occ.get("start_line")) else None
            end = occ.get("end_line") if _is_int(occ.get("end_line")) else start
            extra = {str(k): _plain_text(v) for k, v in sorted(occ.items()) if k not in TEMPLATE_PLACE_KEYS}
            places.append([page_index.get(_page_key(occ)), start, {str(k): _plain_text(v) for k, v in
                                                                   sorted(slots.items())},
                           occ["path"], occ.get("record") if _is_int(occ.get("record")) else None, end, extra])
        out.append([str(row["template_id"]), _plain_text(row.get("template")), _str_or_none(row.get("kind")),
                    _int_or_zero(row.get("support")) or len(places), places])
    return out


def _plain_text(value: Any) -> str:
    """A value shown as text."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _meta(outputs: Outputs, pages: list[PageSource], max_text_bytes: int) -> dict[str, Any]:
    """Run parameters and notes shown in the overview and used by the page script."""
    s = outputs.summary
    statuses = Counter(p.status for p in pages)
    return {"canonical_rule": _str_or_none(s.get("canonical_rule")), "config": s.get("config"),
            "versions": s.get("versions"), "counts": s.get("counts"), "skipped": s.get("skipped"),
            "page_status": dict(sorted(statuses.items())), "max_text_bytes": max_text_bytes,
            "readability": readability_method(), "templates_file": outputs.templates is not None}


@functools.lru_cache(maxsize=1)
def readability_method() -> str:
    """How readability is computed here: textstat with its CMU dictionary when installed, else textstat's
    counts with pyphen syllables (textstat would otherwise try to download the dictionary)."""
    try:
        import nltk

        nltk.data.find("corpora/cmudict")
        return "textstat (CMU pronouncing dictionary)"
    except (ImportError, LookupError):
        return "textstat sentence and word counts, pyphen syllables (nltk cmudict not installed)"


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


def source_table(outputs: Outputs, pages: list[PageSource]) -> list[dict[str, Any]]:
    """Per input file: articles, stories, duplicate rate, boilerplate share, readability (pandas)."""
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
    samples = _clean_samples(outputs, pages)
    encodings = (outputs.summary.get("inputs") or {}).get("encodings") or {}
    rows = []
    for path, rec in table.iterrows():
        sample = samples.get(str(path), "")
        fre, grade = readability(sample)
        rows.append({"path": str(path), "encoding": _str_or_none(encodings.get(path)), "pages": int(rec["pages"]),
                     "available": int(rec["available"]), "articles": int(rec["articles"]),
                     "stories": int(rec["stories"]), "canonical": int(rec["canonical"]),
                     "duplicate_rate": _clean_float(rec["duplicate_rate"]), "lines": int(rec["lines"]),
                     "boilerplate_share": _clean_float(rec["boilerplate_share"]),
                     "removed_share": _clean_float(rec["removed_share"]), "words": len(sample.split()),
                     "flesch": fre, "grade": grade})
    return rows


def _clean_float(value: Any) -> float | None:
    """A rounded float, or None for NaN."""
    return round(float(value), 4) if value is not None and math.isfinite(float(value)) else None


def sample_words(sources: int) -> int:
    """Words of cleaned text sampled per source: all sources together stay near READABILITY_TOTAL_WORDS."""
    return max(READABILITY_MIN_WORDS, min(READABILITY_SAMPLE_WORDS, READABILITY_TOTAL_WORDS // max(sources, 1)))


def _clean_samples(outputs: Outputs, pages: list[PageSource]) -> dict[str, str]:
    """Cleaned text per source: its articles' content blocks in input order, whole blocks up to the sample size."""
    cap = sample_words(len({p.path for p in pages}))
    samples: dict[str, list[str]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for page in pages:
        if page.lines is None:
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
