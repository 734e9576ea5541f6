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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence

import jinja2
from markupsafe import Markup

from .outputs import REPORT_NAME, Outputs, ReportError, _finite, _int_or_zero, _is_int, _str_or_none, load_outputs
from .pages import PageKey, PageSource, _page_key, load_pages, occurrence_paragraphs
from .stats import overview, readability_method, source_table

DEFAULT_MAX_TEXT_BYTES = 48 * 1024 * 1024
DIFF_MAX_WORDS = 20000
DIFF_CONTEXT_WORDS = 12
OVERVIEW_MAX_SKIPPED = 50
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
