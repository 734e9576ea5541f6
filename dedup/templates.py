"""Stage 7c, templates: short blocks with one skeleton and different slot values, and stock openings.

Templated paragraphs ("Shares of {SLOT_1} rose {SLOT_2} to {SLOT_3}", "{SLOT_1} has contacted {SLOT_2} for
comment") are found by proposing pairs of short blocks with datasketch LSH over their word sets and verifying them
with rapidfuzz's word-level alignment (``Levenshtein.opcodes`` on token lists): the aligned equal runs are the
fixed words, the rest are slots, so a slot of one word and a slot of three words still give one template. A block
is labelled ``template`` when the fixed words cover most of it and different stories share the template.

A paragraph that only opens with a stock phrase ("In the coming weeks and months, ...") and then carries the
story's own content stays content; the phrase is reported as a ``stock-opening`` with its support.

    >>> found = mine_templates(texts, notes, cluster_of, fp, BoilerplateConfig())
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from .candidates import lsh_pairs
from .config import BoilerplateConfig
from .fingerprint import Fingerprinter, shingle_hashes
from .normalize import tokens
from .records import BlockNote

MIN_TOKENS, MAX_TOKENS = 4, 80
WORDSET_LSH_THRESHOLD = 0.3
MIN_FIXED = 3
OPENING_TOKENS = 6
MIN_PARAGRAPH_TOKENS = 12
ALIGN_SAMPLE = 40
MAX_SLOT_TOKENS = 6


@dataclass
class Template:
    """A mined template: fixed words with ``{SLOT_n}`` markers, its blocks and their slot values."""

    template_id: str
    text: str
    kind: str
    blocks: list[int]
    coverage: dict[int, float]
    slots: dict[int, dict[str, str]]
    support: int = 0
    labelled: set[int] = field(default_factory=set)


def _aligned_fixed(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """(index in a, index in b) of every token in an equal run of the word alignment."""
    pairs = []
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            pairs.extend(zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)))
    return pairs


def _is_template_pair(a: list[str], b: list[str], coverage: float) -> bool:
    """Two different token lists sharing enough fixed words, in order, to be one template."""
    if a == b:
        return False
    fixed = len(_aligned_fixed(a, b))
    return fixed >= MIN_FIXED and fixed >= coverage * max(len(a), len(b))


def _union(pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the pairs, each sorted, in order of their first member."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    comps: dict[int, list[int]] = defaultdict(list)
    for x in sorted(parent):
        comps[find(x)].append(x)
    return sorted(comps.values())


def _gaps(member: list[str], hits: list[int]) -> list[str]:
    """The member's words before, between and after its fixed words (len(hits) + 1 gaps)."""
    bounds = [-1] + hits + [len(member)]
    return [" ".join(member[bounds[i] + 1:bounds[i + 1]]) for i in range(len(bounds) - 1)]


def _coverage(fixed: int, slot_values: list[str], length: int) -> float:
    """Share of a block the template explains; a short slot value counts as at most two words.

    So "{SLOT_1} has contacted {SLOT_2} for comment" covers a block whatever the length of the names, while a
    block whose "slot" is a long stretch of its own text is measured by its real length.
    """
    sizes = [len(v.split()) for v in slot_values]
    if any(n > MAX_SLOT_TOKENS for n in sizes):
        return round(fixed / max(1, length), 4)
    return round(fixed / max(1, fixed + sum(min(n, 2) for n in sizes)), 4)


def _build(members: list[int], toks: dict[int, list[str]]) -> Template:
    """Template text, per-block coverage and slot values of one component."""
    base = min(members, key=lambda m: (len(toks[m]), m))
    fixed = set(range(len(toks[base])))
    for m in members[:ALIGN_SAMPLE]:
        fixed &= set(dict(_aligned_fixed(toks[base], toks[m])))
    order = sorted(fixed)
    gaps: dict[int, list[str]] = {}
    for m in members:
        pairs = dict(_aligned_fixed(toks[base], toks[m]))
        hits = [pairs[p] for p in order if p in pairs]
        gaps[m] = _gaps(toks[m], hits) if len(hits) == len(order) else [" ".join(toks[m])]
    is_slot = [any(len(g) > i and g[i] for g in gaps.values()) for i in range(len(order) + 1)]
    names = {i: "SLOT_%d" % (n + 1) for n, i in enumerate(i for i, flag in enumerate(is_slot) if flag)}
    parts: list[str] = []
    for i in range(len(order) + 1):
        if i in names:
            parts.append("{%s}" % names[i])
        if i < len(order):
            parts.append(toks[base][order[i]])
    text = " ".join(parts)
    coverage = {m: _coverage(len(order), [gaps[m][i] for i in names if i < len(gaps[m])], len(toks[m]))
                if len(gaps[m]) > 1 else 0.0 for m in members}
    slots = {m: {names[i]: g[i] for i in names if i < len(g)} for m, g in gaps.items()}
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return Template(f"t-{digest}", text, "template", members, coverage, slots)


def mine_templates(texts: dict[int, str], notes: list[BlockNote], cluster_of: dict[int, int],
                   fp: Fingerprinter, config: BoilerplateConfig, excluded: set[int]) -> list[Template]:
    """Templates over the body blocks not already shared verbatim, with support over story clusters."""
    toks = {bid: tokens(text) for bid, text in texts.items()
            if notes[bid].role == "body" and bid not in excluded and notes[bid].occurrence is not None}
    short = {bid: t for bid, t in toks.items() if MIN_TOKENS <= len(t) <= MAX_TOKENS}
    sigs = {bid: fp.signature_of_hashes(shingle_hashes(t, 1)) for bid, t in short.items()}
    pairs = [(a, b) for a, b in sorted(lsh_pairs(sigs, fp, WORDSET_LSH_THRESHOLD))
             if _is_template_pair(short[a], short[b], config.template_coverage)]
    found = []
    for members in _union(pairs):
        template = _build(members, short)
        template.support = len({cluster_of[notes[m].occurrence] for m in members})  # type: ignore[index]
        if template.support >= config.template_min_support:
            template.labelled = {m for m in members if template.coverage[m] >= config.template_coverage}
        found.append(template)
    found.extend(stock_openings(toks, notes, cluster_of, config))
    return sorted(found, key=lambda t: (t.blocks[0], t.template_id))


def stock_openings(toks: dict[int, list[str]], notes: list[BlockNote], cluster_of: dict[int, int],
                   config: BoilerplateConfig) -> list[Template]:
    """Opening phrases that 3+ different stories start a paragraph with; reported, never removed."""
    by_opening: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for bid, t in sorted(toks.items()):
        if len(t) >= MIN_PARAGRAPH_TOKENS:
            by_opening[tuple(t[:OPENING_TOKENS])].append(bid)
    found = []
    for opening, members in sorted(by_opening.items()):
        support = len({cluster_of[notes[m].occurrence] for m in members})  # type: ignore[index]
        if support < config.template_min_support:
            continue
        prefix = list(opening)
        while all(len(toks[m]) > len(prefix) + 1 and toks[m][len(prefix)] == toks[members[0]][len(prefix)]
                  for m in members):
            prefix.append(toks[members[0]][len(prefix)])
        text = " ".join(prefix) + " {REST}"
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        cover = {m: round(len(prefix) / len(toks[m]), 4) for m in members}
        slots = {m: {"REST": " ".join(toks[m][len(prefix):])[:200]} for m in members}
        found.append(Template(f"t-{digest}", text, "stock-opening", members, cover, slots, support))
    return found
