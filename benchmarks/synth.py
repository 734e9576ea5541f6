"""Synthetic syndication network with ground truth, built at run time from Reuters-21578 stories.

``generate`` picks ``n_stories`` real stories and republishes each one 1..6 times across eight fictional sites,
each with its own layout and chrome: tag pages (bullet lists, title repeated as a heading), archive pages (date and
author lines, rule lines between articles), e-mail digests of teasers (CRLF), blog posts wrapped in author bio,
"Latest Articles", newsletter, comments and "Related Articles" chrome, newswire pages with "Advertisement" and
"READ MORE" lines, plain-text notes hard-wrapped at 72 columns, and JSONL dumps whose key names differ per site.
Copies are exact reprints, near copies (headline rewrites, "UPDATE 1-" prefixes, a paragraph dropped or added,
number and spelling edits, ticker artifacts, citation markers, datelines), truncations and one-paragraph teasers.
Sites add per-article disclaimers and promos whose wording drifts over time and templated paragraphs with slots.
Pairs of different stories that share names, a quoted sentence or a stock opening are recorded as hard negatives.

It writes ``DIR/input/*`` and the gold file ``DIR/truth.jsonl`` (format: benchmarks/README.md). One seed gives
byte-identical output. The Reuters text is read from ``$DEDUP_CORPORA/reuters21578.jsonl`` (default
``<repo root>/../shared/corpora``); it is research-only and is never copied into the repository.

    >>> generate(Path("/tmp/syn"), n_stories=150, seed=1).name
    'truth.jsonl'
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import sys
import textwrap
from collections import deque
from itertools import islice
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from dedup.jsonio import parse_object

CORPUS_FILE = "reuters21578.jsonl"
CORPORA_ENV = "DEDUP_CORPORA"
COPY_KINDS = ("original", "exact", "near", "truncated", "teaser")
HARD_NEGATIVE_KINDS = ("names", "quote", "opening")
TRUTH_FILE = "truth.jsonl"
INPUT_DIR = "input"
MIN_STORIES = 6

# How many times a story is printed (1..6) and what kind each extra copy is.
COPIES_PER_STORY = (1, 2, 3, 4, 5, 6)
COPIES_WEIGHTS = (30, 25, 20, 12, 8, 5)
EXTRA_KINDS = ("exact", "near", "truncated", "teaser")
EXTRA_WEIGHTS = (35, 35, 15, 15)
NEAR_EDITS = ("headline", "update", "drop", "add", "numbers", "spelling", "ticker", "citation", "dateline")
SAME_SITE_REPRINT = 0.3
HARD_NEGATIVE_SHARE = 0.02
STOCK_OPENING_SHARE = 0.04
WRAP_WIDTH = 72


class CorpusMissingError(FileNotFoundError):
    """The Reuters corpus file is not where the generator looked for it."""


@dataclass
class Story:
    """One source story; ``paragraphs`` is its full true text (after hard-negative edits)."""

    cluster: str
    title: str
    paragraphs: list[str]
    date: dt.date
    topics: tuple[str, ...]


@dataclass
class Copy:
    """One printed copy of a story, before it is laid out on a page."""

    story: Story
    kind: str
    channel: str
    title: str
    paragraphs: list[str]
    published: dt.date


@dataclass(frozen=True)
class Channel:
    """A site's publishing channel: one layout, page sizes, share of CRLF pages, JSONL keys."""

    name: str
    site: str
    layout: str
    per_page: tuple[int, int]
    crlf: float = 0.0
    keys: tuple[str, str, str] = ("id", "title", "text")
    title_on_top: float = 0.0


CHANNELS: tuple[Channel, ...] = (
    Channel("globalwire-tag", "globalwire", "tag_indented", (5, 12)),
    Channel("marketpulse-tag", "marketpulse", "tag_plain", (4, 10), crlf=0.5),
    Channel("marketpulse-dump", "marketpulse", "jsonl", (30, 90), keys=("doc_id", "title", "body")),
    Channel("ledgerdaily-archive", "ledgerdaily", "archive", (3, 7)),
    Channel("briefing-digest", "briefing", "digest", (4, 8), crlf=1.0),
    Channel("tradersblog-post", "tradersblog", "blog", (1, 1)),
    Channel("newsdesk-wire", "newsdesk", "wire", (1, 3)),
    Channel("newsdesk-dump", "newsdesk", "jsonl", (30, 90), keys=("id", "title", "content"), title_on_top=0.3),
    Channel("fieldnotes-note", "fieldnotes", "notes", (1, 3), crlf=0.3),
    Channel("datadump-dump", "datadump", "jsonl", (40, 120), keys=("id", "title", "text"), title_on_top=0.6),
)
CHANNEL_BY_NAME = {channel.name: channel for channel in CHANNELS}
FULL_WEIGHTS = {
    "globalwire-tag": 16, "marketpulse-tag": 11, "marketpulse-dump": 5, "ledgerdaily-archive": 12,
    "tradersblog-post": 13, "newsdesk-wire": 12, "newsdesk-dump": 5, "fieldnotes-note": 10, "datadump-dump": 10,
}
TEASER_WEIGHTS = {"briefing-digest": 8, "globalwire-tag": 2}
REPRINT_CHANNELS = ("globalwire-tag", "marketpulse-tag", "ledgerdaily-archive")

PEOPLE = ("Anna Berg", "John Smith", "Maria Gonzalez-Ortega", "Li Wei", "Robert James Halloran", "Kenji Sato",
          "Priya Raman", "Ole Hansen", "Catherine de la Fontaine", "Tom Ng")
AUTHORS = ("Jane Doe", "Mark Ellison", "Sofia Alvarez Ruiz", "Peter Kowalski", "Amara Okafor", "David Chen")
AGENCIES = ("Agency", "Globe Wire", "Pacific Press Agency", "NWS", "Continental News Service")
SOURCES = ("Globe Wire", "The Morning Ledger", "Pacific Press Agency Financial Desk", "NWS", "Market Daily")
CITIES = ("LONDON", "NEW YORK", "TOKYO", "WASHINGTON", "FRANKFURT", "SINGAPORE", "HONG KONG", "PARIS", "CHICAGO")
COMPANIES = ("Acme", "First National Bank of Chicago", "Consolidated Edison", "Ibex Mining Corp", "Nordstar")
OPENINGS = (
    "In the coming weeks and months, investors, analysts and policymakers will be watching closely to see how the "
    "following development plays out.",
    "As markets digest another busy week of corporate and economic news, one development stands out for traders "
    "and analysts alike.",
    "Against a backdrop of volatile markets and shifting policy expectations, the latest news adds another piece "
    "to a complicated puzzle.",
    "In a move closely watched by industry observers and market participants around the world, attention turned "
    "once again to the following report.",
)
SPELLINGS = (("program", "programme"), ("labor", "labour"), ("center", "centre"), ("defense", "defence"),
             ("favor", "favour"), ("organization", "organisation"), ("analyze", "analyse"), ("percent", "per cent"))
HEADLINE_SWAPS = {"SAYS": "said", "SEES": "expects", "RAISES": "lifts", "CUTS": "lowers", "BUY": "purchase",
                  "UNIT": "division", "NET": "profit", "SETS": "announces", "TO": "to", "IN": "in", "OF": "of"}
NOT_NAMES = frozenset(
    "The This That These Those There Their They Then Than And But For With From When While Where Which What Who "
    "His Her Its Our Your Some Many Most Such Also However Last Next First Second Third Under Over After Before "
    "January February March April May June July August September October November December Monday Tuesday "
    "Wednesday Thursday Friday Saturday Sunday Reuter Reuters Inc Corp Ltd Company Group Bank Mln Dlrs".split())

_NAME = re.compile(r"\b[A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,})*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_TICKER_WORD = re.compile(r"(?<=\s)[A-Z][a-z]{3,}\b")
_THOUSANDS = re.compile(r"(\d),(\d{3})\b")
_SLUG = re.compile(r"[^a-z0-9]+")


# ----------------------------------------------------------------------------------------------------------- corpus


def default_corpus_path() -> Path:
    """``$DEDUP_CORPORA/reuters21578.jsonl``, else ``<repo root>/../shared/corpora/reuters21578.jsonl``."""
    folder = os.environ.get(CORPORA_ENV)
    base = Path(folder) if folder else Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
    return base / CORPUS_FILE


def load_corpus(path: Path) -> list[dict]:
    """Read the Reuters JSONL file, sorted by id; errors name the file and line."""
    if not path.is_file():
        raise CorpusMissingError(
            f"{path}: Reuters corpus not found; set {CORPORA_ENV} to the folder that holds {CORPUS_FILE} "
            f"(default <repo root>/../shared/corpora, see its README.md)")
    docs: list[dict] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = parse_object(line, f"{path}:{number}", ValueError)
            if not (isinstance(record, dict) and isinstance(record.get("title"), str)
                    and isinstance(record.get("text"), str) and isinstance(record.get("id"), int)):
                raise ValueError(f"{path}:{number}: expected an object with int 'id' and string 'title', 'text'")
            docs.append(record)
    docs.sort(key=lambda record: record["id"])
    return docs


def clean(text: str) -> str:
    """Collapse all whitespace (including line-breaking characters such as U+2028) to single spaces."""
    return " ".join(text.split())


def to_story(record: dict) -> Story:
    """A ``Story`` from one corpus record, paragraphs cleaned and empty ones dropped."""
    paragraphs = [clean(p) for p in record["text"].split("\n\n")]
    try:
        date = dt.date.fromisoformat(str(record.get("date", ""))[:10])
    except ValueError:
        date = dt.date(1987, 3, 1)
    topics = tuple(str(t) for t in record.get("topics") or ())
    return Story(f"story-{record['id']:05d}", clean(record["title"]), [p for p in paragraphs if p], date, topics)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph (a simple punctuation heuristic)."""
    return [s for s in _SENTENCE_END.split(paragraph) if s]


def extract_names(paragraphs: Sequence[str], limit: int = 4) -> list[str]:
    """Most frequent capitalised names that do not start a sentence, ties in order of first appearance."""
    counts: dict[str, int] = {}
    for paragraph in paragraphs:
        for sentence in split_sentences(paragraph):
            for match in _NAME.finditer(sentence):
                name = match.group()
                if match.start() == 0 or name.split()[0] in NOT_NAMES:
                    continue
                counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [name for name, _ in ranked[:limit]]


# --------------------------------------------------------------------------------------------- hard negatives


def share_names(a: Story, b: Story) -> bool:
    """Rewrite ``b`` so that it names ``a``'s people and companies; False when either has too few names."""
    source, target = extract_names(a.paragraphs), extract_names(b.paragraphs)
    if len(source) < 3 or len(target) < 3:
        return False
    mapping = dict(zip(target, source))
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(mapping, key=len, reverse=True)) + r")\b")
    b.paragraphs = [pattern.sub(lambda m: mapping[m.group(1)], p) for p in b.paragraphs]
    upper = {k.upper(): v.upper() for k, v in mapping.items()}
    upper_pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(upper, key=len, reverse=True)) + r")\b")
    b.title = upper_pattern.sub(lambda m: upper[m.group(1)], b.title)
    if source[0].upper() not in b.title:
        b.title = f"{source[0].upper()}: {b.title}"
    return True


def quoted_sentence(pool: Sequence[dict], rng: random.Random) -> str:
    """A 14..40-word sentence without quotes from a story that is not in the network."""
    for _ in range(200):
        record = pool[rng.randrange(len(pool))]
        candidates = [s for p in to_story(record).paragraphs for s in split_sentences(p)
                      if 14 <= len(s.split()) <= 40 and '"' not in s]
        if candidates:
            return rng.choice(candidates)
    raise ValueError("no quotable sentence found in the unused stories")


def add_quote(a: Story, b: Story, sentence: str, speaker: str) -> None:
    """Give both stories the same quoted paragraph, after their first paragraph."""
    quote = f'"{sentence.rstrip(".")}," {speaker} said.'
    for story in (a, b):
        story.paragraphs.insert(min(1, len(story.paragraphs)), quote)


def add_opening(story: Story, opening: str) -> None:
    """Prefix the first paragraph with a stock opening; the paragraph stays story content."""
    story.paragraphs[0] = f"{opening} {story.paragraphs[0]}"


def make_hard_negatives(stories: list[Story], pool: Sequence[dict],
                        rng: random.Random) -> list[tuple[str, str, str]]:
    """Edit disjoint story pairs into hard negatives; also give a few other stories stock openings."""
    per_kind = max(1, round(len(stories) * HARD_NEGATIVE_SHARE))
    order = list(range(len(stories)))
    rng.shuffle(order)
    free = [stories[i] for i in order]
    pairs: list[tuple[str, str, str]] = []
    named = list(islice((s for s in free if len(extract_names(s.paragraphs)) >= 3), 2 * per_kind))
    for a, b in zip(named[0::2], named[1::2]):
        if share_names(a, b):
            pairs.append(_pair((a, b), "names"))
    taken = {s.cluster for s in named}
    free = [s for s in free if s.cluster not in taken]
    for a, b in zip(free[0:2 * per_kind:2], free[1:2 * per_kind:2]):
        add_quote(a, b, quoted_sentence(pool, rng), rng.choice(PEOPLE))
        pairs.append(_pair((a, b), "quote"))
    free = free[2 * per_kind:]
    for index, (a, b) in enumerate(zip(free[0:2 * per_kind:2], free[1:2 * per_kind:2])):
        add_opening(a, OPENINGS[index % len(OPENINGS)])
        add_opening(b, OPENINGS[index % len(OPENINGS)])
        pairs.append(_pair((a, b), "opening"))
    free = free[2 * per_kind:]
    extra = max(1, round(len(stories) * STOCK_OPENING_SHARE))
    for story in free[:extra]:
        add_opening(story, rng.choice(OPENINGS))
    return sorted(pairs)


def _pair(found: tuple[Story, Story], why: str) -> tuple[str, str, str]:
    """A hard-negative record with the two cluster ids in sorted order."""
    a, b = sorted((found[0].cluster, found[1].cluster))
    return a, b, why


# ---------------------------------------------------------------------------------------------------- copies


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    """One key of ``weights`` drawn by weight (dict order is fixed, so this is deterministic)."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_copies(stories: list[Story], pool_paragraphs: list[str], rng: random.Random) -> list[Copy]:
    """Every printed copy: an original per story plus 0..5 exact, near, truncated or teaser copies."""
    copies: list[Copy] = []
    for story in stories:
        count = rng.choices(COPIES_PER_STORY, weights=COPIES_WEIGHTS)[0]
        home = weighted(rng, FULL_WEIGHTS)
        copies.append(Copy(story, "original", home, story.title, list(story.paragraphs), story.date))
        for _ in range(count - 1):
            kind = rng.choices(EXTRA_KINDS, weights=EXTRA_WEIGHTS)[0]
            if kind == "truncated" and len(story.paragraphs) < 3:
                kind = "exact"
            published = story.date + dt.timedelta(days=rng.randint(0, 20))
            if kind == "teaser":
                channel = weighted(rng, TEASER_WEIGHTS)
            elif kind == "exact" and home in REPRINT_CHANNELS and rng.random() < SAME_SITE_REPRINT:
                channel = home
            else:
                channel = weighted(rng, FULL_WEIGHTS)
            title, paragraphs = story.title, list(story.paragraphs)
            if kind == "near":
                title, paragraphs = near_copy(story, rng, pool_paragraphs)
            elif kind == "truncated":
                paragraphs = paragraphs[:rng.randint(2, len(paragraphs) - 1)]
            elif kind == "teaser":
                paragraphs = paragraphs[:1]
            copies.append(Copy(story, kind, channel, title, paragraphs, published))
    return copies


def near_copy(story: Story, rng: random.Random, pool_paragraphs: list[str]) -> tuple[str, list[str]]:
    """Title and paragraphs after two random edits (a dateline when the edits changed nothing)."""
    title, paragraphs = story.title, list(story.paragraphs)
    for edit in rng.sample(NEAR_EDITS, 2):
        title, paragraphs = apply_edit(edit, title, paragraphs, rng, pool_paragraphs)
    if title == story.title and paragraphs == story.paragraphs:
        title, paragraphs = apply_edit("dateline", title, paragraphs, rng, pool_paragraphs)
    return title, paragraphs


def apply_edit(edit: str, title: str, paragraphs: list[str], rng: random.Random,
               pool_paragraphs: list[str]) -> tuple[str, list[str]]:
    """Apply one near-copy edit by name; see ``NEAR_EDITS``."""
    paragraphs = list(paragraphs)
    if edit == "headline":
        title = rewrite_headline(title)
    elif edit == "update":
        title = f"UPDATE {rng.randint(1, 3)}-{title}"
    elif edit == "drop" and len(paragraphs) >= 3:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    elif edit == "add":
        paragraphs.insert(rng.randint(1, len(paragraphs)), rng.choice(pool_paragraphs))
    elif edit == "numbers":
        paragraphs = [number_format(p) for p in paragraphs]
    elif edit == "spelling":
        paragraphs = [respell(p) for p in paragraphs]
    elif edit == "ticker":
        paragraphs = add_ticker(paragraphs, rng)
    elif edit == "citation":
        for index in sorted(rng.sample(range(len(paragraphs)), min(3, len(paragraphs)))):
            paragraphs[index] = f"{paragraphs[index]}[{rng.randint(1, 9)}]"
    elif edit == "dateline":
        paragraphs[0] = f"{rng.choice(CITIES)} ({rng.choice(AGENCIES)}) - {paragraphs[0]}"
    return title, paragraphs


def rewrite_headline(title: str) -> str:
    """Wire capitals to sentence-style words, with a few verbs swapped."""
    words = [HEADLINE_SWAPS.get(word, word) for word in title.split()]
    return " ".join(w[0] + w[1:].lower() if w.isalpha() and w.isupper() and len(w) > 3 else w for w in words)


def number_format(paragraph: str) -> str:
    """"1,000" -> "1000" and wire abbreviations spelled out."""
    paragraph = _THOUSANDS.sub(r"\1\2", paragraph)
    for short, long in ((" pct", " percent"), (" mln ", " million "), (" dlrs", " dollars")):
        paragraph = paragraph.replace(short, long)
    return paragraph


def respell(paragraph: str) -> str:
    """US spellings to British ones."""
    for us, uk in SPELLINGS:
        paragraph = re.sub(rf"\b{us}\b", uk, paragraph)
    return paragraph


def add_ticker(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Glue a ticker artifact such as "NvidiaNVDA--" onto one capitalised word."""
    candidates = [(i, m) for i, p in enumerate(paragraphs) for m in _TICKER_WORD.finditer(p)]
    if not candidates:
        return paragraphs
    index, match = candidates[rng.randrange(len(candidates))]
    ticker = match.group()[:4].upper()
    text = paragraphs[index]
    paragraphs[index] = f"{text[:match.end()]}{ticker}--{text[match.end():]}"
    return paragraphs


# ------------------------------------------------------------------------------------------------------ pages


@dataclass(frozen=True)
class Line:
    """One output line and its gold label (None only for blank lines)."""

    text: str
    label: str | None
    kind: str | None = None


@dataclass
class PageBuilder:
    """Collects labelled lines and the line spans of the articles laid out on them."""

    lines: list[Line] = field(default_factory=list)
    spans: list[tuple[int, int, Copy]] = field(default_factory=list)
    _start: int = 0

    def add(self, text: str, label: str, kind: str | None = None) -> None:
        """Append a non-blank labelled line."""
        if not text.strip():
            raise ValueError(f"labelled line is blank: {text!r}")
        self.lines.append(Line(text, label, kind))

    def blank(self, count: int = 1) -> None:
        """Append blank lines."""
        self.lines.extend(Line("", None) for _ in range(count))

    def begin(self) -> None:
        """The next line added is the first line of an article."""
        self._start = len(self.lines) + 1

    def end(self, copy: Copy) -> None:
        """Close the article at the last non-blank line so far."""
        last = max(i for i, line in enumerate(self.lines) if line.label is not None) + 1
        self.spans.append((self._start, last, copy))

    def paragraphs(self, texts: Sequence[str], indent: str = "", wrap: int = 0) -> None:
        """Content paragraphs separated by blank lines, optionally hard-wrapped."""
        for number, text in enumerate(texts):
            if number:
                self.blank()
            pieces = textwrap.wrap(text, wrap, break_long_words=False, break_on_hyphens=False) if wrap else [text]
            for piece in pieces:
                self.add(indent + piece, "content")


@dataclass
class Context:
    """What page renderers need besides the copies: randomness and the other stories' headlines."""

    rng: random.Random
    stories: list[Story]
    page_number: int = 0
    page_count: int = 0

    def others(self, copy: Copy, count: int) -> list[Story]:
        """``count`` other stories (never ``copy``'s own) for related lists and links."""
        picked: list[Story] = []
        while len(picked) < count and len(self.stories) > count:
            story = self.stories[self.rng.randrange(len(self.stories))]
            if story.cluster != copy.story.cluster and story not in picked:
                picked.append(story)
        return picked


def long_date(day: dt.date) -> str:
    """"March 3, 1987"."""
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def date_variant(day: dt.date, rng: random.Random) -> str:
    """The same date in one of several formats."""
    return rng.choice((long_date(day), f"{day.day} {day.strftime('%B')} {day.year}", day.isoformat(),
                       day.strftime("%m/%d/%Y"), f"{day.strftime('%b')} {day.day}, {day.year}"))


def by_month(options: Sequence[str], day: dt.date) -> str:
    """The wording a site used in the month of ``day``: disclaimers and promos drift over time."""
    return options[day.month % len(options)]


def slug(title: str) -> str:
    """URL slug of a headline."""
    return _SLUG.sub("-", title.lower()).strip("-")[:60] or "story"


def snippet(story: Story) -> str:
    """A one-line teaser of another story for related-article lists."""
    words = story.paragraphs[0].split()
    return " ".join(words[:16]) + ("..." if len(words) > 16 else "")


def topic(copies: Sequence[Copy]) -> str:
    """Tag name of a page: the first topic of its first article."""
    topics = copies[0].story.topics
    return topics[0].replace("-", " ").title() if topics else "Markets"


def company(copy: Copy, rng: random.Random) -> str:
    """A company-like name for template slots: a name from the story when it has one."""
    names = extract_names(copy.story.paragraphs[:2], 2)
    return names[0] if names else rng.choice(COMPANIES)


def price_slots(rng: random.Random) -> tuple[str, str]:
    """A (percent, price) pair in varied formats."""
    pct = rng.choice((f"{rng.randint(1, 15)}.{rng.randint(0, 9)} pct", f"{rng.randint(1, 15)} percent",
                      f"{rng.randint(1, 9)}.{rng.randint(0, 9)}%"))
    price = rng.choice((f"{rng.randint(5, 120)}-{rng.choice(('1/8', '1/4', '3/8', '1/2', '3/4'))} dlrs",
                        f"${rng.randint(5, 120)}.{rng.randint(0, 99):02d}"))
    return pct, price


def render_globalwire_tag(copies: Sequence[Copy], ctx: Context) -> PageBuilder:
    """Indented bullet list like the bundled seeds: bullet title, heading, paragraphs, disclaimer, 2-line promo."""
    page = PageBuilder()
    page.add(f"Tag: {topic(copies)}", "boilerplate", "navigation")
    page.blank()
    for copy in copies:
        day = copy.published
        page.begin()
        page.add(f"  \u2022 {copy.title}", "title")
        page.blank()
        page.add(f"    {copy.title}", "title")
        page.blank()
        page.paragraphs(copy.paragraphs, indent="    ")
        if copy.kind == "teaser":
            page.add(f"    Continue reading: https://globalwire.example/{day.year}/{slug(copy.title)}",
                     "boilerplate", "link")
        page.blank(2)
        page.add("    " + by_month((
            "This article is provided for informational purposes only and is not investment advice.",
            "This content is for information only and does not constitute investment advice.",
            "This article is for informational purposes only and does not constitute investment advice."), day),
            "boilerplate", "disclaimer")
        page.blank()
        page.add("    " + by_month((
            "Globalwire Markets delivers real-time commodity, currency and equity coverage for professional "
            "traders.",
            "Globalwire Markets provides real-time coverage of commodities, currencies and equities for "
            "professionals."), day), "boilerplate", "promo")
        page.add("    " + by_month((
            "For more information, visit https://globalwire.example/.",
            "For more info visit globalwire.example.",
            f"For more information, visit https://www.globalwire.example/markets?src=tag{day.month:02d}."), day),
            "boilerplate", "promo")
        page.end(copy)
        page.blank()
    page.add(f"Page {ctx.page_number} of {ctx.page_count} \u00b7 Older posts \u00bb", "boilerplate", "navigation")
    return page


def render_marketpulse_tag(copies: Sequence[Copy], ctx: Context) -> PageBuilder:
    """Flush-left list with a per-page bullet style ("*", "-", "\u25aa" or numbered), source line and app promo."""
    rng = ctx.rng
    page = PageBuilder()
    bullet = rng.choice(("*", "-", "\u25aa", "1."))
    page.add(f"MarketPulse \u203a Topics \u203a {topic(copies)}", "boilerplate", "navigation")
    page.add(f"{len(copies)} stories \u00b7 updated {long_date(copies[0].published)}", "boilerplate", "navigation")
    page.blank()
    for number, copy in enumerate(copies, start=1):
        day = copy.published
        page.begin()
        page.add(f"{number}. {copy.title}" if bullet == "1." else f"{bullet} {copy.title}", "title")
        page.add(copy.title, "title")
        page.blank()
        page.paragraphs(copy.paragraphs)
        page.blank()
        if rng.random() < 0.7:
            page.add(f"Originally published by {rng.choice(SOURCES)} on {date_variant(day, rng)}.",
                     "boilerplate", "template")
        page.add(by_month((
            f"Get the MarketPulse app: https://marketpulse.example/app?ref=tag{day.month:02d}",
            "Get the MarketPulse app for iPhone and Android at marketpulse.example/app",
            f"Download the MarketPulse app - {10 + day.month * 3},000 traders already use it."), day),
            "boilerplate", "promo")
        page.end(copy)
        page.blank(2)
    page.add("\u00a9 1987 MarketPulse Media \u00b7 Terms \u00b7 Privacy", "boilerplate", "navigation")
    return page


def render_archive(copies: Sequence[Copy], ctx: Context) -> PageBuilder:
    """Archive page: title, date/author line, paragraphs, subscription promo, a rule line between articles."""
    rng = ctx.rng
    page = PageBuilder()
    rule = rng.choice(("----", "* * *", "________________", "~~~"))
    page.add(f"LEDGER DAILY \u00b7 ARCHIVE \u00b7 {copies[0].published.strftime('%B %Y')}", "boilerplate",
             "navigation")
    page.blank()
    for number, copy in enumerate(copies):
        day = copy.published
        if number:
            page.add(rule, "boilerplate", "separator")
            page.blank()
        page.begin()
        page.add(copy.title, "title")
        page.add(f"{date_variant(day, rng)} | By {rng.choice(AUTHORS)}", "boilerplate", "template")
        page.blank()
        page.paragraphs(copy.paragraphs)
        page.blank()
        readers = 12000 + day.month * 350 + day.day * 10
        page.add(by_month((
            f"Subscribe to Ledger Daily for just {20 + day.month} cents a day.",
            f"Join {readers:,} readers: subscribe to Ledger Daily at ledgerdaily.example/subscribe.",
            f"Subscribe today: {20 + day.month}c a day at https://ledgerdaily.example/subscribe"), day),
            "boilerplate", "promo")
        page.end(copy)
        page.blank()
    page.add("\u00ab Older entries    Newer entries \u00bb", "boilerplate", "navigation")
    return page


def render_digest(copies: Sequence[Copy], ctx: Context) -> PageBuilder:
    """E-mail digest of teasers: headline, first paragraph, "Read the full story" link."""
    day = copies[0].published
    page = PageBuilder()
    page.add("From: The Morning Briefing <news@briefing.example>", "boilerplate", "header")
    page.add(f"Subject: Your briefing for {day.strftime('%A')}, {long_date(day)}", "boilerplate", "header")
    page.blank()
    page.add(by_month((f"Good morning. Here are {len(copies)} stories worth your time today.",
                       f"Good morning! {len(copies)} stories you may have missed:"), day), "boilerplate", "header")
    page.blank()
    for copy in copies:
        page.begin()
        page.add(copy.title, "title")
        page.paragraphs(copy.paragraphs)
        page.add(f"Read the full story: https://briefing.example/{copy.published.year}/"
                 f"{copy.published.month:02d}/{slug(copy.title)}", "boilerplate", "link")
        page.end(copy)
        page.blank()
    page.add("--", "boilerplate", "footer")
    page.add("You are receiving this e-mail because you signed up at briefing.example.", "boilerplate", "footer")
    page.add("Unsubscribe | Manage preferences | View in browser", "boilerplate", "footer")
    return page


def render_blog(copies: Sequence[Copy], ctx: Context) -> PageBuilder:
    """One post per file wrapped in share bar, hashtags, bio, latest, newsletter, comments and related lists."""
    rng = ctx.rng
    copy = copies[0]
    day = copy.published
    author = rng.choice(AUTHORS)
    page = PageBuilder()
    page.add("Traders' Blog | Markets | Commodities | Currencies | About", "boilerplate", "navigation")
    page.blank()
    page.begin()
    page.add(copy.title, "title")
    page.add(f"By {author} \u00b7 {long_date(day)}", "boilerplate", "template")
    tags = ", ".join(t.title() for t in copy.story.topics[:4]) or "Markets"
    page.add(f"Filed under {tags} \u00b7 {max(1, len(' '.join(copy.paragraphs).split()) // 200)} min read",
             "boilerplate", "template")
    page.blank()
    page.paragraphs(copy.paragraphs)
    page.blank()
    page.add(by_month(("Disclosure: the author holds no position in any security mentioned.",
                       "Disclosure: The author has no positions in the stocks mentioned in this post."), day),
             "boilerplate", "disclaimer")
    page.end(copy)
    page.blank()
    page.add(rng.choice(("Share: Facebook | Twitter | LinkedIn | Email", "Share this article  f  t  in  @")),
             "boilerplate", "share")
    page.add("Hashtags", "boilerplate", "hashtags")
    page.add(" ".join("#" + t.replace("-", "") for t in (copy.story.topics or ("markets",))[:4]),
             "boilerplate", "hashtags")
    page.blank()
    page.add("About the author", "boilerplate", "bio")
    page.add(f"{author} has covered commodities and currencies for {rng.randint(3, 25)} years and writes the "
             f"daily market wrap for Traders' Blog.", "boilerplate", "bio")
    page.blank()
    page.add("Latest Articles", "boilerplate", "navigation")
    for other in ctx.others(copy, 4):
        page.add(f"\u2022 {other.title}", "boilerplate", "navigation")
    page.blank()
    page.add("Stay ahead of the market.", "boilerplate", "newsletter")
    page.add("Get curated market news, insights and key dates delivered to your inbox.", "boilerplate", "newsletter")
    page.blank()
    page.add("Comments", "boilerplate", "comments")
    page.add(rng.choice(("No comments yet", "No comments yet. Be the first to comment!")), "boilerplate", "comments")
    page.blank()
    page.add("Related Articles", "boilerplate", "related")
    for other in ctx.others(copy, 3):
        page.add(other.title, "boilerplate", "related")
        page.add(snippet(other), "boilerplate", "related")
        page.blank()
    return page


def render_wire(copies: Sequence[Copy], ctx: Context) -> PageBuilder:
    """Newswire page: byline, "Advertisement" and "READ MORE" lines between paragraphs, templated closers."""
    rng = ctx.rng
    page = PageBuilder()
    page.add("NEWSDESK | World | Business | Markets | Commodities", "boilerplate", "navigation")
    page.blank()
    for number, copy in enumerate(copies):
        day = copy.published
        if number:
            page.add("MORE FROM NEWSDESK", "boilerplate", "navigation")
            page.blank()
        agency = rng.choice(AGENCIES)
        page.begin()
        page.add(copy.title, "title")
        page.add(f"By {rng.choice(PEOPLE)}, {agency}", "boilerplate", "template")
        page.blank()
        for index, paragraph in enumerate(copy.paragraphs):
            page.add(paragraph, "content")
            page.blank()
            if index == 1 and len(copy.paragraphs) > 2:
                page.add("Advertisement", "boilerplate", "advertisement")
                page.blank()
            if index == 3 and len(copy.paragraphs) > 4:
                page.add(f"READ MORE: {ctx.others(copy, 1)[0].title}", "boilerplate", "navigation")
                page.blank()
        if rng.random() < 0.6:
            page.add(f"{agency} has contacted {rng.choice(PEOPLE)} for comment.", "boilerplate", "template")
        if rng.random() < 0.5:
            pct, price = price_slots(rng)
            page.add(f"Shares of {company(copy, rng)} rose {pct} to {price}.", "boilerplate", "template")
        page.blank()
        page.add(by_month((
            "Newsdesk content is syndicated under licence. Reproduction without permission is prohibited.",
            "Newsdesk content is syndicated under license; reproduction without written permission is "
            "prohibited.",
            f"(c) {day.year} Newsdesk. Syndicated under licence; do not reproduce."), day),
            "boilerplate", "disclaimer")
        page.end(copy)
        page.blank()
    return page


def render_notes(copies: Sequence[Copy], ctx: Context) -> PageBuilder:
    """Plain-text notes hard-wrapped at 72 columns, with a "filed from" line per note."""
    rng = ctx.rng
    page = PageBuilder()
    page.add(f"FIELD NOTES, {long_date(copies[0].published).upper()}", "boilerplate", "header")
    page.blank()
    for copy in copies:
        page.begin()
        page.add(copy.title, "title")
        page.blank()
        page.paragraphs(copy.paragraphs, wrap=WRAP_WIDTH)
        page.blank()
        page.add(f"-- filed from {rng.choice(CITIES).title()} on {date_variant(copy.published, rng)}",
                 "boilerplate", "template")
        page.end(copy)
        page.blank(2)
    return page


def render_record(copy: Copy, channel: Channel, ctx: Context) -> PageBuilder:
    """The text of one JSONL record: optional repeated title, paragraphs, a site disclaimer."""
    day = copy.published
    page = PageBuilder()
    page.begin()
    if ctx.rng.random() < channel.title_on_top:
        page.add(copy.title, "title")
        page.blank()
    page.paragraphs(copy.paragraphs)
    page.blank()
    closers = {
        "marketpulse": (f"Get the MarketPulse app: https://marketpulse.example/app?ref=feed{day.month:02d}",
                        "Get the MarketPulse app for iPhone and Android at marketpulse.example/app"),
        "newsdesk": ("Newsdesk content is syndicated under licence. Reproduction without permission is prohibited.",
                     f"(c) {day.year} Newsdesk. Syndicated under licence; do not reproduce."),
        "datadump": (f"Source: Datadump news archive, retrieved {day.isoformat()}. For more information, visit "
                     "https://datadump.example/licence.",
                     f"Source: Datadump ({long_date(day)}). For more info visit datadump.example."),
    }
    kind = "promo" if channel.site == "marketpulse" else "disclaimer"
    page.add(by_month(closers[channel.site], day), "boilerplate", kind)
    page.end(copy)
    return page


RENDERERS: dict[str, Callable[[Sequence[Copy], Context], PageBuilder]] = {
    "tag_indented": render_globalwire_tag, "tag_plain": render_marketpulse_tag, "archive": render_archive,
    "digest": render_digest, "blog": render_blog, "wire": render_wire, "notes": render_notes,
}


def paginate(copies: list[Copy], channel: Channel, rng: random.Random) -> list[list[Copy]]:
    """Shuffle a channel's copies into pages; a story never appears twice on one page."""
    pending = deque(copies)
    rng.shuffle(pending)
    pages: list[list[Copy]] = []
    while pending:
        size = rng.randint(*channel.per_page)
        page: list[Copy] = []
        seen: set[str] = set()
        deferred: list[Copy] = []
        while pending and len(page) < size:
            copy = pending.popleft()
            if copy.story.cluster in seen:
                deferred.append(copy)
            else:
                page.append(copy)
                seen.add(copy.story.cluster)
        pending.extendleft(reversed(deferred))
        pages.append(page)
    return pages


# ------------------------------------------------------------------------------------------------------ truth


def line_records(path: str, record: int | None, lines: Sequence[Line]) -> list[dict]:
    """Gold "lines" records: runs of consecutive non-blank lines with the same label and kind."""
    out: list[dict] = []
    for number, line in enumerate(lines, start=1):
        if line.label is None:
            continue
        last = out[-1] if out else None
        if last and last["end_line"] == number - 1 and last["label"] == line.label and last["kind"] == line.kind:
            last["end_line"] = number
        else:
            out.append({"type": "lines", "path": path, "record": record, "start_line": number,
                        "end_line": number, "label": line.label, "kind": line.kind})
    return out


def occurrence_records(path: str, record: int | None, page: PageBuilder, site: str) -> list[dict]:
    """Gold "occurrence" records for the article spans of one page or JSONL record."""
    return [{"type": "occurrence", "path": path, "record": record, "start_line": start, "end_line": end,
             "cluster": copy.story.cluster, "site": site, "copy": copy.kind} for start, end, copy in page.spans]


def truth_sort_key(record: dict) -> tuple:
    """Occurrences, then lines, then stories, then hard negatives; each in path/record/line or id order."""
    order = ("occurrence", "lines", "story", "hard_negative").index(record["type"])
    if order < 2:
        return order, record["path"], record["record"] or 0, record["start_line"], ""
    if order == 2:
        return order, "", 0, 0, record["cluster"]
    return order, record["a"], 0, 0, record["b"]


# ------------------------------------------------------------------------------------------------- generate


def generate(out_dir: Path, *, n_stories: int, seed: int, corpus_path: Path | None = None,
             overwrite: bool = False) -> Path:
    """Write ``out_dir/input/*`` and ``out_dir/truth.jsonl`` for ``n_stories`` stories; return the truth path.

    >>> generate(Path("/tmp/syn"), n_stories=150, seed=1, overwrite=True)
    PosixPath('/tmp/syn/truth.jsonl')
    """
    out_dir = Path(out_dir)
    docs = load_corpus(Path(corpus_path) if corpus_path else default_corpus_path())
    if not MIN_STORIES <= n_stories <= len(docs) - 200:
        raise ValueError(f"n_stories must be between {MIN_STORIES} and {len(docs) - 200}, got {n_stories}")
    input_dir = out_dir / INPUT_DIR
    if input_dir.exists() and any(input_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{input_dir}: not empty; remove it or pass overwrite=True (--force)")
        shutil.rmtree(input_dir)
    input_dir.mkdir(parents=True, exist_ok=True)

    rng = random.Random(seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    stories = [to_story(docs[i]) for i in sorted(order[:n_stories])]
    pool = [docs[i] for i in order[n_stories:]]
    pool_paragraphs = [p for record in pool[:300] for p in to_story(record).paragraphs if len(p.split()) >= 12]
    hard_negatives = make_hard_negatives(stories, pool, rng)
    copies = plan_copies(stories, pool_paragraphs, rng)

    truth: list[dict] = []
    for channel in CHANNELS:
        pages = paginate([c for c in copies if c.channel == channel.name], channel, rng)
        for number, page_copies in enumerate(pages, start=1):
            ctx = Context(rng, stories, number, len(pages))
            suffix = "jsonl" if channel.layout == "jsonl" else "txt"
            relative = f"{INPUT_DIR}/{channel.name}-{number:04d}.{suffix}"
            if channel.layout == "jsonl":
                truth.extend(write_jsonl(out_dir / relative, relative, page_copies, channel, ctx))
            else:
                truth.extend(write_txt(out_dir / relative, relative, page_copies, channel, ctx))
    truth.extend({"type": "story", "cluster": s.cluster, "title": s.title, "paragraphs": s.paragraphs}
                 for s in stories)
    truth.extend({"type": "hard_negative", "a": a, "b": b, "why": why} for a, b, why in hard_negatives)
    truth.sort(key=truth_sort_key)
    truth_path = out_dir / TRUTH_FILE
    with truth_path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in truth:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return truth_path


def write_txt(path: Path, relative: str, copies: Sequence[Copy], channel: Channel, ctx: Context) -> list[dict]:
    """Render and write one text page; return its gold records."""
    crlf = ctx.rng.random() < channel.crlf
    page = RENDERERS[channel.layout](copies, ctx)
    newline = "\r\n" if crlf else "\n"
    path.write_bytes((newline.join(line.text for line in page.lines) + newline).encode("utf-8"))
    return occurrence_records(relative, None, page, channel.site) + line_records(relative, None, page.lines)


def write_jsonl(path: Path, relative: str, copies: Sequence[Copy], channel: Channel, ctx: Context) -> list[dict]:
    """Render and write one JSONL dump (one record per copy); return its gold records."""
    id_key, title_key, text_key = channel.keys
    rows: list[str] = []
    records: list[dict] = []
    for number, copy in enumerate(copies, start=1):
        page = render_record(copy, channel, ctx)
        row = {id_key: f"{channel.site[:2]}-{ctx.page_number:04d}-{number:03d}", title_key: copy.title,
               text_key: "\n".join(line.text for line in page.lines), "date": copy.published.isoformat()}
        rows.append(json.dumps(row, ensure_ascii=False))
        records.extend(occurrence_records(relative, number, page, channel.site))
        records.extend(line_records(relative, number, page.lines))
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8"))
    return records


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m benchmarks.synth --out DIR --stories N --seed S [--corpus FILE] [--force]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (gets input/ and truth.jsonl)")
    parser.add_argument("--stories", type=int, default=150, help="number of source stories (default 150)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help=f"Reuters JSONL file (default ${CORPORA_ENV}/{CORPUS_FILE} or ../shared/corpora)")
    parser.add_argument("--force", action="store_true", help="replace an existing DIR/input")
    args = parser.parse_args(argv)
    try:
        truth = generate(args.out, n_stories=args.stories, seed=args.seed, corpus_path=args.corpus,
                         overwrite=args.force)
    except (CorpusMissingError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    with truth.open(encoding="utf-8") as handle:
        for line in handle:
            kind = json.loads(line)["type"]
            counts[kind] = counts.get(kind, 0) + 1
    files = sum(1 for _ in (args.out / INPUT_DIR).iterdir())
    print(f"wrote {truth} and {files} input files: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
