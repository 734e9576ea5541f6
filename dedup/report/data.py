"""Report data island: ``Outputs`` + pages -> the one JSON-ready object the page script reads.

The third step of ``build_report``. Page lines go into a string table (identical lines stored once), blocks
become flat ``[start, end, style]`` triples, rows become column lists, near copies carry a word diff against their
canonical text; embedded text stops at ``max_text_bytes`` (later pages are marked ``omitted``).

    >>> build_data(outputs, pages)["overview"]["stories"]
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from ..parallel import Beside
from .outputs import Outputs, _finite, _int_or_zero, _is_int, _str_or_none
from .pages import PageKey, PageSource, _page_key, occurrence_paragraphs
from .stats import Readability, overview, readability_note, source_table

DEFAULT_MAX_TEXT_BYTES = 48 * 1024 * 1024
DIFF_MAX_WORDS = 20000
DIFF_CONTEXT_WORDS = 12
LABEL_ORDER = ("content", "boilerplate", "template", "duplicate-title")
PAGE_COLS = ("source", "record", "status", "note", "lines", "line_count", "blocks", "occurrences")
OCC_COLS = ("id", "page", "start", "end", "title", "story", "canonical", "similarity", "match", "words", "diff",
            "diff_note")
DIFF_COL, DIFF_NOTE_COL = OCC_COLS.index("diff"), OCC_COLS.index("diff_note")
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
        return sum(map(_utf8_length, self.new(texts)))

    def new(self, texts: Iterable[str]) -> list[str]:
        """The distinct ``texts`` not in the table yet, in order."""
        index = self.index
        return [t for t in dict.fromkeys(texts) if t not in index]

    def extend(self, texts: list[str], size: int) -> None:
        """Add ``texts``, distinct and new (``new``), of ``size`` bytes in all (``cost``)."""
        self.index.update(zip(texts, range(len(self.items), len(self.items) + len(texts))))
        self.items.extend(texts)
        self.bytes += size


def _utf8_length(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (its length, for ASCII)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


class Codes:
    """Small vocabulary (labels, kinds, reasons) mapped to indices; -1 stands for None."""

    def __init__(self, first: Sequence[str] = ()) -> None:
        self.items: list[str] = list(first)
        self.index = {s: i for i, s in enumerate(self.items)}

    def code(self, value: Any) -> int:
        if value is None:
            return -1
        if type(value) is str and value in self.index:
            return self.index[value]
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


def build_data(outputs: Outputs, pages: list[PageSource], *, max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
               scorer: Readability | None = None, workers: int = 1) -> dict[str, Any]:
    """The JSON-ready data island: string table, pages, occurrences, stories, groups, templates, sources
    (readability by ``scorer``, or here). With ``workers`` > 1 the near copies' word diffs are computed by a
    process of their own (``parallel.Beside``) while the other rows are built; the data is the same."""
    t = Tables()
    group_index = {row["group_id"]: i for i, row in enumerate(outputs.groups)}
    page_index = {(p.path, p.record): p.index for p in pages}
    occ_index = {row["occurrence_id"]: i for i, row in enumerate(outputs.occurrences)}
    story_index = {row["cluster_id"]: i for i, row in enumerate(outputs.corpus)}
    _embed_lines(pages, t, max_text_bytes)
    page_occs: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(outputs.occurrences):
        page_occs[page_index[_page_key(row)]].append(i)
    notes, pairs = _near_texts(outputs, pages, page_index)
    diffs = Beside(near_diffs, [texts for _, texts in pairs], workers=workers)
    try:
        sources, method = source_table(outputs, pages, scorer)
        source_index = {row["path"]: i for i, row in enumerate(sources)}
        page_rows = [_page_row(p, t, group_index, page_occs[p.index], source_index[p.path]) for p in pages]
        occ_rows = _occurrence_rows(outputs, page_index, story_index, t)
        story_rows = _story_rows(outputs, pages, page_index, occ_index, t, max_text_bytes)
        group_rows = [_group_row(g, t, page_index) for g in outputs.groups]
        template_rows = _template_rows(outputs.templates, page_index) if outputs.templates is not None else None
        for i, note in notes.items():
            occ_rows[i][DIFF_NOTE_COL] = note
        for (i, _), diff in zip(pairs, diffs.result()):
            occ_rows[i][DIFF_COL] = diff
    except BaseException:
        diffs.cancel()
        raise
    for row in [*outputs.groups, *(outputs.templates or [])]:
        t.kinds.code(_str_or_none(row.get("kind")))
    return {
        "format": 1,
        "cols": {"pages": PAGE_COLS, "occurrences": OCC_COLS, "stories": STORY_COLS, "styles": STYLE_COLS,
                 "groups": GROUP_COLS, "templates": TEMPLATE_COLS, "sources": SOURCE_COLS},
        "meta": _meta(outputs, pages, max_text_bytes, len(sources), method),
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
        new = t.strings.new(page.lines)
        size = sum(map(_utf8_length, new))
        if t.strings.bytes + size > max_text_bytes:
            page.status = "omitted"
            page.note = (f"the text of {page.where} is not embedded: the report's text budget "
                         f"({max_text_bytes // (1024 * 1024)} MiB, max_text_bytes) was spent; line labels are shown")
            continue
        t.strings.extend(new, size)


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


def _occurrence_rows(outputs: Outputs, page_index: dict[PageKey, int], story_index: dict[str, int], t: Tables
                     ) -> list[list[Any]]:
    """One row per occurrence; a near copy's word diff (or why there is none) is filled in by ``build_data``."""
    rows = []
    for row in outputs.occurrences:
        similarity = row.get("similarity")
        rows.append([row["occurrence_id"], page_index[_page_key(row)], row["start_line"], row["end_line"],
                     _intern(t, row.get("title")), story_index[row["cluster_id"]], 1 if row.get("canonical") else 0,
                     round(float(similarity), 4) if _finite(similarity) else None, _str_or_none(row.get("match")),
                     row.get("words") if _is_int(row.get("words")) else None, None, None])
    return rows


def _near_texts(outputs: Outputs, pages: list[PageSource], page_index: dict[PageKey, int]
                ) -> tuple[dict[int, str], list[tuple[int, tuple[str, str]]]]:
    """For the near copies (by occurrence index): why there is no diff, or their story's canonical text and their
    own cleaned text (their content blocks among their page's), in occurrence order."""
    corpus_text = {row["cluster_id"]: row.get("text") if isinstance(row.get("text"), str) else None
                   for row in outputs.corpus}
    notes: dict[int, str] = {}
    pairs: list[tuple[int, tuple[str, str]]] = []
    for i, row in enumerate(outputs.occurrences):
        if row.get("match") != "near" or row.get("canonical"):
            continue
        page, canonical = pages[page_index[_page_key(row)]], corpus_text.get(row["cluster_id"])
        if canonical is None:
            notes[i] = "the canonical text is missing from corpus.jsonl"
        elif page.lines is None:
            notes[i] = f"no diff: {page.note or 'the input page is unavailable'}"
        else:
            pairs.append((i, (canonical, " ".join(occurrence_paragraphs(page.lines, page.blocks,
                                                                        row["occurrence_id"])))))
    return notes, pairs


def near_diffs(pairs: list[tuple[str, str]]) -> list[list[list[Any]]]:
    """``word_diff`` of the words of each (canonical text, copy text) pair."""
    return [word_diff(canonical.split(), copy.split()) for canonical, copy in pairs]


def word_diff(a: list[str], b: list[str], context: int = DIFF_CONTEXT_WORDS) -> list[list[Any]]:
    """rapidfuzz Levenshtein opcodes over word lists, as segments the page script renders side by side.

    ``["=", text]`` or ``["=", head, skipped_words, tail]`` (long equal runs keep ``context`` words each side),
    ``["-", deleted]``, ``["+", inserted]``, ``["~", old, new]``.
    """
    from rapidfuzz.distance import Levenshtein

    a, b = a[:DIFF_MAX_WORDS], b[:DIFF_MAX_WORDS]
    segments: list[list[Any]] = []
    for tag, a_start, a_end, b_start, b_end in Levenshtein.opcodes(a, b).as_list():
        if tag == "equal":
            if a_end - a_start > 2 * context + 1:
                segments.append(["=", " ".join(a[a_start:a_start + context]), a_end - a_start - 2 * context,
                                 " ".join(a[a_end - context:a_end])])
            else:
                segments.append(["=", " ".join(a[a_start:a_end])])
        elif tag == "delete":
            segments.append(["-", " ".join(a[a_start:a_end])])
        elif tag == "insert":
            segments.append(["+", " ".join(b[b_start:b_end])])
        else:
            segments.append(["~", " ".join(a[a_start:a_end]), " ".join(b[b_start:b_end])])
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


def _meta(outputs: Outputs, pages: list[PageSource], max_text_bytes: int, sources: int, method: str
          ) -> dict[str, Any]:
    """Run parameters and notes shown in the overview and used by the page script."""
    s = outputs.summary
    statuses = Counter(p.status for p in pages)
    return {"canonical_rule": _str_or_none(s.get("canonical_rule")), "config": s.get("config"),
            "versions": s.get("versions"), "counts": s.get("counts"), "skipped": s.get("skipped"),
            "page_status": dict(sorted(statuses.items())), "max_text_bytes": max_text_bytes,
            "readability": readability_note(sources, method), "templates_file": outputs.templates is not None}
