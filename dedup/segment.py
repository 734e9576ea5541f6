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
from dataclasses import dataclass

from rapidfuzz import fuzz

from . import chrome
from .config import SegmentConfig
from .normalize import skeleton, title_key
from .records import Block, BlockNote, Corpus, Occurrence

MIN_BODY_WORDS = 8
SECTION_PARAGRAPH_WORDS = 25
STRONG_START = 4
LIST_SECTIONS = frozenset({"related", "comments", "newsletter", "hashtags", "share"})


@dataclass(frozen=True)
class Features:
    """What segmentation needs to know about one block."""

    title: str
    bullet: bool
    heading: bool
    chrome: str | None
    rule: bool
    byline: bool
    words: int


def features(block: Block, config: SegmentConfig) -> Features:
    """Structural features of one block."""
    title, bullet = chrome.strip_bullet(block.text)
    return Features(title, bullet, chrome.is_heading(block.text, config.max_title_words),
                    chrome.chrome_kind(block.text), chrome.is_rule(block.text), chrome.is_byline(block.text),
                    len(chrome.words(block.text)))


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


def boundary_blocks(corpus: Corpus) -> set[int]:
    """Blocks whose wording recurs (3+ times) in front of 3+ different following texts: article ends."""
    count: dict[str, int] = defaultdict(int)
    followers: dict[str, set[str]] = defaultdict(set)
    keys = [skeleton(b.text) for b in corpus.blocks]
    for i, block in enumerate(corpus.blocks):
        count[keys[i]] += 1
        nxt = corpus.blocks[i + 1] if i + 1 < len(corpus.blocks) else None
        followers[keys[i]].add(keys[i + 1] if nxt is not None and nxt.page == block.page else "\0end")
    return {i for i, key in enumerate(keys) if key and count[key] >= 3 and len(followers[key]) >= 3}


def segment(corpus: Corpus, config: SegmentConfig) -> tuple[list[Occurrence], list[BlockNote]]:
    """Find every article occurrence; return occurrences and one note per block (role, kind, occurrence)."""
    notes = [BlockNote() for _ in corpus.blocks]
    feats = [features(b, config) for b in corpus.blocks]
    boundary = boundary_blocks(corpus)
    by_page: dict[int, list[int]] = defaultdict(list)
    for block in corpus.blocks:
        by_page[block.page].append(block.index)
    occurrences: list[Occurrence] = []
    for page in corpus.pages:
        ids = by_page.get(page.index, [])
        if page.record is not None:
            articles = [_record_article(page.title, ids, feats, notes)]
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
    if not starts:
        first = next((p for p, bid in enumerate(ids) if not feats[bid].chrome and not feats[bid].rule), None)
        starts = [] if first is None else [first]
        single = True
    else:
        single = False
    for pos in range(0, starts[0] if starts else len(ids)):
        _mark(notes, ids[pos], "outside", feats[ids[pos]].chrome or "navigation")
    articles = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(ids)
        span = ids[start:end]
        span = _trim_tail(span, feats, notes)
        articles.append(_titled(span, feats, notes, single))
    return articles


def _starts(ids: list[int], feats: list[Features], boundary: set[int]) -> list[int]:
    """Positions (in ``ids``) of blocks that start an article, after the body check."""
    candidates = []
    in_section = False
    for pos, bid in enumerate(ids):
        score = _start_score(pos, ids, feats, boundary)
        if score >= (STRONG_START if in_section else 2):
            candidates.append(pos)
            in_section = False
        elif chrome.heading_kind(feats[bid].title) in LIST_SECTIONS:
            in_section = True  # "Related Articles", "Comments" ...: headlines listed below are not articles
    kept: list[int] = []
    for n, pos in enumerate(candidates):
        end = candidates[n + 1] if n + 1 < len(candidates) else len(ids)
        if any(_is_body(feats[bid]) for bid in ids[pos + 1:end]):
            kept.append(pos)
    if len(kept) == 1 and all(feats[bid].chrome or feats[bid].rule for bid in ids[:kept[0]]):
        return []  # a single article at the top of its page: handled as a single-article page
    return kept


def _start_score(pos: int, ids: list[int], feats: list[Features], boundary: set[int]) -> int:
    """Boundary evidence for the block at ``pos`` being an article's first block."""
    f = feats[ids[pos]]
    if not f.heading or f.chrome or f.rule or f.byline or len(chrome.words(f.title)) < 2:
        return 0
    score = 1 if f.bullet else 0
    nxt = feats[ids[pos + 1]] if pos + 1 < len(ids) else None
    if nxt is not None and same_title(f.title, nxt.title):
        score += 3
        nxt = feats[ids[pos + 2]] if pos + 2 < len(ids) else None
    if nxt is not None and nxt.byline:
        score += 2
    if not any(_is_body(feats[bid]) for bid in ids[:pos]):
        score += 1  # top of the page: only headers or chrome above
    elif feats[ids[pos - 1]].rule or ids[pos - 1] in boundary:
        score += 2
    return score


def _is_body(f: Features) -> bool:
    """A block that can be an article's body text."""
    return not f.heading and not f.chrome and not f.byline and f.words >= MIN_BODY_WORDS


def _trim_tail(span: list[int], feats: list[Features], notes: list[BlockNote]) -> list[int]:
    """Cut page furniture that follows the story from a section heading on ("Related Articles", "Comments").

    One-line chrome before such a heading (a bio, a "Read the full story" line) belongs to the article and
    stays inside its span, labelled as chrome.
    """
    for pos in range(1, len(span)):
        kind = chrome.heading_kind(feats[span[pos]].title) if feats[span[pos]].chrome else None
        if kind is None or not any(_is_body(feats[b]) for b in span[:pos]):
            continue
        if _tail_fits(span[pos:], feats):
            section = kind
            for bid in span[pos:]:
                own = feats[bid].chrome
                if own and chrome.heading_kind(feats[bid].title):
                    section = own
                _mark(notes, bid, "outside", own or section)
            return span[:pos]
    return span


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
