"""Stage 2b, segment: ``Block`` s of each page -> article ``Occurrence`` s, titles and page chrome.

An article starts at a headline-like block that carries boundary evidence: a bullet or list number, the same
headline printed again right below it, a rule line before it, a date/byline under it, the top of the page, or a
block before it that recurs across the corpus in front of different text (a per-article disclaimer, a "Read the
full story" line). Candidates are not starts until the text up to the next candidate holds a body paragraph, so a
list of short items is never a run of articles. Page furniture after the story (bio, "Latest Articles",
newsletter, comments, "Related Articles" lists with other stories' snippets) is trimmed off as page chrome.
A JSONL record is always exactly one article.

    >>> occurrences, notes = segment(corpus, SegmentConfig())
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import NamedTuple, Sequence

import numpy as np
from rapidfuzz import fuzz

from . import chrome
from .config import SegmentConfig
from .fingerprint import sorted_unique
from .normalize import skeleton, title_key
from .parallel import map_shards
from .records import Block, BlockNote, Corpus, Occurrence

MIN_BODY_WORDS = 8
SECTION_PARAGRAPH_WORDS = 25
STRONG_START = 4
FOOTER_KINDS = frozenset({"navigation", "footer", "newsletter", "share"})
LIST_SECTIONS = frozenset({"related", "comments", "newsletter", "hashtags", "share"})


class Features(NamedTuple):
    """What segmentation needs to know about one block (a tuple: cheap to pass between processes)."""

    title: str
    bullet: bool
    heading: bool
    chrome: str | None
    rule: bool
    byline: bool
    words: int
    gap: int = 1
    caps: bool = False


def features(block: Block, config: SegmentConfig, gap: int = 1) -> Features:
    """Structural features of one block; ``gap`` is the number of blank lines above it."""
    return text_features(block.text, config, gap)


def text_features(text: str, config: SegmentConfig, gap: int = 1) -> Features:
    """Structural features of a block's text."""
    title, bullet = chrome.strip_bullet(text)
    heading = chrome.is_heading(text, config.max_title_words)
    caps = heading and _all_caps(title)  # only headings' style is compared
    return Features(title, bullet, heading, chrome.chrome_kind(text), chrome.is_rule(text), chrome.is_byline(text),
                    chrome.word_count(text), gap, caps)


def looks_shard(texts: Sequence[str], config: SegmentConfig) -> list[tuple[str, Features]]:
    """Skeleton and features (one blank line above) of each of a shard of block texts (a unit of work for
    ``parallel.map_shards``)."""
    return [(skeleton(text), text_features(text, config)) for text in texts]


def block_looks(corpus: Corpus, config: SegmentConfig, workers: int = 1,
                known: tuple[Sequence[int], Sequence[str], Sequence[Features]] | None = None
                ) -> tuple[list[str], list[Features]]:
    """Each block's skeleton and features, from ``known`` (the row of each block's text, and each row's skeleton
    and features with one blank line above, as ``looks_shard`` gives them) or computed once per distinct text
    (reprints repeat most blocks) by ``workers`` processes; a block's features then take its own gap."""
    if known is None:
        index: dict[str, int] = {}
        rows = [index.setdefault(block.text, len(index)) for block in corpus.blocks]
        looks = map_shards(partial(looks_shard, config=config), list(index), workers)
        known = rows, [key for key, _ in looks], [features for _, features in looks]
    rows, keys, bases = known
    skeletons, feats = [], []
    with_gap: dict[tuple[int, int], Features] = {}
    for row, gap in zip(rows, _gaps(corpus)):
        skeletons.append(keys[row])
        base = bases[row]
        if gap != base.gap:
            if (row, gap) not in with_gap:
                with_gap[row, gap] = base._replace(gap=gap)
            base = with_gap[row, gap]
        feats.append(base)
    return skeletons, feats


def _all_caps(title: str) -> bool:
    """At least 80 % of the letters are upper case (a wire-style headline)."""
    letters = [c for c in title if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _gaps(corpus: Corpus) -> list[int]:
    """Blank lines above each block within its page (the first block counts its leading blank lines)."""
    gaps = []
    for i, block in enumerate(corpus.blocks):
        prev = corpus.blocks[i - 1] if i and corpus.blocks[i - 1].page == block.page else None
        gaps.append(block.start_line - (prev.end_line if prev else 0) - 1)
    return gaps


def same_title(a: str, b: str) -> bool:
    """Two headline strings that are the same headline (allowing a "| Site" suffix or small edits)."""
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    if long_.startswith(short) and len(short) >= 0.5 * len(long_) and len(short.split()) >= 2:
        return True
    return fuzz.ratio(ka, kb) >= 92


def boundary_blocks(corpus: Corpus, keys: list[str] | None = None) -> set[int]:
    """Blocks whose wording recurs (3+ times) in front of 3+ different following texts: article ends.

    ``keys`` are the blocks' skeletons when the caller has them already. Counted over integer ids of the
    skeletons: the blocks of each, and the distinct (skeleton, next skeleton on the page or the page's end) pairs.
    """
    keys = keys if keys is not None else [skeleton(b.text) for b in corpus.blocks]
    if not keys:
        return set()
    index: dict[str, int] = {}
    ids = np.fromiter((index.setdefault(key, len(index)) for key in keys), dtype=np.int64, count=len(keys))
    end = len(index)  # the id of "no next block on this page"
    pages = np.fromiter((block.page for block in corpus.blocks), dtype=np.int64, count=len(keys))
    following = np.full(len(keys), end, dtype=np.int64)
    following[:-1] = np.where(pages[1:] == pages[:-1], ids[1:], end)
    count = np.bincount(ids, minlength=end)
    followers = np.bincount(sorted_unique(ids * (end + 1) + following) // (end + 1), minlength=end)
    recurring = (count >= 3) & (followers >= 3)
    if "" in index:
        recurring[index[""]] = False
    return {i for i in np.flatnonzero(recurring[ids]).tolist() if not chrome.is_heading(corpus.blocks[i].text)}


def segment(corpus: Corpus, config: SegmentConfig, looks: tuple[list[str], list[Features]] | None = None,
            workers: int = 1) -> tuple[list[Occurrence], list[BlockNote]]:
    """Find every article occurrence; return occurrences and one note per block (role, kind, occurrence).

    ``looks`` are the blocks' skeletons and features (``block_looks``) when the caller has them already.
    """
    notes = [BlockNote() for _ in corpus.blocks]
    skeletons, feats = looks or block_looks(corpus, config, workers)
    boundary = boundary_blocks(corpus, skeletons)
    by_page: dict[int, list[int]] = defaultdict(list)
    for block in corpus.blocks:
        by_page[block.page].append(block.index)
    occurrences: list[Occurrence] = []
    for page in corpus.pages:
        ids = by_page.get(page.index, [])
        if page.record is not None and "offset" not in dict(page.meta):  # a record is one article; a crawled
            articles = [_record_article(page.title, ids, feats, notes)]  # page (WARC) is cut like a text page
        else:
            articles = _page_articles(ids, feats, boundary, notes)
        for block_ids, title, title_block in articles:
            occurrence = Occurrence(len(occurrences), page.index, tuple(block_ids), title, title_block)
            for bid in block_ids:
                notes[bid].occurrence = occurrence.index
            occurrences.append(occurrence)
    return occurrences, notes


Article = tuple[list[int], "str | None", "int | None"]


def _record_article(title: str | None, ids: list[int], feats: list[Features], notes: list[BlockNote]) -> Article:
    """A JSONL record: one article; a title repeated at the top of its text is a duplicate title."""
    if ids and title is not None and same_title(title, feats[ids[0]].title):
        _mark(notes, ids[0], "duplicate-title", "title")
    elif ids and title is None and len(ids) > 1 and feats[ids[0]].heading and not feats[ids[0]].chrome:
        title = feats[ids[0]].title
        _mark(notes, ids[0], "title", "title")
        return ids, title, ids[0]
    _mark_chrome_lines(ids, feats, notes)
    return ids, title, None


def _page_articles(ids: list[int], feats: list[Features], boundary: set[int],
                   notes: list[BlockNote]) -> list[Article]:
    """Cut one text page into articles; mark page chrome outside them."""
    starts = _starts(ids, feats, boundary)
    single = not starts
    if single:
        first = _single_start(ids, feats)
        starts = [] if first is None else [first]
    for pos in range(0, starts[0] if starts else len(ids)):
        _mark(notes, ids[pos], "outside", feats[ids[pos]].chrome or "navigation")
    articles = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(ids)
        span = _trim_tail(ids[start:end], feats, notes, last=n + 1 == len(starts), boundary=boundary)
        articles.append(_titled(span, feats, notes, single))
    return articles


def _single_start(ids: list[int], feats: list[Features]) -> int | None:
    """First block of a page's only article: past chrome, and past page headers stacked above its title."""
    first = next((p for p, bid in enumerate(ids) if not feats[bid].chrome and not feats[bid].rule), None)
    while first is not None and first + 1 < len(ids):
        f, nxt = feats[ids[first]], feats[ids[first + 1]]
        if not (f.heading and nxt.heading and not nxt.chrome and not nxt.byline and not same_title(f.title, nxt.title)):
            break
        if first + 2 >= len(ids) or not (_is_body(feats[ids[first + 2]]) or feats[ids[first + 2]].byline):
            break
        first += 1
    return first


def _starts(ids: list[int], feats: list[Features], boundary: set[int]) -> list[int]:
    """Positions (in ``ids``) of blocks that start an article, after the body check."""
    typical = _typical_gap(ids, feats)
    candidates = []
    in_section = False
    for pos, bid in enumerate(ids):
        score = _start_score(pos, ids, feats, boundary, typical)
        if score >= 2 and (not in_section or score >= STRONG_START or _story_follows(pos, ids, feats)):
            candidates.append(pos)
            in_section = False
        elif chrome.heading_kind(feats[bid].title) in LIST_SECTIONS:
            in_section = True  # "Related Articles", "Comments" ...: headlines listed below are not articles
    kept: list[int] = []
    for n, pos in enumerate(candidates):
        end = candidates[n + 1] if n + 1 < len(candidates) else len(ids)
        if any(_is_body(feats[bid]) for bid in ids[pos + 1:end]):
            kept.append(pos)
    if kept:
        lead = _leading_start(ids[:kept[0]], feats, [feats[ids[p]] for p in kept])
        if lead is not None:
            kept.insert(0, lead)
    if len(kept) == 1 and not any(_is_body(feats[bid]) for bid in ids[:kept[0]]):
        return []  # a single article at the top of its page: handled as a single-article page
    return kept


def _typical_gap(ids: list[int], feats: list[Features]) -> int:
    """The most common number of blank lines above a body paragraph of the page."""
    gaps = sorted(feats[bid].gap for bid in ids if _is_body(feats[bid]))
    return max(set(gaps), key=lambda g: (gaps.count(g), -g)) if gaps else 1


def _story_follows(pos: int, ids: list[int], feats: list[Features]) -> bool:
    """Whether a story follows the heading at ``pos``: body first, and two body blocks in the next four."""
    nxt = [feats[bid] for bid in ids[pos + 1:pos + 6] if not feats[bid].byline and not same_title(
        feats[ids[pos]].title, feats[bid].title)][:4]
    return bool(nxt) and _is_body(nxt[0]) and sum(_is_body(f) for f in nxt) >= 2


def _leading_start(lead: list[int], feats: list[Features], found: list[Features]) -> int | None:
    """An article above the first confirmed start, so that no story text is left outside an article.

    Prefer a heading styled like the page's confirmed titles (case, bullet) and followed by body; else the
    first heading followed by body; else, when the region still holds body text, its first non-chrome block.
    """
    caps = sum(f.caps for f in found) * 2 > len(found)
    bullet = sum(f.bullet for f in found) * 2 > len(found)
    heads = []
    for pos, bid in enumerate(lead[:-1]):
        f, nxt = feats[bid], feats[lead[pos + 1]]
        if f.heading and not f.chrome and not f.rule and chrome.word_count(f.title) >= 2 and (
                _is_body(nxt) or nxt.byline) and any(_is_body(feats[b]) for b in lead[pos + 1:]):
            heads.append(pos)
    styled = [p for p in heads if feats[lead[p]].caps == caps and feats[lead[p]].bullet == bullet]
    if styled or heads:
        return (styled or heads)[0]
    if sum(_is_body(feats[b]) for b in lead) >= 2:
        return next(p for p, b in enumerate(lead) if not feats[b].chrome and not feats[b].rule)
    return None


def _start_score(pos: int, ids: list[int], feats: list[Features], boundary: set[int], typical: int = 1) -> int:
    """Boundary evidence for the block at ``pos`` being an article's first block."""
    f = feats[ids[pos]]
    if not f.heading or f.chrome or f.rule or f.byline or chrome.word_count(f.title) < 2:
        return 0
    if pos > 0 and same_title(feats[ids[pos - 1]].title, f.title):
        return 0  # the headline printed again under itself
    score = 1 if f.bullet else 0
    nxt = feats[ids[pos + 1]] if pos + 1 < len(ids) else None
    if nxt is not None and same_title(f.title, nxt.title):
        score += 3
        nxt = feats[ids[pos + 2]] if pos + 2 < len(ids) else None
    if nxt is not None and nxt.byline:
        score += 2
    if not any(_is_body(feats[bid]) for bid in ids[:pos]):
        score += 1  # top of the page: only headers or chrome above
    else:
        prev = feats[ids[pos - 1]]
        if prev.rule or ids[pos - 1] in boundary or chrome.is_read_more(prev.title):
            score += 2
        elif prev.chrome or prev.byline:
            score += 1  # a sign-off, read-more or advertisement line closes the article above
        if f.gap > typical:
            score += 1  # more blank lines above than between paragraphs
    return score


def _is_body(f: Features) -> bool:
    """A block that can be an article's body text."""
    return not f.heading and not f.chrome and not f.byline and f.words >= MIN_BODY_WORDS


def _trim_tail(span: list[int], feats: list[Features], notes: list[BlockNote], *, last: bool,
               boundary: set[int]) -> list[int]:
    """Cut what follows the story: separators, the page footer, and furniture from a list-section heading on.

    One-line chrome before such a heading (a bio, a "Read the full story" line, a per-article promo) belongs
    to the article and stays inside its span, labelled as chrome.
    """
    for pos in range(1, len(span)):
        kind = chrome.heading_kind(feats[span[pos]].title) if feats[span[pos]].chrome else None
        if kind is None or not any(_is_body(feats[b]) for b in span[:pos]):
            continue
        if _tail_fits(span[pos:], feats):
            while pos > 1 and feats[span[pos - 1]].chrome in FOOTER_KINDS:
                pos -= 1  # a share bar or nav row right above the section belongs to it
            section = kind
            for bid in span[pos:]:
                own = feats[bid].chrome
                if own and chrome.heading_kind(feats[bid].title):
                    section = own
                _mark(notes, bid, "outside", own or section)
            span = span[:pos]
            break
    while len(span) > 1 and (feats[span[-1]].rule or (last and _footer(feats[span[-1]], span[-1] in boundary))):
        _mark(notes, span[-1], "outside", "separator" if feats[span[-1]].rule else (feats[span[-1]].chrome
                                                                                     or "navigation"))
        span = span[:-1]
    return span


def _footer(f: Features, recurring: bool) -> bool:
    """A page-footer line at the end of the page: navigation, copyright, subscription or share furniture."""
    return f.chrome in FOOTER_KINDS and not f.byline


def _tail_fits(tail: list[int], feats: list[Features]) -> bool:
    """Whether ``tail`` reads as a list of furniture: the story never resumes with two paragraphs in a row.

    Items of a "Related Articles" list may carry long snippets, but each stands alone between short lines
    (source, time, headline); a story that goes on after a box resumes with consecutive paragraphs.
    """
    body = [not feats[bid].chrome and feats[bid].words >= SECTION_PARAGRAPH_WORDS for bid in tail[1:]]
    return not any(a and b for a, b in zip(body, body[1:]))


def _titled(span: list[int], feats: list[Features], notes: list[BlockNote], single: bool) -> Article:
    """Find the article's title (and a repeated title or byline under it); mark in-story chrome lines."""
    title: str | None = None
    title_block: int | None = None
    first = span[0]
    if feats[first].heading and (not single or len(span) > 1):
        title, title_block = feats[first].title, first
        _mark(notes, first, "title", "title")
        pos = 1
        if pos < len(span) and same_title(title, feats[span[pos]].title):
            _mark(notes, span[pos], "duplicate-title", "title")
            pos += 1
        if pos < len(span) and feats[span[pos]].byline:
            _mark(notes, span[pos], "chrome", "byline")
    _mark_chrome_lines(span, feats, notes)
    return span, title, title_block


def _mark_chrome_lines(span: list[int], feats: list[Features], notes: list[BlockNote]) -> None:
    """Label one-line furniture inside a story ("Advertisement", "READ MORE ...") as chrome."""
    for bid in span:
        if notes[bid].role == "body" and (feats[bid].chrome or feats[bid].rule):
            _mark(notes, bid, "chrome", feats[bid].chrome or "separator")


def _mark(notes: list[BlockNote], bid: int, role: str, kind: str | None) -> None:
    """Set a block's structural role and kind."""
    notes[bid].role = role
    notes[bid].kind = kind
