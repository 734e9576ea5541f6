"""Structural cues for page chrome: what a block looks like, independent of which site printed it.

Used by ``segment`` (article boundaries, trailing chrome) and ``boilerplate`` (naming kinds). The cues are
generic web-page furniture (section headings such as "Related", comment counters, read-more and advertisement
lines, sign-up prompts, author self-descriptions, dates and bylines), never the strings of one particular site.

    >>> heading_kind("Related Articles")
    'related'
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORDS = re.compile(r"[\w'’]+")
_TERMINAL = re.compile(r"[.!;,:]\s*$")
_ABBREVIATION_END = re.compile(r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:Inc|Co|Corp|Ltd|Bros|Jr|Sr|St|No|Mr|Mrs|Dr)\.)\s*$")
_RULE = re.compile(r"^\s*(?:(?:([-=_*~#·•+])\s*){3,}|--)\s*$")
_NAV_SPLIT = re.compile(r"\s*[|·•»«›‹/]\s*|\s{3,}")
_BULLET = re.compile(r"^\s*(?:[•*\-–—▪·►◦‣●■□+>]|\d{1,3}[.)])\s+")
_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|"
    r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})\b", re.I)
_BYLINE = re.compile(r"^(?:by|posted by|written by|published|updated|last updated)\b", re.I)
_AGO = re.compile(r"^\d+ (?:second|minute|hour|day|week|month|year)s? ago$", re.I)

# Section headings that open a run of page furniture, by kind. Matched on the whole (short) heading.
_SECTION_HEADINGS: tuple[tuple[str, str], ...] = (
    ("related", r"related( articles| stories| posts| news| content| coverage)?|more on (this|these) (topic|story)s?|"
                r"you (may|might) also like|recommended( for you| reading)?|latest( articles| news| posts| stories)?|"
                r"trending( now| stories)?|most (popular|read)|popular( posts| stories)?|more (from|stories|news)\b.*|"
                r"go deeper|read next|see also|further reading|top stories|editor'?s picks|also read|more articles"),
    ("comments", r"comments?( \(\d+\))?|leave a (comment|reply)|join the (discussion|conversation)|responses?"),
    ("newsletter", r"(subscribe|sign up)( to| for)?.*|newsletters?|stay (ahead|informed|updated|in the loop).*|"
                   r"get (the|our) (latest|newsletter).*"),
    ("share", r"share( this( article| story| post)?| on| via)?:?(\s+\S{1,12}){0,12}|follow us.*|share article"),
    ("hashtags", r"hashtags?|tags?:?|topics:?|filed under:?.*|categories:?"),
    ("navigation", r"home|menu|navigation|skip to (main )?content|back to top|(tag|category|section|archive)s?:.*"),
    ("promo", r"try our .*|explore what .*|download (our|the) app.*"),
)
_SECTION_RE = tuple((kind, re.compile(rf"^(?:{pattern})[.!:]*$", re.I)) for kind, pattern in _SECTION_HEADINGS)

# One-line furniture that may also stand between story paragraphs.
_LINE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("navigation", r"^(from|to|cc|subject|date|reply-to|sent):\s.{0,200}$"),
    ("footer", r"^(©|\(c\)|copyright\b).{0,120}$"),
    ("advertisement", r"^(advertisement|advertising|sponsored( content)?|ad|\[ad\]|story continues below( advertisement)?)$"),
    ("related", r"^(read more|continue reading|read the full (story|article)|full story|click here|more:|see more|also read)\b.*"),
    ("comments", r"^(no comments yet|be the first to comment|\d+ comments?|view comments|show comments).*"),
    ("newsletter", r".*\b(delivered to your inbox|sign up for (our|the)|subscribe to (our|the)|unsubscribe|"
                   r"you are receiving this|manage (your )?preferences|view in (your )?browser)\b.*"),
    ("share", r"^(share( on| via)?|tweet|email|print|copy link)( [|/·•] ?(facebook|twitter|x|linkedin|email|whatsapp|reddit|print))+.*$"),
)
_READ_MORE = re.compile(r"^(read more|continue reading|read the full (story|article)|full story)\b.{0,200}$", re.I)
_LINE_RE = tuple((kind, re.compile(pattern, re.I)) for kind, pattern in _LINE_PATTERNS)

_BIO_START = re.compile(r"^(i am|i'm|about the author\b|about me\b)", re.I)
_BIO_ROLE = re.compile(r"\b(writer|journalist|reporter|editor|analyst|contributor|correspondent|columnist|author|"
                       r"expert|blogger|agent)\b", re.I)
_BIO_FOLLOW = re.compile(r"\bfollow (me|him|her|them)\b|\bsubscribe to (my|his|her)\b", re.I)


def words(text: str) -> list[str]:
    """Word tokens as written (case kept)."""
    return _WORDS.findall(text)


# For ASCII text ``[\w'’]`` is a letter, digit, ``_`` or ``'``: one table turns everything else into spaces.
_ASCII_WORD_CHARS = str.maketrans({c: chr(c) if chr(c).isalnum() or chr(c) in "_'" else " " for c in range(128)})


@lru_cache(maxsize=1 << 14)
def word_count(text: str) -> int:
    """``len(words(text))``, remembered for recent texts (segmentation asks several times per block); for ASCII
    text by one table translation and a split (tests/test_oracle.py checks it against ``words``)."""
    if text.isascii():
        return len(text.translate(_ASCII_WORD_CHARS).split())
    return len(_WORDS.findall(text))


def strip_bullet(text: str) -> tuple[str, bool]:
    """Text without a leading bullet or list number, and whether there was one."""
    match = _BULLET.match(text)
    return (text[match.end():].strip(), True) if match else (text.strip(), False)


def is_rule(text: str) -> bool:
    """A separator line such as ``-----`` or ``* * *``."""
    return bool(_RULE.match(text))


def _mostly_upper(text: str) -> bool:
    """An all-caps line (wire headlines), where a trailing "U.S." is an abbreviation, not a full stop."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def is_heading(text: str, max_words: int = 30) -> bool:
    """Short, not ending like a sentence, not starting in lower case: a headline or section heading."""
    body, _ = strip_bullet(text)
    if len(body) > 250:
        return False
    found = word_count(body)
    if not found or found > max_words:
        return False
    if (_TERMINAL.search(body) and not (_ABBREVIATION_END.search(body) and _mostly_upper(body))) or body[0].islower():
        return False
    return not is_rule(body)


def heading_kind(text: str) -> str | None:
    """The chrome kind of a section heading such as "Related Articles", else None."""
    body, _ = strip_bullet(text)
    if word_count(body) > 8:
        return None
    for kind, pattern in _SECTION_RE:
        if pattern.match(body.strip()):
            return kind
    return None


def line_kind(text: str) -> str | None:
    """The chrome kind of a one-line piece of furniture ("Advertisement", "No comments yet" ...), else None."""
    body = text.strip()
    if word_count(body) > 25:
        return None
    if _AGO.match(body):
        return "related"
    for kind, pattern in _LINE_RE:
        if pattern.match(body):
            return kind
    return "navigation" if is_nav_bar(body) else None


def is_read_more(text: str) -> bool:
    """A "Read the full story" / "Continue reading" line: it closes a teaser."""
    return bool(_READ_MORE.match(text.strip()))


def is_nav_bar(text: str) -> bool:
    """A row of short links: "Home | World | Business", "« Older entries    Newer entries »"."""
    items = [i for i in _NAV_SPLIT.split(text.strip()) if i]
    separators = len(_NAV_SPLIT.findall(text.strip()))
    return (separators >= 2 and len(items) >= 2 and all(word_count(i) <= 4 for i in items)
            and word_count(text) <= 16)


def is_byline(text: str) -> bool:
    """A date and/or author line printed under a headline."""
    body = text.strip()
    if word_count(body) > 14:
        return False
    return bool(_BYLINE.match(body) or (_DATE.search(body) and word_count(body) <= 10))


def is_bio(text: str) -> bool:
    """An author's self-description: "I am ... writer ...", "About the author", "... Follow me ..."."""
    body = text.strip()
    if not 8 <= word_count(body) <= 160:
        return False
    if _BIO_START.match(body) and (_BIO_ROLE.search(body) or _BIO_FOLLOW.search(body)):
        return True
    if body.isascii() and "follow" not in (low := body.lower()) and "subscribe" not in low:
        return False  # what _BIO_FOLLOW must find: the scan of a long paragraph is skipped
    return bool(_BIO_FOLLOW.search(body) and _BIO_ROLE.search(body))


_QUOTED = re.compile(r"[\"“«„]([^\"”»“]{40,})[\"”»“]")


def is_quote(text: str) -> bool:
    """A paragraph built around a quotation of some length: reporting, even when two stories share it."""
    return bool(_QUOTED.search(text))


def chrome_kind(text: str) -> str | None:
    """Any structural chrome kind of a block: section heading, one-line furniture, or bio."""
    return heading_kind(text) or line_kind(text) or ("bio" if is_bio(text) else None)
