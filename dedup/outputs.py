"""Stage 8b, outputs: a finished ``Result`` -> the rows of every output file and summary.json.

Applies the annotations last: the canonical copy of each cluster is cleaned by dropping every block whose label
is not ``content`` (and its title blocks, which become the ``title`` field). Ids are derived from paths, line
numbers, record ids and content, never from run order, so the same inputs give the same ids.

    >>> files, summary = build(result, config)
"""

from __future__ import annotations

import hashlib
import platform
from collections import Counter, defaultdict
from importlib import metadata
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from . import canonical
from .boilerplate import kind_of
from .config import Config
from .records import Block
from .verify import verify

if TYPE_CHECKING:
    from .pipeline import Result

SCHEMA_VERSION = 1


def _sha(text: str) -> str:
    """Hex SHA-1 of a string."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def occurrence_ids(result: "Result") -> list[str]:
    """Stable id per occurrence: path + line for text files, path + record id (or content) for JSONL."""
    corpus = result.corpus
    seen: Counter[str] = Counter()
    ids = []
    for occ in corpus.occurrences:
        page = corpus.pages[occ.page]
        if page.record is None:
            basis = f"{page.path}\0{corpus.blocks[occ.blocks[0]].start_line}"
        elif page.record_id is not None:
            basis = f"{page.path}\0id={page.record_id}"
        else:
            basis = f"{page.path}\0text={_sha(chr(10).join(page.lines))}"
        base = "o-" + _sha(basis)[:16]
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def clean_text(result: "Result", occ_index: int) -> str:
    """The cleaned text of one occurrence: content body blocks joined by a blank line."""
    occ = result.corpus.occurrences[occ_index]
    return "\n\n".join(result.corpus.blocks[b].text for b in occ.blocks
                       if result.notes[b].label == "content" and result.notes[b].role == "body")


def _source(result: "Result", occ_index: int) -> dict[str, Any]:
    """Provenance of one copy: {path, start_line, end_line} (text) or {path, record, ...} (JSONL)."""
    corpus = result.corpus
    occ = corpus.occurrences[occ_index]
    page = corpus.pages[occ.page]
    src: dict[str, Any] = {"path": page.path, "start_line": page.source_line(corpus.blocks[occ.blocks[0]].start_line),
                           "end_line": page.source_line(corpus.blocks[occ.blocks[-1]].end_line)}
    if page.record is not None:
        src["record"] = page.record
    return src


def build(result: "Result", config: Config) -> tuple[dict[str, Iterable[dict[str, Any]]], dict[str, Any]]:
    """Rows for corpus.jsonl, occurrences.jsonl, blocks.jsonl, groups.jsonl, templates.jsonl, and the summary;
    every file's rows are a list but those of blocks.jsonl and templates.jsonl, which are made one by one as they
    are written."""
    corpus = result.corpus
    occ_ids = occurrence_ids(result)
    members: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(result.root):
        members[r].append(i)
    order = {i: canonical.order_key(o, corpus) for i, o in enumerate(corpus.occurrences)}
    cluster_ids, corpus_rows = {}, []
    for root in sorted(members, key=lambda r: order[r]):
        text = clean_text(result, root)
        digest = _sha(f"{text}\0{occ_ids[root]}")[:16]
        cluster_ids[root] = f"c-{digest}"
        copies = sorted(members[root], key=lambda i: (i != root, order[i]))
        title = corpus.occurrences[root].title or next(
            (corpus.occurrences[i].title for i in copies if corpus.occurrences[i].title), None)
        corpus_rows.append({"id": f"d-{digest}", "title": title, "text": text, "cluster_id": cluster_ids[root],
                            "copies": len(copies), "sources": [_source(result, i) for i in copies]})
    occ_rows = [_occurrence_row(result, i, occ_ids, cluster_ids, members, config) for i in range(len(occ_ids))]
    occ_rows.sort(key=lambda r: (r["path"], r["record"] or 0, r["start_line"]))
    block_rows = _block_rows(result, occ_ids)
    group_rows = _group_rows(result)
    template_rows = _template_rows(result)
    summary = _summary(result, config, corpus_rows, occ_rows, group_rows)
    summary["counts"]["templates"] = sum(1 for t in result.templates if t.kind == "template")
    summary["counts"]["stock_openings"] = sum(1 for t in result.templates if t.kind == "stock-opening")
    files = {"corpus.jsonl": corpus_rows, "occurrences.jsonl": occ_rows, "blocks.jsonl": block_rows,
             "groups.jsonl": group_rows, "templates.jsonl": template_rows}
    return files, summary


def _occurrence_row(result: "Result", i: int, occ_ids: list[str], cluster_ids: dict[int, str],
                    members: dict[int, list[int]], config: Config) -> dict[str, Any]:
    """One row of occurrences.jsonl."""
    corpus = result.corpus
    occ = corpus.occurrences[i]
    page = corpus.pages[occ.page]
    root = result.root[i]
    if i == root:
        match, similarity = ("unique" if len(members[root]) == 1 else "exact"), 1.0
    else:
        verdict = verify(result.contents[root], result.contents[i], config.cluster)
        match, similarity = (verdict.match or "near"), verdict.similarity
    row = {"occurrence_id": occ_ids[i], "path": page.path, "record": page.record,
           "start_line": page.source_line(corpus.blocks[occ.blocks[0]].start_line),
           "end_line": page.source_line(corpus.blocks[occ.blocks[-1]].end_line),
           "title": occ.title, "cluster_id": cluster_ids[root], "canonical": i == root,
           "similarity": similarity, "match": match, "words": result.contents[i].length}
    row.update(dict(page.meta))
    return row


def _block_rows(result: "Result", occ_ids: list[str]) -> Iterator[dict[str, Any]]:
    """One row per block of every input, in path/record/line order, made as they are written (the largest file:
    its rows are never all in memory at once)."""
    corpus = result.corpus
    for block in sorted(corpus.blocks, key=lambda b: _block_place(result, b)):
        note = result.notes[block.index]
        page = corpus.pages[block.page]
        yield {"path": page.path, "record": page.record, "start_line": page.source_line(block.start_line),
               "end_line": page.source_line(block.end_line),
               "occurrence_id": occ_ids[note.occurrence] if note.occurrence is not None else None,
               "label": note.label, "kind": note.kind, "group_id": note.group, "support": note.support,
               "reason": note.reason}


def _block_place(result: "Result", block: Block) -> tuple[str, int, int]:
    """Where a block's row goes in blocks.jsonl: path, record, first source line."""
    page = result.corpus.pages[block.page]
    return page.path, page.record or 0, page.source_line(block.start_line)


def _group_rows(result: "Result") -> list[dict[str, Any]]:
    """One row per repeated-block group: representative text, kind, support, where it occurs."""
    corpus = result.corpus
    rows = []
    for group in result.groups:
        labels = Counter(result.notes[b].label for b in group.blocks)
        places = sorted((corpus.pages[corpus.blocks[b].page].path, corpus.pages[corpus.blocks[b].page].record or 0,
                         corpus.blocks[b].start_line) for b in group.blocks)
        kinds = Counter(result.notes[b].kind for b in group.blocks if result.notes[b].kind)
        label = labels.most_common(1)[0][0]
        rows.append({"group_id": group.group_id, "representative": group.representative,
                     "label": label, "kind": (min(kinds, key=lambda k: (-kinds[k], k)) if kinds
                                              else (kind_of(group.representative) if label != "content" else None)),
                     "support": result.support[group.group_id], "blocks": len(group.blocks),
                     "wordings": group.wordings, "sites": len({p[0] for p in places}),
                     "first": {"path": places[0][0], "record": places[0][1] or None, "start_line": places[0][2]},
                     "last": {"path": places[-1][0], "record": places[-1][1] or None, "start_line": places[-1][2]}})
    rows.sort(key=lambda r: (-r["support"], r["group_id"]))
    return rows


def _template_rows(result: "Result") -> Iterator[dict[str, Any]]:
    """One row per mined template or stock opening, with every occurrence and its slot values, made as they are
    written (on text written from templates these rows hold a slot value for every templated block)."""
    corpus = result.corpus
    for t in sorted(result.templates, key=lambda t: (t.kind, -t.support, t.template_id)):
        places = []
        for bid in t.blocks:
            block = corpus.blocks[bid]
            page = corpus.pages[block.page]
            places.append({"path": page.path, "record": page.record, "start_line": block.start_line,
                           "end_line": block.end_line, "coverage": t.coverage[bid], "removed": bid in t.labelled,
                           "slots": dict(sorted(t.slots[bid].items()))})
        places.sort(key=lambda p: (p["path"], p["record"] or 0, p["start_line"]))
        yield {"template_id": t.template_id, "template": t.text, "kind": t.kind, "support": t.support,
               "label": "template" if t.labelled else "content", "blocks": len(t.blocks),
               "slots": t.text.count("{"), "occurrences": places}


def _versions() -> dict[str, str]:
    """Versions of the libraries whose behaviour shapes the output."""
    found = {"python": platform.python_version()}
    for name in ("dedup", "datasketch", "rapidfuzz", "numpy"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "unknown"
    return found


def _summary(result: "Result", config: Config, corpus_rows: list[dict[str, Any]], occ_rows: list[dict[str, Any]],
             group_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, parameters, versions, skipped inputs and (under one key) timings."""
    corpus = result.corpus
    lines: Counter[str] = Counter()
    for block in corpus.blocks:
        page = corpus.pages[block.page]
        lines[result.notes[block.index].label] += page.source_line(block.end_line) - page.source_line(block.start_line) + 1
    matches = Counter(r["match"] for r in occ_rows if not r["canonical"])
    counts = {"files": len(corpus.files), "pages": len(corpus.pages), "blocks": len(corpus.blocks),
              "occurrences": len(occ_rows), "stories": len(corpus_rows), "exact_copies": matches["exact"],
              "near_copies": matches["near"], "unique": sum(1 for r in occ_rows if r["match"] == "unique"),
              "groups": len(group_rows), "boilerplate_groups": sum(1 for g in group_rows if g["label"] != "content"),
              "lines": dict(sorted(lines.items())), "skipped": len(corpus.skipped), "rounds": result.rounds}
    return {"schema_version": SCHEMA_VERSION, "counts": counts, "config": config.to_dict(),
            "canonical_rule": canonical.RULE, "versions": _versions(),
            "inputs": {"files": corpus.files, "encodings": dict(sorted(corpus.encodings.items())),
                       "sha256": dict(sorted(corpus.digests.items()))},
            "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in corpus.skipped],
            "timings": dict(sorted(result.timings.items()))}
