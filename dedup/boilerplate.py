"""Stage 7b, boilerplate: block groups + article clusters -> support per group and the final block labels.

Support counts distinct stories (clusters), not printed copies: a paragraph shared only by copies of one story is
content; a block shared by two or more different stories is boilerplate. Page chrome found by ``segment`` is
boilerplate even when it appears once. Nothing is removed here; labels are annotations the writer applies.

    >>> support = group_support(groups, notes, cluster_of)
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from . import chrome
from .config import BoilerplateConfig
from .fingerprint import sorted_unique
from .groups import Group
from .templates import Template
from .records import BlockNote

HEADING_WORDS = 12
MIN_OTHER_WORDS = 8
MAX_QUOTE_SUPPORT = 3

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("disclaimer", re.compile(r"\b(informational purposes|not (financial|investment|legal) advice|disclaimer|"
                              r"views (expressed|and opinions)|does not constitute|for information only|"
                              r"no (warranty|guarantee)|not responsible|do your own research|"
                              r"(content|article) is intended|copyright|all rights reserved)\b", re.I)),
    ("promo", re.compile(r"(https?://|www\.|\bvisit\b|\bsubscribe\b|\bsign up\b|\bdownload\b|\blearn more\b|"
                         r"\bdelivers\b|\bsolutions\b|\bour (app|platform|service)s?\b|\bfree trial\b)", re.I)),
    ("attribution", re.compile(r"\b(originally (published|appeared)|reporting by|editing by|written by|"
                               r"contributed (to )?(this|reporting)|via\b|source:)", re.I)),
)


def kind_of(text: str) -> str:
    """A descriptive kind for a repeated block: disclaimer, promo, attribution, or repeated."""
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    return "repeated"


def body_words(notes: list[BlockNote], words: dict[int, int]) -> dict[int, int]:
    """Words in each article's body blocks (by occurrence)."""
    found: dict[int, int] = {}
    for bid, note in enumerate(notes):
        if note.occurrence is not None and note.role == "body":
            found[note.occurrence] = found.get(note.occurrence, 0) + words.get(bid, 0)
    return found


def group_support(groups: list[Group], notes: list[BlockNote], cluster_of: dict[int, int],
                  words: dict[int, int], excluded: set[int] = frozenset(),  # type: ignore[assignment]
                  body: dict[int, int] | None = None) -> dict[str, int]:
    """Distinct stories sharing each group (for groups only outside articles: how many times they appear).

    Copies outside any article (a "Related Articles" snippet quoting a story's lead) do not add support to a
    group that stories carry: quoting a story does not make its paragraph boilerplate.

    An article that holds nothing but the group's block (a one-paragraph teaser of that very paragraph), or
    nothing but blocks in ``excluded`` (a story written entirely from a template), is no evidence of a
    different story, so it is not counted. ``body`` is ``body_words(notes, words)`` when the caller has it.
    """
    body_words_ = dict(body if body is not None else body_words(notes, words))
    for bid in excluded:
        if notes[bid].occurrence is not None and notes[bid].role == "body":
            body_words_[notes[bid].occurrence] -= words.get(bid, 0)  # type: ignore[index]
    support = {}
    for group in groups:
        stories, pages = set(), set()
        for bid in group.blocks:
            occ = notes[bid].occurrence
            if occ is None:
                pages.add(bid)
            elif body_words_.get(occ, 0) - (0 if bid in excluded else words.get(bid, 0)) >= MIN_OTHER_WORDS:
                stories.add(cluster_of[occ])
        inside = any(notes[bid].occurrence is not None for bid in group.blocks)
        support[group.group_id] = len(stories) if inside else len(pages)
    return support


def heading_like(text: str) -> bool:
    """A short heading (at most ``HEADING_WORDS`` words) that may open a section of a story."""
    return chrome.is_heading(text) and chrome.word_count(text) <= HEADING_WORDS


def story_headings(notes: list[BlockNote], texts: dict[int, str],
                   is_heading: Callable[[str], bool] = heading_like) -> set[int]:
    """Heading-like blocks inside a story that are followed by more of the same story (``is_heading``:
    ``heading_like`` or a lookup of its values)."""
    found = set()
    for bid, note in enumerate(notes):
        nxt = bid + 1
        if (note.role == "body" and note.occurrence is not None and nxt < len(notes)
                and notes[nxt].occurrence == note.occurrence and notes[nxt].role == "body"
                and is_heading(texts.get(bid, ""))):
            found.add(bid)
    return found


def section_headings(notes: list[BlockNote], texts: dict[int, str], shared: set[int]) -> set[int]:
    """Headings inside a story that introduce its own (unshared) paragraph: story structure, kept as content.

    Stories from one writer often reuse section headings ("The Road Ahead: ..."); such a heading is shared by
    different stories, yet removing it would cut the story's structure apart.
    """
    kept = set()
    for bid in sorted(shared):
        nxt = bid + 1
        if (notes[bid].role == "body" and nxt < len(notes) and notes[nxt].occurrence == notes[bid].occurrence
                and notes[bid].occurrence is not None and notes[nxt].role == "body" and nxt not in shared
                and heading_like(texts.get(bid, ""))):
            kept.add(bid)
    return kept


def shared_blocks(groups: list[Group], notes: list[BlockNote], cluster_of: dict[int, int],
                  words: dict[int, int], config: BoilerplateConfig,
                  body: dict[int, int] | None = None, members: GroupMembers | None = None
                  ) -> tuple[set[int], dict[str, int]]:
    """Blocks of groups shared by enough different stories, and the support of every group (``cluster_of``: the
    story of every article, keyed 0 to n - 1; ``body``: the articles' ``body_words``, computed here when not given;
    ``members``: ``GroupMembers(groups, notes, words)``, which a caller making several rounds over the same groups
    makes once).

    Two passes: the second counts only articles that keep some text outside the first pass's shared blocks.
    A long paragraph needs more stories (``long_block_support``) than a short line: two stories sharing a
    whole paragraph are more often one story whose copies were not linked than a piece of boilerplate. Support is
    ``group_support``'s, counted over all groups at once.
    """
    members = members if members is not None else GroupMembers(groups, notes, words)
    body = body if body is not None else body_words(notes, words)
    cluster = np.fromiter((cluster_of[o] for o in range(len(cluster_of))), np.int64, len(cluster_of))
    needed = np.where(members.longest >= config.long_block_words, config.long_block_support, config.min_support)
    first = members.support(cluster, body)
    candidates = members.blocks_of(first >= needed)
    support = members.support(cluster, _without(body, notes, words, candidates), candidates)
    shared = members.blocks_of(support >= needed)
    return set(shared.tolist()), dict(zip([g.group_id for g in groups], support.tolist()))


def _without(body: dict[int, int], notes: list[BlockNote], words: dict[int, int], excluded: np.ndarray
             ) -> dict[int, int]:
    """``body`` with the words of the ``excluded`` body blocks taken off their articles (as ``group_support``)."""
    body = dict(body)
    for bid in excluded.tolist():
        if notes[bid].occurrence is not None and notes[bid].role == "body":
            body[notes[bid].occurrence] -= words.get(bid, 0)  # type: ignore[index]
    return body


class GroupMembers:
    """Every group's blocks as flat arrays, for ``group_support`` over all groups at once: the group of each
    member, its block, its article (-1 outside any) and its words; and each group's longest block and whether
    any of its blocks is inside an article."""

    def __init__(self, groups: list[Group], notes: list[BlockNote], words: dict[int, int]) -> None:
        sizes = np.fromiter(map(len, (g.blocks for g in groups)), np.int64, len(groups))
        self.owner = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
        blocks = [b for g in groups for b in g.blocks]
        self.block = np.array(blocks, dtype=np.int64)
        self.occurrence = np.fromiter((-1 if notes[b].occurrence is None else notes[b].occurrence for b in blocks),
                                      np.int64, len(blocks))
        self.words = np.fromiter((words.get(b, 0) for b in blocks), np.int64, len(blocks))
        self.groups = len(groups)
        self.longest = np.zeros(len(groups), dtype=np.int64)
        np.maximum.at(self.longest, self.owner, self.words)
        self.inside = np.bincount(self.owner[self.occurrence >= 0], minlength=len(groups)) > 0

    def support(self, cluster: np.ndarray, body: dict[int, int], excluded: np.ndarray | None = None) -> np.ndarray:
        """``group_support`` of every group, in order (``cluster``: the story of each article; ``body``: words of
        each article's body, less the ``excluded`` blocks' words)."""
        body_of = np.zeros(len(cluster), dtype=np.int64)
        if body:
            body_of[np.fromiter(body.keys(), np.int64, len(body))] = np.fromiter(body.values(), np.int64, len(body))
        inside = self.occurrence >= 0
        own = self.words if excluded is None or not excluded.size else np.where(
            np.isin(self.block, excluded), 0, self.words)
        counted = inside & (body_of[np.where(inside, self.occurrence, 0)] - own >= MIN_OTHER_WORDS)
        stories = _distinct_per_owner(self.owner[counted], cluster[self.occurrence[counted]], self.groups)
        pages = _distinct_per_owner(self.owner[~inside], self.block[~inside], self.groups)
        return np.where(self.inside, stories, pages)

    def blocks_of(self, chosen: np.ndarray) -> np.ndarray:
        """The blocks of the groups marked in ``chosen`` (a flag per group), sorted and distinct."""
        return sorted_unique(self.block[chosen[self.owner]])


def _distinct_per_owner(owner: np.ndarray, values: np.ndarray, owners: int) -> np.ndarray:
    """How many distinct values each owner (0 to ``owners`` - 1) has among the (owner, value) pairs."""
    if not owner.size:
        return np.zeros(owners, dtype=np.int64)
    pairs = sorted_unique(owner * (int(values.max()) + 1) + values)
    return np.bincount(pairs // (int(values.max()) + 1), minlength=owners)


def apply_templates(notes: list[BlockNote], templates: list[Template]) -> None:
    """Label template blocks; tag content paragraphs that open with a stock phrase."""
    for template in templates:
        for bid in template.blocks:
            note = notes[bid]
            reworded = note.label == "boilerplate" and note.kind == "repeated" and note.role == "body"
            if bid in template.labelled and (note.label == "content" or reworded) and note.role == "body":
                note.label, note.kind, note.group, note.support = "template", "template", template.template_id, template.support
                note.reason = (f"templated paragraph ({template.coverage[bid]:.0%} fixed words) shared by "
                               f"{template.support} stories")
            elif template.kind == "stock-opening" and note.label == "content" and note.kind is None:
                note.kind = "stock-opening"
                note.reason = f"opens with a stock phrase used by {template.support} stories; kept as content"


def settle(notes: list[BlockNote], texts: dict[int, str], groups: list[Group], support: dict[str, int],
           shared: set[int]) -> None:
    """Write the final label, kind, group and support into every block note (``shared``: boilerplate blocks)."""
    group_of = {bid: g for g in groups for bid in g.blocks}
    headings = section_headings(notes, texts, shared)
    quotes = {bid for bid in shared if notes[bid].role == "body" and support[group_of[bid].group_id] <= MAX_QUOTE_SUPPORT
              and chrome.is_quote(texts.get(bid, ""))}
    for bid, note in enumerate(notes):
        group = group_of.get(bid)
        if group is not None:
            note.group = group.group_id
            note.support = support[group.group_id]
        else:
            note.support = 1 if note.occurrence is not None or note.role != "body" else 0
        _label(note, texts.get(bid, ""), bid in shared and bid not in headings and bid not in quotes)
        if bid in headings:
            note.kind, note.reason = "heading", f"section heading shared by {note.support} stories, kept with its story"
        elif bid in quotes:
            note.kind, note.reason = "quote", f"quotation shared by {note.support} stories, kept as reporting"


def _label(note: BlockNote, text: str, shared: bool) -> None:
    """Label one block from its structural role and whether it is shared across stories."""
    if note.role == "title":
        note.label, note.reason = "content", "headline of the article (kept as its title)"
    elif note.role == "duplicate-title":
        note.label, note.reason = "duplicate-title", "the headline printed again"
    elif note.role in ("chrome", "outside"):
        note.label = "boilerplate"
        note.kind = note.kind or "navigation"
        where = "outside any article" if note.role == "outside" else "inside the article"
        note.reason = f"page chrome ({note.kind}) {where}"
    elif shared:
        note.label, note.kind = "boilerplate", kind_of(text)
        note.reason = f"shared by {note.support} different stories"
    else:
        note.label, note.kind, note.reason = "content", None, None
