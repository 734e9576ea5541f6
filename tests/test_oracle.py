"""Oracle tests: fast code against a slow, obviously correct version.

LSH candidates + verify against brute-force all-pairs verification on generated corpora; signatures against
datasketch's own ``MinHash`` fed the reference shingle hash; the fast ``tokens``/``clean`` against the plain
regex passes they replace.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SEEDS
from dedup import Config, analyse
from dedup import chrome
from dedup.cluster import cluster
from dedup.fingerprint import Fingerprinter, shingle_hash, shingle_hashes, shingles
from dedup.normalize import clean, reference_skeleton, skeleton, tokens, word_string
from dedup.verify import verify
from synthetic import corpus_records, write_jsonl

# Pieces that trigger or almost trigger each pass, and characters that NFKC or casefold change: fullwidth comma and
# digits, small hyphen, ligature, sharp s, dotted I, final sigma, Arabic-Indic digits, a combining accent.
PIECES = ["a", "z", "A", "Z", "ABCDEF", "G", "--", "-", ",", "1", "123", "1234", "[", "]", " ", "\u2013", "_", ".",
          "\n", "\uff0c", "\uff11", "\ufe63", "\ufb01", "\u00df", "\u0130", "\u03c2", "\u0663", "\u0301", "\u00e9"]
NOISY = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lsh_plus_verify_equals_all_pairs(tmp_path: Path, seed: int) -> None:
    records, truth = corpus_records(seed, stories=15)
    path = write_jsonl(tmp_path / "feed.jsonl", records)
    config = Config()
    result = analyse([path], config)
    contents = result.contents
    n = len(contents)
    brute = {}
    for i in range(n):
        for j in range(i + 1, n):
            brute[(i, j)] = verify(contents[i], contents[j], config.cluster)
    edges = [(i, j, v) for (i, j), v in sorted(brute.items()) if v.match]
    from dedup.canonical import choose, ranks

    rank = ranks(contents, result.corpus, config.canonical)
    oracle = choose(cluster(n, rank, edges, lambda i, j: brute[(min(i, j), max(i, j))]), contents, rank)
    assert result.root == oracle
    # and the clusters are the true stories
    ids = [result.corpus.pages[o.page].record_id for o in result.corpus.occurrences]
    got = {frozenset(ids[i] for i in range(n) if result.root[i] == r) for r in set(result.root)}
    want = {frozenset(i for i in ids if truth[i] == s) for s in set(truth.values())}
    assert got == want


WORD = st.one_of(st.sampled_from(["the", "news", "1000", "é", "naïve", "日本", "x" * 20]),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))


def _datasketch_signature(words: list[str], num_perm: int, seed: int, size: int) -> np.ndarray:
    """datasketch's own MinHash of the shingles, hashed by the reference ``shingle_hash``."""
    reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
    reference.update_batch(shingles(words, size))
    return reference.hashvalues


@pytest.mark.parametrize(("num_perm", "seed", "size"), [(64, 7, 3), (128, 1, 5), (256, 42, 1)])
def test_signatures_equal_datasketch_update_batch(num_perm: int, seed: int, size: int) -> None:
    fp = Fingerprinter(num_perm=num_perm, seed=seed, shingle_size=size)
    for text in [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] + ["one two", ""]:
        words = tokens(text)
        expected = _datasketch_signature(words, num_perm, seed, size)
        assert np.array_equal(fp.signature(words), expected)
        reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
        reference.update_batch(shingles(words, size))
        assert fp.minhash(fp.signature(words)).jaccard(reference) == 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(WORD, max_size=30), st.integers(min_value=1, max_value=10))
def test_signature_of_any_words_equals_datasketch(words: list[str], size: int) -> None:
    """Any words, also empty ones, ones with spaces, and lists shorter than a shingle."""
    fp = Fingerprinter(num_perm=32, seed=3, shingle_size=size)
    assert np.array_equal(fp.signature(words), _datasketch_signature(words, 32, 3, size))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(NOISY, ANY_TEXT), max_size=8), st.integers(min_value=1, max_value=6))
def test_signatures_of_texts_equal_signature_of_tokens(texts: list[str], size: int) -> None:
    fp = Fingerprinter(num_perm=32, seed=5, shingle_size=size)
    batch = fp.signatures_of_texts(texts)
    assert batch.shape == (len(texts), 32)
    for i, text in enumerate(texts):
        expected = _datasketch_signature(slow_tokens(text), 32, 5, size)
        assert np.array_equal(batch[i], expected) and np.array_equal(fp.signature_of_text(text), expected)


def test_signatures_of_seed_texts_equal_signature_of_tokens() -> None:
    fp = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts += [line for text in texts for line in text.splitlines()]
    expected = np.stack([fp.signature(tokens(t)) for t in texts])
    assert np.array_equal(fp.signatures_of_texts(texts), expected)
    assert np.array_equal(np.stack([fp.signature_of_text(t) for t in texts]), expected)
    assert np.array_equal(fp.signatures([tokens(t) for t in texts]), expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(WORD, max_size=12), max_size=12), st.integers(min_value=1, max_value=6))
def test_batch_signatures_equal_one_at_a_time(docs: list[list[str]], size: int) -> None:
    fp = Fingerprinter(num_perm=32, seed=5, shingle_size=size)
    batch = fp.signatures(docs)
    assert batch.shape == (len(docs), 32)
    assert all(np.array_equal(batch[i], fp.signature(d)) for i, d in enumerate(docs))


def test_shingles_of_short_text_are_one_shingle() -> None:
    assert shingle_hashes(["a", "b"], 5).size == 1
    assert shingle_hashes([], 5).size == 0


@pytest.mark.parametrize("threshold", [0.2, 0.4, 0.5])
def test_array_banding_equals_datasketch_minhashlsh(threshold: float) -> None:
    """Candidate pairs from the array banding are exactly those of a real MinHashLSH index."""
    from datasketch import MinHashLSH

    from dedup.candidates import lsh_pairs

    rng = np.random.default_rng(3)
    fp = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
    base = [rng.integers(0, 2**32, size=60, dtype=np.uint64).astype(np.uint32) for _ in range(40)]
    sets = {}
    for k in range(120):  # families of overlapping sets, so that many pairs collide in some band
        src = base[k % 40]
        keep = rng.random(src.size) < rng.uniform(0.3, 1.0)
        sets[k * 7 % 1000] = np.unique(np.concatenate([src[keep], rng.integers(0, 2**32, 10).astype(np.uint32)]))
    sigs = {k: fp.signature_of_hashes(v) for k, v in sets.items()}
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    sketches = {k: fp.minhash(s) for k, s in sorted(sigs.items())}
    for k, mh in sketches.items():
        lsh.insert(k, mh)
    expected = {(k, o) for k, mh in sketches.items() for o in sorted(lsh.query(mh)) if o > k}
    assert expected and lsh_pairs(sigs, fp, threshold) == expected


# ------------------------------------------------------------------------- tokens / clean against the plain passes

_SLOW_TICKER = re.compile(r"(?<=[a-z])[A-Z]{1,6}--")
_SLOW_CITATION = re.compile(r"\[\d{1,3}(?:[,\u2013-]\s*\d{1,3})*\]")
_SLOW_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def slow_clean(text: str) -> str:
    """``clean`` as first written: NFKC and every regex pass, always, in order."""
    text = unicodedata.normalize("NFKC", text)
    text = _SLOW_TICKER.sub("", text)
    text = _SLOW_CITATION.sub("", text)
    text = _SLOW_THOUSANDS.sub("", text)
    return re.sub(r"\s+", " ", text.casefold()).strip()


def slow_tokens(text: str) -> list[str]:
    """``tokens`` as first written: the ``\\w+`` runs of ``slow_clean``."""
    return re.findall(r"\w+", slow_clean(text))


@settings(max_examples=400, deadline=None)
@given(st.one_of(NOISY, ANY_TEXT))
def test_tokens_and_clean_equal_the_plain_passes(text: str) -> None:
    assert tokens(text) == slow_tokens(text)
    assert clean(text) == slow_clean(text)
    assert [w for w in word_string(text).split(" ") if w] == slow_tokens(text)  # words split by spaces alone


@pytest.mark.parametrize("text", [
    "Shares of NvidiaNVDA-- rose 1,000 [4] times.", "aBCDEFGH-- aBCDEFG-- aB---C-- ab--", "NVDA-- xY-- \u00e9X--",
    "1,000,000 and 12,34 and 1,2345 and ,123 and 1,\u0663\u0663\u0663", "[1] [12, 3] [1\u20132] [1234] [a]",
    "\uff11\uff0c\uff10\uff10\uff10 \ufb01ne Stra\u00dfe \u0130stanbul \u03a3\u039f\u03a3", "", "   ", "_ __ a_b",
])
def test_tokens_equal_the_plain_passes_on_known_cases(text: str) -> None:
    assert tokens(text) == slow_tokens(text)
    assert clean(text) == slow_clean(text)


def test_tokens_equal_the_plain_passes_on_seeds_and_generated_text() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts += [r["text"] for seed in (1, 2) for r in corpus_records(seed, stories=10)[0]]
    pieces = texts + [line for text in texts for line in text.splitlines()]
    assert len(pieces) > 100
    for text in pieces:
        assert tokens(text) == slow_tokens(text)
        assert clean(text) == slow_clean(text)
        assert [w for w in word_string(text).split(" ") if w] == slow_tokens(text)


# Pieces that trigger, or almost trigger, each masking pass of ``skeleton``: URL marks glued to words, e-mails,
# month and weekday words inside longer words and after a URL, numbers with suffixes.
SKELETON_PIECES = ["may", "May", "MAY", "mayor", "Jan.", "sept", "Monday", "mondays", "www.", "http://", "https://",
                   "x.com", ".co", ".uk", "a.example/p", "@", "me@x.org", "5", "5th", "1,000", "-", ".", " ", "\n",
                   "_", "K", "\u212a", "\u00e9", "day", "sun", "sepember", "Tues", "ABC", "--", "[", "1]", "[2]",
                   "aMAY--", "Ma", "y"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SKELETON_PIECES), max_size=30).map("".join))
def test_skeleton_equals_every_pass_run(text: str) -> None:
    assert skeleton(text) == reference_skeleton(text)


def test_skeleton_equals_every_pass_run_on_seeds_and_generated_text() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts += [r["text"] for seed in (1, 2) for r in corpus_records(seed, stories=10)[0]]
    pieces = texts + [line for text in texts for line in text.splitlines()]
    masked = [p for p in pieces if skeleton(p) != " ".join(tokens(p))]
    assert len(masked) > 50  # the passes do fire on this text
    for text in pieces:
        assert skeleton(text) == reference_skeleton(text)


@pytest.mark.parametrize("text", ["maywww.x.com", "Mondayhttp://x", "Jan.5", "sept@x.org", "KAY.COM may 5th",
                                  "paid 1,000 on 5 May.", "\u212aMay", "visit www.site.example/p", "sepember 5",
                                  "MayABC--day", "Ma[4]y 5", "fooMAY-- x", "5may mar. 3rd", "Jan.5.3 Sunday",
                                  "see www.1abc May 5", "WWW.-x.3 mar", "shop.CO.UK monday"])
def test_skeleton_equals_every_pass_run_on_known_cases(text: str) -> None:
    assert skeleton(text) == reference_skeleton(text)



CHROME_PIECES = ["I am", "i'm", "a", "Follow me", "FOLLOW", "subscribe to my", "SUBSCRIBE TO HER", "writer", "editor",
                 "about the author", "don't", "it’s", "_x", "1,000", " ", "\n", ".", "-", "ſ", "K",
                 "été", "word", "many more words here"]


def plain_is_bio(text: str) -> bool:
    """``chrome.is_bio`` with every regex run, word counts by the regex."""
    body = text.strip()
    if not 8 <= len(chrome.words(body)) <= 160:
        return False
    if chrome._BIO_START.match(body) and (chrome._BIO_ROLE.search(body) or chrome._BIO_FOLLOW.search(body)):
        return True
    return bool(chrome._BIO_FOLLOW.search(body) and chrome._BIO_ROLE.search(body))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(CHROME_PIECES), max_size=40).map(" ".join))
def test_word_count_and_is_bio_equal_the_plain_regexes(text: str) -> None:
    assert chrome.word_count(text) == len(chrome.words(text))
    assert chrome.is_bio(text) == plain_is_bio(text)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_word_count_equals_the_regex_on_any_text(text: str) -> None:
    assert chrome.word_count(text) == len(chrome.words(text))


def test_is_bio_equals_the_plain_regexes_on_seeds_and_known_cases() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    blocks = [b for text in texts for b in text.split("\n\n")]
    cases = ["Jane is a writer. Follow me on the site for more stories every week now.",
             "Jane Doe is an editor here; subscribe to her letters for more of these stories.",
             "Jane Doe is an editor here and you can ſubscribe to her letters for more stories."]
    assert sum(chrome.is_bio(b) for b in blocks + cases) >= 3
    for block in blocks + cases:
        assert chrome.is_bio(block) == plain_is_bio(block)
        assert chrome.word_count(block) == len(chrome.words(block))



@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(SKELETON_PIECES), max_size=40).map("".join), ANY_TEXT))
def test_skeleton_words_are_single_spaced_so_near_eligible_counts_spaces(text: str) -> None:
    from dedup.config import BoilerplateConfig
    from dedup.groups import near_eligible

    key = skeleton(text)
    assert " ".join(key.split()) == key
    for most in (3, 5, 120):
        config = BoilerplateConfig(max_group_tokens=most)
        assert near_eligible(key, config) == (3 <= len(key.split()) <= most)


# Lines around the heading limits: bullets and list numbers (not words, or words), trailing stops, lower-case
# starts, capitals, 11 to 13 words.
HEADING_PIECES = ["• ", "1. ", "12) ", "- ", "Markets", "rally", "again", "today", "U.S.", "the", "A", "B", "C",
                  "D", "E", "F", "G", "H", "I", "J", "K", "L", ".", ":", "!", "?", " "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(HEADING_PIECES), min_size=1, max_size=40).map(" ".join),
       st.sampled_from([3, 11, 12, 13, 30]))
def test_headings_read_off_the_features_equal_heading_like(text: str, max_title_words: int) -> None:
    from dedup.boilerplate import heading_like
    from dedup.config import SegmentConfig
    from dedup.pipeline import headings_of
    from dedup.segment import text_features

    features = [text_features(text, SegmentConfig(max_title_words=max_title_words))]
    assert headings_of([text], features, max_title_words) == [heading_like(text)]
