"""Stage 7c, templates: short blocks with one skeleton and different slot values, and stock openings.

Templated paragraphs ("Shares of {SLOT_1} rose {SLOT_2} to {SLOT_3}", "{SLOT_1} has contacted {SLOT_2} for
comment") are found by proposing pairs of short blocks with datasketch LSH over their word sets and verifying them
with rapidfuzz's word-level alignment (``Levenshtein.opcodes`` on token lists): the aligned equal runs are the
fixed words, the rest are slots, so a slot of one word and a slot of three words still give one template. A block
is labelled ``template`` when the fixed words cover most of it, it is a one-liner (``template_max_words``: long
templated paragraphs, such as filing notices, report facts) and different stories share the template.

A paragraph that only opens with a stock phrase ("In the coming weeks and months, ...") and then carries the
story's own content stays content; the phrase is reported as a ``stock-opening`` with its support.

    >>> found = TemplateMiner(texts, notes, fp, BoilerplateConfig(), excluded=set()).for_clusters(cluster_of)
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace

from rapidfuzz.distance import Levenshtein

from .candidates import lsh_pairs
from .config import BoilerplateConfig
from .fingerprint import Fingerprinter, shingle_hashes
from .normalize import tokens
from .records import BlockNote

MIN_TOKENS, MAX_TOKENS = 4, 60
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


def _build(seqs: list[tuple[str, ...]], blocks_of: dict[tuple[str, ...], list[int]]) -> Template:
    """Template text, per-block coverage and slot values of one component of distinct token sequences."""
    base = min(seqs, key=lambda q: (len(q), q))
    fixed = set(range(len(base)))
    for seq in seqs[:ALIGN_SAMPLE]:
        fixed &= set(dict(_aligned_fixed(list(base), list(seq))))
    order = sorted(fixed)
    gaps: dict[tuple[str, ...], list[str]] = {}
    for seq in seqs:
        pairs = dict(_aligned_fixed(list(base), list(seq)))
        hits = [pairs[p] for p in order if p in pairs]
        gaps[seq] = _gaps(list(seq), hits) if len(hits) == len(order) else [" ".join(seq)]
    is_slot = [any(len(g) > i and g[i] for g in gaps.values()) for i in range(len(order) + 1)]
    names = {i: "SLOT_%d" % (n + 1) for n, i in enumerate(i for i, flag in enumerate(is_slot) if flag)}
    parts: list[str] = []
    for i in range(len(order) + 1):
        if i in names:
            parts.append("{%s}" % names[i])
        if i < len(order):
            parts.append(base[order[i]])
    text = " ".join(parts)
    coverage, slots, members = {}, {}, []
    for seq in seqs:
        g = gaps[seq]
        cover = _coverage(len(order), [g[i] for i in names if i < len(g)], len(seq)) if len(g) > 1 else 0.0
        for bid in blocks_of[seq]:
            members.append(bid)
            coverage[bid] = cover
            slots[bid] = {names[i]: g[i] for i in names if i < len(g)}
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return Template(f"t-{digest}", text, "template", sorted(members), coverage, slots)


class TemplateMiner:
    """Finds template shapes once (they depend on text only); support is counted per clustering round.

        >>> miner = TemplateMiner(texts, notes, fp, BoilerplateConfig(), excluded=headings)
        >>> templates = miner.for_clusters(cluster_of)
    """

    def __init__(self, texts: dict[int, str], notes: list[BlockNote], fp: Fingerprinter,
                 config: BoilerplateConfig, excluded: set[int]) -> None:
        self.notes, self.config = notes, config
        self.toks = {bid: tokens(text) for bid, text in sorted(texts.items())
                     if notes[bid].role == "body" and bid not in excluded and notes[bid].occurrence is not None}
        self.shapes = self._shapes(fp)
        self.openings = self._openings()

    def _shapes(self, fp: Fingerprinter) -> list[Template]:
        """Templates among distinct short token sequences: LSH on word sets, verified by word alignment."""
        blocks_of: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for bid, t in self.toks.items():
            if MIN_TOKENS <= len(t) <= MAX_TOKENS:
                blocks_of[tuple(t)].append(bid)
        seqs = sorted(blocks_of)
        sigs = {i: fp.signature_of_hashes(shingle_hashes(list(q), 1)) for i, q in enumerate(seqs)}
        pairs = [(a, b) for a, b in sorted(lsh_pairs(sigs, fp, WORDSET_LSH_THRESHOLD))
                 if _is_template_pair(list(seqs[a]), list(seqs[b]), self.config.template_coverage)]
        return [_build([seqs[i] for i in comp], blocks_of) for comp in _union(pairs)]

    def _openings(self) -> dict[tuple[str, ...], list[int]]:
        """Paragraphs by their first words (candidates for stock openings)."""
        by_opening: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for bid, t in self.toks.items():
            if len(t) >= MIN_PARAGRAPH_TOKENS:
                by_opening[tuple(t[:OPENING_TOKENS])].append(bid)
        return {k: v for k, v in by_opening.items() if len(v) >= self.config.template_min_support}

    def _stories(self, blocks: list[int], cluster_of: dict[int, int]) -> int:
        """Distinct story clusters among the blocks' articles."""
        return len({cluster_of[self.notes[b].occurrence] for b in blocks})  # type: ignore[index]

    def for_clusters(self, cluster_of: dict[int, int]) -> list[Template]:
        """Templates and stock openings with support over ``cluster_of``; labelled blocks where support allows."""
        found = []
        for shape in self.shapes:
            support = self._stories(shape.blocks, cluster_of)
            labelled = ({b for b in shape.blocks if shape.coverage[b] >= self.config.template_coverage
                         and len(self.toks[b]) <= self.config.template_max_words}
                        if support >= self.config.template_min_support else set())
            found.append(replace(shape, support=support, labelled=labelled))
        for opening, members in sorted(self.openings.items()):
            support = self._stories(members, cluster_of)
            if support >= self.config.template_min_support:
                found.append(self._stock_opening(opening, members, support))
        return sorted(found, key=lambda t: (t.blocks[0], t.template_id))

    def _stock_opening(self, opening: tuple[str, ...], members: list[int], support: int) -> Template:
        """The longest common opening of the paragraphs, reported as a stock phrase."""
        toks = self.toks
        prefix = list(opening)
        while all(len(toks[m]) > len(prefix) + 1 and toks[m][len(prefix)] == toks[members[0]][len(prefix)]
                  for m in members):
            prefix.append(toks[members[0]][len(prefix)])
        text = " ".join(prefix) + " {REST}"
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        cover = {m: round(len(prefix) / len(toks[m]), 4) for m in members}
        slots = {m: {"REST": " ".join(toks[m][len(prefix):])[:200]} for m in members}
        return Template(f"t-{digest}", text, "stock-opening", members, cover, slots, support)
