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
# Written by a process forked from the run while it writes the others (``write_outputs``' ``apart``): about 40 % of
# the time (100k fresh, `dedup run`'s `files` line: 15.50 s with one process, 9.55 s with two). Chosen for memory: every
# page either process writes to while both live is copied, and these rows touch little beyond blocks and notes
# (100k remix, all processes: 3,309-3,322 MB; 3,731 MB when the two took whichever file came next, templates too).
WRITTEN_APART = frozenset({"blocks.jsonl", "occurrences.jsonl"})


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
            basis = f"{page.path}\0text={page.text_sha1()}"
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
    """Rows for corpus.jsonl, occurrences.jsonl, blocks.jsonl, groups.jsonl, templates.jsonl, and the summary.

    Every file's rows are a generator, made as they are written (so no file's rows are all in memory at once);
    the summary is counted from the result itself.
    """
    corpus = result.corpus
    occ_ids = occurrence_ids(result)
    members: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(result.root):
        members[r].append(i)
    order = {i: canonical.order_key(o, corpus) for i, o in enumerate(corpus.occurrences)}
    roots = sorted(members, key=lambda r: order[r])
    cluster_ids = {root: "c-" + _story_digest(result, root, occ_ids) for root in roots}
    matches = [_match(result, i, members, config) for i in range(len(occ_ids))]
    labels = [_group_label(result, group.blocks) for group in result.groups]
    summary = _summary(result, config, len(roots), matches, labels)
    files = {"corpus.jsonl": _corpus_rows(result, roots, members, order, occ_ids, cluster_ids),
             "occurrences.jsonl": _occurrence_rows(result, occ_ids, cluster_ids, matches),
             "blocks.jsonl": _block_rows(result, occ_ids),
             "groups.jsonl": _group_rows(result, labels),
             "templates.jsonl": _template_rows(result)}
    return files, summary


def _story_digest(result: "Result", root: int, occ_ids: list[str]) -> str:
    """The 16 hex digits that name a story (its cluster ``c-...`` and its corpus row ``d-...``): its cleaned text
    and its canonical copy's id."""
    return _sha(f"{clean_text(result, root)}\0{occ_ids[root]}")[:16]


def _match(result: "Result", i: int, members: dict[int, list[int]], config: Config) -> tuple[str, float]:
    """How occurrence ``i`` matches its story's canonical copy: (``unique``, ``exact`` or ``near``, similarity)."""
    root = result.root[i]
    if i == root:
        return ("unique" if len(members[root]) == 1 else "exact"), 1.0
    verdict = verify(result.contents[root], result.contents[i], config.cluster)
    return (verdict.match or "near"), verdict.similarity


def _corpus_rows(result: "Result", roots: list[int], members: dict[int, list[int]], order: dict[int, Any],
                 occ_ids: list[str], cluster_ids: dict[int, str]) -> Iterator[dict[str, Any]]:
    """One row per story, in canonical order: its cleaned canonical text, title and every copy's provenance. The
    text is joined again here, as the row is written, rather than kept from ``_story_digest``: one join per story
    costs less than holding every story's text until the file is written."""
    corpus = result.corpus
    for root in roots:
        copies = sorted(members[root], key=lambda i: (i != root, order[i]))
        title = corpus.occurrences[root].title or next(
            (corpus.occurrences[i].title for i in copies if corpus.occurrences[i].title), None)
        yield {"id": "d-" + cluster_ids[root][2:], "title": title, "text": clean_text(result, root),
               "cluster_id": cluster_ids[root], "copies": len(copies), "sources": [_source(result, i) for i in copies]}


def _occurrence_rows(result: "Result", occ_ids: list[str], cluster_ids: dict[int, str],
                     matches: list[tuple[str, float]]) -> Iterator[dict[str, Any]]:
    """One row per occurrence, in path/record/line order."""
    rows = [_occurrence_row(result, i, occ_ids, cluster_ids, matches[i]) for i in range(len(occ_ids))]
    rows.sort(key=lambda r: (r["path"], r["record"] or 0, r["start_line"]))
    yield from rows


def _occurrence_row(result: "Result", i: int, occ_ids: list[str], cluster_ids: dict[int, str],
                    match: tuple[str, float]) -> dict[str, Any]:
    """One row of occurrences.jsonl."""
    corpus = result.corpus
    occ = corpus.occurrences[i]
    page = corpus.pages[occ.page]
    root = result.root[i]
    row = {"occurrence_id": occ_ids[i], "path": page.path, "record": page.record,
           "start_line": page.source_line(corpus.blocks[occ.blocks[0]].start_line),
           "end_line": page.source_line(corpus.blocks[occ.blocks[-1]].end_line),
           "title": occ.title, "cluster_id": cluster_ids[root], "canonical": i == root,
           "similarity": match[1], "match": match[0], "words": result.contents[i].length}
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


def _group_label(result: "Result", blocks: list[int]) -> str:
    """A repeated-block group's label: the most common label of its blocks (the first met among equals)."""
    notes = result.notes
    first = notes[blocks[0]].label
    if all(notes[b].label == first for b in blocks):  # most groups: one label, no count needed
        return first
    return Counter(notes[b].label for b in blocks).most_common(1)[0][0]


def _group_rows(result: "Result", labels: list[str]) -> Iterator[dict[str, Any]]:
    """One row per repeated-block group (``labels``: each one's ``_group_label``), by support: representative
    text, kind, support, where it occurs."""
    pages, blocks, notes = result.corpus.pages, result.corpus.blocks, result.notes
    rows = []
    for group, label in zip(result.groups, labels):
        places = [(pages[blocks[b].page].path, pages[blocks[b].page].record or 0, blocks[b].start_line)
                  for b in group.blocks]
        first, last = min(places), max(places)
        kinds = Counter(notes[b].kind for b in group.blocks if notes[b].kind)
        rows.append({"group_id": group.group_id, "representative": group.representative,
                     "label": label, "kind": (min(kinds, key=lambda k: (-kinds[k], k)) if kinds
                                              else (kind_of(group.representative) if label != "content" else None)),
                     "support": result.support[group.group_id], "blocks": len(group.blocks),
                     "wordings": group.wordings, "sites": len({p[0] for p in places}),
                     "first": {"path": first[0], "record": first[1] or None, "start_line": first[2]},
                     "last": {"path": last[0], "record": last[1] or None, "start_line": last[2]}})
    rows.sort(key=lambda r: (-r["support"], r["group_id"]))
    yield from rows


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


def _summary(result: "Result", config: Config, stories: int, matches: list[tuple[str, float]],
             labels: list[str]) -> dict[str, Any]:
    """Counts, parameters, versions, skipped inputs and (under one key) timings."""
    corpus = result.corpus
    lines: Counter[str] = Counter()
    for block in corpus.blocks:
        page = corpus.pages[block.page]
        lines[result.notes[block.index].label] += page.source_line(block.end_line) - page.source_line(block.start_line) + 1
    copies = Counter(match for i, (match, _) in enumerate(matches) if result.root[i] != i)
    counts = {"files": len(corpus.files), "pages": len(corpus.pages), "blocks": len(corpus.blocks),
              "occurrences": len(matches), "stories": stories, "exact_copies": copies["exact"],
              "near_copies": copies["near"], "unique": sum(1 for match, _ in matches if match == "unique"),
              "groups": len(labels), "boilerplate_groups": sum(1 for label in labels if label != "content"),
              "lines": dict(sorted(lines.items())), "skipped": len(corpus.skipped), "rounds": result.rounds,
              "templates": sum(1 for t in result.templates if t.kind == "template"),
              "stock_openings": sum(1 for t in result.templates if t.kind == "stock-opening")}
    return {"schema_version": SCHEMA_VERSION, "counts": counts, "config": config.to_dict(),
            "canonical_rule": canonical.RULE, "versions": _versions(),
            "inputs": {"files": corpus.files, "encodings": dict(sorted(corpus.encodings.items())),
                       "sha256": dict(sorted(corpus.digests.items()))},
            "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in corpus.skipped],
            "timings": dict(sorted(result.timings.items()))}
