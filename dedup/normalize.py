"""Text normalisation shared by every stage that compares text.

``clean`` removes scraping noise that is not part of the story (ticker artifacts such as ``NvidiaNVDA--``, citation
markers such as ``[4]``, thousands separators) and folds case and Unicode forms; ``tokens`` splits into words;
``skeleton`` also masks URLs, e-mail addresses, numbers and dates, so that two wordings of one disclaimer that differ
only in those compare equal. All three are idempotent.

    >>> tokens("Shares of NvidiaNVDA-- rose 1,000 [4] times.")
    ['shares', 'of', 'nvidia', 'rose', '1000', 'times']
"""

from __future__ import annotations

import re
import unicodedata

# The scraping-noise patterns start with what the regex engine can skip ahead to (an upper-case letter, ``[``, ``,``)
# and test their lookbehind only there, not at every position; ``_scrub`` also skips a pass whose literal is absent.
# tests/test_oracle.py checks them against the plain patterns ``(?<=[a-z])[A-Z]{1,6}--`` and ``(?<=\d),(?=\d{3}\b)``.
_TICKER = re.compile(r"[A-Z](?<=[a-z][A-Z])[A-Z]{0,5}--")
_CITATION = re.compile(r"\[\d{1,3}(?:[,\u2013-]\s*\d{1,3})*\]")
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3}\b)")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|org|net|ai|io|co|uk|example)(?:/\S*)?\b", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_MONTH = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?", re.I)
_WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.I)
# Every word _MONTH and _WEEKDAY match whole (``sept?(?:ember)?`` also spells "sepember").
_MONTH_WORDS = frozenset("jan january feb february mar march apr april may jun june jul july aug august sep sept "
                         "sepember september oct october nov november dec december".split())
_WEEKDAY_WORDS = frozenset(f"{d}day" for d in ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun"))
_DATE_WORDS = _MONTH_WORDS | _WEEKDAY_WORDS
_DOT_LETTER = re.compile(r"\.[a-z]")
_NUMBER_PLAIN = re.compile(r"(?<!\w)\d+(?:[.,:/-]\d+)*(?:st|nd|rd|th|s|m|bn|k|pct)?\b")
_NUMBER = re.compile(r"\d(?<!\w\d)\d*(?:[.,:/-]\d+)*(?:st|nd|rd|th|s|m|bn|k|pct)?\b")  # the same, led by a digit


# ASCII text: ``\w`` is ``[A-Za-z0-9_]`` and casefold is lower, so one table maps it to lower-case words and spaces.
_ASCII_WORDS = str.maketrans({c: chr(c).lower() if chr(c).isalnum() or c == ord("_") else " " for c in range(128)})


def _scrub(text: str) -> str:
    """NFKC, then ticker artifacts, citation markers and thousands separators removed (case kept)."""
    text = unicodedata.normalize("NFKC", text)  # returns ``text`` itself, fast, when it is already NFKC
    if "--" in text:
        text = _TICKER.sub("", text)
    if "[" in text:
        text = _CITATION.sub("", text)
    if "," in text:
        text = _THOUSANDS.sub("", text)
    return text


def clean(text: str) -> str:
    """NFKC, scraping noise removed, case-folded, whitespace collapsed."""
    return _SPACE.sub(" ", _scrub(text).casefold()).strip()


def tokens(text: str) -> list[str]:
    """Words of the cleaned text (the ``\\w+`` runs of ``clean(text)``).

        >>> tokens("The 1,000 [2] SharesABC-- rose")
        ['the', '1000', 'shares', 'rose']
    """
    text = _scrub(text)
    if text.isascii():
        return text.translate(_ASCII_WORDS).split()
    return _WORD.findall(text.casefold())


def word_string(text: str) -> str:
    """The words of ``tokens(text)`` in one string, separated by runs of spaces: ``word_string(t).split() ==
    tokens(t)``. For ASCII text this is a single table translation, with no list of words built.

        >>> word_string("The 1,000 [2] sharesABC-- rose").split()
        ['the', '1000', 'shares', 'rose']
    """
    text = _scrub(text)
    if text.isascii():
        return text.translate(_ASCII_WORDS)
    return " ".join(_WORD.findall(text.casefold()))


def skeleton(text: str) -> str:
    """Cleaned words with URLs, e-mails, dates and numbers masked: the shape shared by reworded boilerplate.

    For ASCII text each masking pass runs only when the text holds what it could match (a URL mark, an ``@``), and
    month and weekday names are masked word by word at the end; ``reference_skeleton`` runs every pass, and
    tests/test_oracle.py checks the two agree.
    """
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        return reference_skeleton(text)
    low = text.lower()
    # what _URL's first form starts with, or a mark its second form must hold (each a "." and a letter, which one
    # search rules out for most paragraphs before the marks are looked for one by one)
    if "://" in low or "www." in low or (_DOT_LETTER.search(low) is not None and (
            ".co" in low or ".org" in low or ".net" in low or ".ai" in low or ".io" in low or ".uk" in low
            or ".example" in low)):
        text = _URL.sub(" _url_ ", text)
    if "@" in text:
        text = _EMAIL.sub(" _email_ ", text)
    if "--" in text or "[" in text:  # removing a ticker or a citation could join letters into a date word
        return _skeleton_dates_first(text)
    words = _NUMBER.sub(" _num_ ", _scrub(text).casefold()).translate(_ASCII_WORDS).split()
    if not _DATE_WORDS.isdisjoint(words):
        # _MONTH's and _WEEKDAY's ``\b...\b`` match exactly these whole words here, and the "." _MONTH also
        # takes is a space either way; no later pass can make or split a date word in this text.
        words = ["_date_" if word in _DATE_WORDS else word for word in words]
    return " ".join(words)


def _skeleton_dates_first(text: str) -> str:
    """``skeleton``'s last passes for ASCII text in the order ``reference_skeleton`` runs them."""
    found = set(text.translate(_ASCII_WORDS).split())  # the table lower-cases as it splits
    if not found.isdisjoint(_MONTH_WORDS):
        text = _MONTH.sub(" _date_ ", text)
    if not found.isdisjoint(_WEEKDAY_WORDS):
        text = _WEEKDAY.sub(" _date_ ", text)
    return " ".join(_NUMBER.sub(" _num_ ", _scrub(text).casefold()).translate(_ASCII_WORDS).split())


def reference_skeleton(text: str) -> str:
    """``skeleton`` with every pass run: the plain definition it is checked against."""
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(" _url_ ", text)
    text = _EMAIL.sub(" _email_ ", text)
    text = _MONTH.sub(" _date_ ", text)
    text = _WEEKDAY.sub(" _date_ ", text)
    text = _NUMBER_PLAIN.sub(" _num_ ", clean(text))
    return " ".join(_WORD.findall(text))


def spaced_count(words: str) -> int:
    """How many words a string of words joined by single spaces holds (``" ".join(tokens(t))``, a skeleton)."""
    return words.count(" ") + 1 if words else 0


def title_key(text: str) -> str:
    """Comparison key for headlines: cleaned words only."""
    return " ".join(tokens(text))
