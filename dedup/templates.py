"""Stage 7c, templates: short blocks with one skeleton and different slot values, and stock openings.

Templated paragraphs ("Shares of {SLOT_1} rose {SLOT_2} to {SLOT_3}", "{SLOT_1} has contacted {SLOT_2} for
comment") are found by proposing pairs of short blocks with datasketch LSH over their word sets and verifying them
with rapidfuzz's word-level alignment (``Levenshtein`` on strings of one character per word): the aligned equal
runs are the fixed words, the rest are slots, so a slot of one word and a slot of three words still give one
template. A block is labelled ``template`` when the fixed words cover most of it, it is a one-liner
(``template_max_words``: long templated paragraphs, such as filing notices, report facts) and different stories
share the template.

Common words fill LSH buckets of one-liners, so each block is aligned only with the blocks at most
``ALIGN_WINDOW`` places from it in each bucket, listed by first words and by last words: the work grows linearly
with the corpus. Most pairs are settled by bounds that rapidfuzz computes in C++ (the fixed words are at most the
longest common subsequence and at least the longer length minus the edit distance).

A paragraph that only opens with a stock phrase ("In the coming weeks and months, ...") and then carries the
story's own content stays content; the phrase is reported as a ``stock-opening`` with its support.

    >>> found = TemplateMiner(texts, notes, fp, BoilerplateConfig(), excluded=set()).for_clusters(cluster_of)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import LCSseq, Levenshtein

from .candidates import band_neighbours, band_params, components, ranks
from .config import BoilerplateConfig
from .fingerprint import Fingerprinter, KeySignatures, batch_word_string_hashes, sorted_unique
from .normalize import spaced_count, tokens
from .parallel import MIN_ITEMS, Beside
from .records import BlockNote

MIN_TOKENS, MAX_TOKENS = 4, 60
WORDSET_LSH_THRESHOLD = 0.3
MIN_FIXED = 3
OPENING_TOKENS = 6
_OPENING = re.compile(r"[^ ]+(?: [^ ]+){%d}" % (OPENING_TOKENS - 1))  # a line's first OPENING_TOKENS tokens
MIN_PARAGRAPH_TOKENS = 12
ALIGN_SAMPLE = 40
ALIGN_WINDOW = 8
ALIGN_MIN_AGREEMENT = 0.2  # word-set candidates estimated below this Jaccard met in a bucket by chance
MAX_SLOT_TOKENS = 6
SCORE_CHUNK = 1 << 17  # pairs scored per rapidfuzz call
SURROGATES = range(0xD800, 0xE000)
MAX_CODED_WORDS = 0x110000 - len(SURROGATES)

Code = Sequence[Hashable]


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


def _codes(lines: Sequence[str]) -> list[Code]:
    """Each token sequence (given as its tokens joined by single spaces) with one character per distinct word (in
    sorted word order), which rapidfuzz compares fastest; word ids instead when there are more distinct words than
    characters."""
    vocab = sorted(set(chain.from_iterable(line.split(" ") for line in lines)))
    if len(vocab) > MAX_CODED_WORDS:
        ids = {w: i for i, w in enumerate(vocab)}
        return [[ids[w] for w in line.split(" ")] for line in lines]
    chars = {w: chr(i + len(SURROGATES) if i >= SURROGATES.start else i) for i, w in enumerate(vocab)}
    return ["".join(map(chars.__getitem__, line.split(" "))) for line in lines]


def _aligned_fixed(a: Code, b: Code) -> list[tuple[int, int]]:
    """(index in a, index in b) of every token in an equal run of the word alignment."""
    pairs = []
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            pairs.extend(zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)))
    return pairs


def _fixed_count(a: Code, b: Code) -> int:
    """len(_aligned_fixed(a, b)): the tokens of a that the alignment neither deletes nor replaces."""
    return len(a) - sum(1 for op in Levenshtein.editops(a, b) if op.tag != "insert")


def _scores(scorer: Callable[..., float], codes: list[Code], pairs: np.ndarray, workers: int = 1,
            chunk: int = SCORE_CHUNK) -> np.ndarray:
    """``scorer`` of each pair of sequences, computed in C++ by ``workers`` threads (the scores do not depend on
    the thread count), ``chunk`` pairs at a time: rapidfuzz copies every sequence it is given."""
    scores = np.empty(len(pairs), dtype=np.int32)
    for lo in range(0, len(pairs), chunk):
        part = pairs[lo:lo + chunk]
        firsts, seconds = [codes[i] for i in part[:, 0].tolist()], [codes[j] for j in part[:, 1].tolist()]
        scores[lo:lo + len(part)] = process.cpdist(firsts, seconds, scorer=scorer, dtype=np.int32, workers=workers)
    return scores


def _template_pairs(codes: list[Code], candidates: np.ndarray, coverage: float,
                    workers: int = 1) -> list[tuple[int, int]]:
    """The candidate pairs whose alignment fixes at least ``MIN_FIXED`` tokens and ``coverage`` of the longer.

    The fixed tokens are a common subsequence, so at most the shorter length and at most the LCS; an alignment of
    d edits leaves at least (longer - d) tokens of the longer one in place. Only pairs between the bounds are
    aligned in Python.
    """
    lengths = np.array([len(c) for c in codes], dtype=np.int64)
    shorter = np.minimum(lengths[candidates[:, 0]], lengths[candidates[:, 1]])
    longer = np.maximum(lengths[candidates[:, 0]], lengths[candidates[:, 1]])
    need = np.maximum(MIN_FIXED, coverage * longer)
    pairs, need, longer = candidates[shorter >= need], need[shorter >= need], longer[shorter >= need]
    possible = _scores(LCSseq.similarity, codes, pairs, workers) >= need
    pairs, need, longer = pairs[possible], need[possible], longer[possible]
    sure = (longer - _scores(Levenshtein.distance, codes, pairs, workers)) >= need
    return [(a, b) for (a, b), n, s in zip(pairs.tolist(), need.tolist(), sure.tolist())
            if s or _fixed_count(codes[a], codes[b]) >= n]


def _wordset_signatures(lines: Sequence[str], fp: Fingerprinter, chunk: int = 4096) -> np.ndarray:
    """MinHash signature of the word set of each token sequence, given as its tokens joined by spaces (its
    one-word shingles; a repeated word changes no minimum), ``chunk`` sequences at a time."""
    sigs = np.empty((len(lines), fp.num_perm), dtype=np.uint32)
    for start in range(0, len(lines), chunk):
        sigs[start:start + chunk] = fp.signatures_of_hash_sets(*batch_word_string_hashes(lines[start:start + chunk],
                                                                                         1))
    return sigs


def wordset_signatures_shard(lines: Sequence[str], fp: Fingerprinter) -> tuple[list[str], np.ndarray]:
    """The distinct token strings among ``lines`` (``" ".join(tokens(text))``) that ``TemplateMiner`` compares
    (``MIN_TOKENS`` to ``MAX_TOKENS`` tokens) and their word-set signatures, one row each."""
    keys = [line for line in dict.fromkeys(lines) if MIN_TOKENS <= spaced_count(line) <= MAX_TOKENS]
    return keys, _wordset_signatures(keys, fp)


def _candidates(codes: Sequence[Code], sigs: np.ndarray, fp: Fingerprinter, coverage: float = 0.0,
                workers: int = 1) -> np.ndarray:
    """Pairs of sorted sequences (given as their ``_codes``) near each other in an LSH bucket of their word sets
    (``sigs``, a row per sequence), listed by first and last words, whose lengths allow an alignment fixing
    ``MIN_FIXED`` tokens and ``coverage`` of the longer (the first bound ``_template_pairs`` applies).

    A code has one symbol per word, the symbols in the words' sorted order, so reversed codes sort as the
    reversed token sequences do: the last-words order."""
    if not codes:
        return np.empty((0, 2), dtype=np.int64)
    end_rank = ranks([code[::-1] for code in codes])
    bands, rows = band_params(WORDSET_LSH_THRESHOLD, fp.num_perm)
    lengths = np.fromiter(map(len, codes), np.int64, len(codes))

    def alignable(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        shorter, longer = np.minimum(lengths[a], lengths[b]), np.maximum(lengths[a], lengths[b])
        return shorter >= np.maximum(MIN_FIXED, coverage * longer)

    return band_neighbours(sigs, [np.arange(len(codes)), end_rank], bands, rows, ALIGN_WINDOW, ALIGN_MIN_AGREEMENT,
                           alignable, workers)


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


def _build(seqs: list[tuple[str, ...]], codes: list[Code], blocks: list[list[int]]) -> Template:
    """Template text, per-block coverage and slot values of one component of distinct token sequences (``blocks``:
    the blocks of each)."""
    first = min(range(len(seqs)), key=lambda i: (len(seqs[i]), seqs[i]))
    base, base_code = seqs[first], codes[first]
    aligned = [dict(_aligned_fixed(base_code, code)) for code in codes]  # base index -> member index
    fixed = set(range(len(base)))
    for pairs in aligned[:ALIGN_SAMPLE]:
        fixed &= pairs.keys()
    order = sorted(fixed)
    gaps: dict[tuple[str, ...], list[str]] = {}
    for seq, pairs in zip(seqs, aligned):
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
    for seq, bids in zip(seqs, blocks):
        g = gaps[seq]
        cover = _coverage(len(order), [g[i] for i in names if i < len(g)], len(seq)) if len(g) > 1 else 0.0
        for bid in bids:
            members.append(bid)
            coverage[bid] = cover
            slots[bid] = {names[i]: g[i] for i in names if i < len(g)}
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    return Template(f"t-{digest}", text, "template", sorted(members), coverage, slots)


class TemplateMiner:
    """Finds template shapes once (they depend on text only); support is counted per clustering round.

    The shapes are mined by a process of their own (``parallel.Beside``; with ``workers`` > 1 and ``MIN_ITEMS``
    short texts or more) while the caller goes on with other stages; the first ``for_clusters`` waits for them.

        >>> miner = TemplateMiner(texts, notes, fp, BoilerplateConfig(), excluded=headings)
        >>> templates = miner.for_clusters(cluster_of)
    """

    def __init__(self, texts: dict[int, str], notes: list[BlockNote], fp: Fingerprinter,
                 config: BoilerplateConfig, excluded: set[int], workers: int = 1,
                 lines: TextLines | None = None, wordsets: KeySignatures | None = None) -> None:
        """``lines`` holds the token strings, word counts and openings of the block texts (``TextLines``), and
        ``wordsets`` the word-set signatures of the short ones (``wordset_signatures_shard``), when the caller
        has them."""
        self.config = config
        self.notes = notes
        body = [bid for bid in sorted(texts)
                if notes[bid].role == "body" and bid not in excluded and notes[bid].occurrence is not None]
        if lines is None:
            lines = text_lines({bid: texts[bid] for bid in body})
        text_of = np.fromiter(map(lines.row.__getitem__, body), np.int64, len(body))
        keys, counts, flat, shared = _short_lines_and_openings(np.array(body, np.int64), text_of, lines,
                                                               config.template_min_support)
        apart = workers if len(keys) >= MIN_ITEMS else 1
        # sent to the miner's process (a Beside of more than one worker always sends), the signatures are
        # gathered as they are written: no copy is held here beside the matrix
        sigs = None if wordsets is None else wordsets.rows(keys) if apart > 1 else wordsets.take(keys)
        packed = [_joined_pieces(keys), sigs, counts, flat]
        del sigs, counts, flat
        self._shapes = Beside(_packed_shapes, packed, fp, config, workers, workers=apart)
        del packed
        self.openings = [_stock_opening(members, {m: lines.lines[lines.row[m]] for m in members})
                         for _, members in shared]
        self._found: tuple[list[Template], list[set[int]], np.ndarray, np.ndarray] | None = None

    def _mined(self) -> tuple[list[Template], list[set[int]], np.ndarray, np.ndarray]:
        """Shapes, the labellable blocks of each, and the owner (shape, then opening) and article of every
        member block."""
        if self._found is None:
            shapes, labellable = self._shapes.result()
            found = [*shapes, *self.openings]
            owner = np.repeat(np.arange(len(found), dtype=np.int64), [len(t.blocks) for t in found])
            occurrence = np.array([self.notes[b].occurrence for t in found for b in t.blocks], dtype=np.int64)
            self._found = shapes, labellable, owner, occurrence
        return self._found

    def _stories(self, cluster_of: dict[int, int]) -> list[int]:
        """Distinct story clusters among the articles of each shape's, then each opening's, blocks."""
        shapes, _, owner, occurrence = self._mined()
        found = len(shapes) + len(self.openings)
        if not occurrence.size:
            return [0] * found
        cluster = np.array([cluster_of[o] for o in range(int(occurrence.max()) + 1)], dtype=np.int64)
        pairs = sorted_unique(owner * (int(cluster.max()) + 1) + cluster[occurrence])
        return np.bincount(pairs // (int(cluster.max()) + 1), minlength=found).tolist()

    def for_clusters(self, cluster_of: dict[int, int]) -> list[Template]:
        """Templates and stock openings with support over ``cluster_of``; labelled blocks where support allows."""
        shapes, labellable, _, _ = self._mined()
        stories = self._stories(cluster_of)
        least = self.config.template_min_support
        found = [replace(shape, support=support, labelled=set(blocks) if support >= least else set())
                 for shape, blocks, support in zip(shapes, labellable, stories)]
        found += [replace(opening, support=support)
                  for opening, support in zip(self.openings, stories[len(shapes):]) if support >= least]
        return sorted(found, key=lambda t: (t.blocks[0], t.template_id))


def template_shapes(keys: list[str], sigs: np.ndarray | None, blocks: list[list[int]], fp: Fingerprinter,
                    config: BoilerplateConfig, workers: int = 1) -> tuple[list[Template], list[set[int]]]:
    """Templates among distinct short token sequences (``keys``: sorted, each given as its tokens joined by
    spaces; ``blocks``: the blocks of each; ``sigs``: their word-set signatures, a row each, or None to compute
    them): LSH on word sets, verified by word alignment; with each template's blocks that may be labelled
    (coverage and length within the config's bounds). Plain data in and out: a unit of work for a process.

    The joined strings sort as their token tuples do (tokens hold no space, and every character of a token
    sorts after it), so the sequences are listed in token order without comparing tuples; only the members of
    a template are made token tuples.
    """
    if sigs is None:
        sigs = _wordset_signatures(keys, fp)
    codes = _codes(keys)
    return _shapes(keys, codes, _candidates(codes, sigs, fp, config.template_coverage), blocks, config, workers)


class _Slices(Sequence[list[int]]):
    """The blocks of each key (``counts[i]`` of them for key i, one key after another in ``flat``), cut out as a
    list when asked: the miner asks for the keys of its shapes only, and a list per key would be a million lists
    held in its process beside the run."""

    def __init__(self, flat: np.ndarray, counts: np.ndarray) -> None:
        self.flat, self.ends = flat, np.cumsum(counts)
        self.starts = self.ends - counts

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> list[int]:  # type: ignore[override]
        return self.flat[int(self.starts[i]):int(self.ends[i])].tolist()


def _shapes(keys: list[str], codes: list[Code], candidates: np.ndarray, blocks: Sequence[list[int]],
            config: BoilerplateConfig, workers: int = 1) -> tuple[list[Template], list[set[int]]]:
    """``template_shapes`` from the keys' codes and the LSH candidates among them."""
    pairs = _template_pairs(codes, candidates, config.template_coverage, workers)
    shapes, labellable = [], []
    for comp in components(pairs):
        shape = _build([tuple(keys[i].split(" ")) for i in comp], [codes[i] for i in comp], [blocks[i] for i in comp])
        short = {b for i in comp if spaced_count(keys[i]) <= config.template_max_words for b in blocks[i]}
        shapes.append(shape)
        labellable.append({b for b in shape.blocks if shape.coverage[b] >= config.template_coverage and b in short})
    return shapes, labellable


KEYS_PER_PIECE = 1024


def _joined_pieces(keys: list[str]) -> list[str]:
    """``keys`` (none empty, a token holds no newline) joined by newlines ``KEYS_PER_PIECE`` at a time: pieces
    that pickle writes through its own small buffer. One string of them all would be copied whole as it is
    pickled (a large ``str`` is written as a new ``bytes`` of its UTF-8), ~70 MB more at a 100k run's peak."""
    return ["\n".join(keys[lo:lo + KEYS_PER_PIECE]) for lo in range(0, len(keys), KEYS_PER_PIECE)]


def _packed_shapes(packed: list[Any], fp: Fingerprinter, config: BoilerplateConfig,
                   workers: int = 1) -> tuple[list[Template], list[set[int]]]:
    """``template_shapes`` of ``packed``: the keys joined by newlines a few at a time (``_joined_pieces``), their
    signatures (or None), and the blocks of each as one array (``counts[i]`` for key i), a few objects to pickle
    where lists of them would be millions. The list is emptied, so the signatures are let go once the candidates
    are found (the miner's process goes on beside the run's other stages)."""
    keys, sigs, counts, blocks = packed
    packed.clear()
    keys = [key for piece in keys for key in piece.split("\n")]
    members = _Slices(blocks, counts)
    del blocks
    if sigs is None:
        sigs = _wordset_signatures(keys, fp)
    codes = _codes(keys)
    candidates = _candidates(codes, sigs, fp, config.template_coverage)  # in this process: it runs beside others
    del sigs
    return _shapes(keys, codes, candidates, members, config, workers)


@dataclass
class TextLines:
    """What the miner reads of block texts, a row per distinct text: the row of each block's text (by block
    index), and each text's tokens joined by single spaces, their count and its ``opening``."""

    row: Sequence[int] | Mapping[int, int]
    lines: Sequence[str]
    words: Sequence[int]
    openings: Sequence[str | None]


def opening(line: str, words: int) -> str | None:
    """The first ``OPENING_TOKENS`` tokens of a paragraph of ``MIN_PARAGRAPH_TOKENS`` or more (given as its
    ``words`` tokens joined by single spaces), or None for a shorter one."""
    return _OPENING.match(line).group() if words >= MIN_PARAGRAPH_TOKENS else None  # type: ignore[union-attr]


def text_lines(texts: Mapping[int, str]) -> TextLines:
    """``TextLines`` of the blocks ``texts`` (block index -> text), a row per distinct text."""
    index: dict[str, int] = {}
    row = {bid: index.setdefault(text, len(index)) for bid, text in texts.items()}
    lines = [" ".join(tokens(text)) for text in index]
    words = [spaced_count(line) for line in lines]
    return TextLines(row, lines, words, [opening(line, n) for line, n in zip(lines, words)])


def _short_lines_and_openings(bids: np.ndarray, text_of: np.ndarray, lines: TextLines, least: int
                              ) -> tuple[list[str], np.ndarray, np.ndarray, list[tuple[str, list[int]]]]:
    """The short lines, template candidates (``MIN_TOKENS`` to ``MAX_TOKENS`` tokens), and the paragraph openings
    that ``least`` blocks or more share, among the blocks ``bids`` (in block order; ``text_of``: the row of each
    in ``lines``).

    Returns the sorted short lines, how many blocks each has and those blocks one line after another (in block
    order within a line), and the shared openings, sorted, each with its blocks in block order. Each distinct
    text is looked at once (reprints repeat most blocks) and the blocks are put in order by arrays: no list is
    made per line or opening, nor a token list per block (a large corpus's would hold several times its text).
    """
    used = np.unique(text_of)
    rows = used.tolist()
    words = np.fromiter(map(lines.words.__getitem__, rows), np.int64, len(rows))
    line_of = np.full(int(used[-1]) + 1 if used.size else 0, -1, np.int64)
    opening_of = line_of.copy()
    ids: dict[str, int] = {}
    short = used[(words >= MIN_TOKENS) & (words <= MAX_TOKENS)].tolist()
    line_of[short] = np.fromiter((ids.setdefault(lines.lines[r], len(ids)) for r in short), np.int64, len(short))
    openings: dict[str, int] = {}
    opened = used[words >= MIN_PARAGRAPH_TOKENS].tolist()
    opening_of[opened] = np.fromiter((openings.setdefault(lines.openings[r], len(openings))  # type: ignore[arg-type]
                                      for r in opened), np.int64, len(opened))
    keys = sorted(ids)
    rank = np.empty(len(keys), np.int64)
    rank[np.fromiter(map(ids.__getitem__, keys), np.int64, len(keys))] = np.arange(len(keys))
    counts, flat = _grouped(bids, line_of[text_of], rank, len(keys))
    block_opening = opening_of[text_of]
    support = np.bincount(block_opening[block_opening >= 0], minlength=len(openings))
    names = list(openings)  # by id
    shared = sorted((names[i], i) for i in np.flatnonzero(support >= least).tolist())
    rank = np.full(len(openings), -1, np.int64)
    rank[[i for _, i in shared]] = np.arange(len(shared))
    sizes, members = _grouped(bids, block_opening, rank, len(shared))
    ends = np.cumsum(sizes).tolist()
    flat_members = members.tolist()
    return keys, counts, flat, [(name, flat_members[end - size:end]) for (name, _), end, size
                                in zip(shared, ends, sizes.tolist())]


def _grouped(bids: np.ndarray, ids: np.ndarray, rank: np.ndarray, places: int) -> tuple[np.ndarray, np.ndarray]:
    """The blocks ``bids`` (in block order) of each of ``places`` ids in ``rank`` order: how many each has, and
    the blocks one id after another. ``ids`` gives each block's id (-1: none); ``rank`` each id's place (-1: left
    out)."""
    chosen = np.flatnonzero(ids >= 0)
    place = rank[ids[chosen]]
    chosen, place = chosen[place >= 0], place[place >= 0]
    order = np.argsort(place, kind="stable")
    return np.bincount(place, minlength=places), bids[chosen[order]]


def _stock_opening(members: list[int], lines: dict[int, str]) -> Template:
    """The longest common opening (``OPENING_TOKENS`` tokens or more) of the paragraphs (given as their tokens
    joined by single spaces), reported as a stock phrase (support not yet counted)."""
    # Extended word by word while every member has that word next and at least one more after it.
    texts = [lines[m] for m in members]
    prefix = _common_prefix(min(texts), max(texts))  # the prefix of all lies between the least and the greatest
    common = prefix.count(" ") + all(len(t) == len(prefix) or t[len(prefix)] == " " for t in texts)  # whole words
    sizes = {m: lines[m].count(" ") + 1 for m in members}
    keep = max(OPENING_TOKENS, min(common, min(sizes.values()) - 1))
    words = texts[0].split(" ", keep)[:keep]
    text = " ".join(words) + " {REST}"
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    cover = {m: round(keep / sizes[m], 4) for m in members}
    slots = {m: {"REST": _after_words(lines[m], keep)[:200]} for m in members}
    return Template(f"t-{digest}", text, "stock-opening", members, cover, slots)


def _common_prefix(a: str, b: str) -> str:
    """The longest common prefix of two strings, found by halving (``os.path.commonprefix`` compares character
    by character in Python)."""
    same, differ = 0, min(len(a), len(b)) + 1  # a[:same] == b[:same]; a[:differ] != b[:differ] or past the end
    while differ - same > 1:
        mid = (same + differ) // 2
        if a[same:mid] == b[same:mid]:
            same = mid
        else:
            differ = mid
    return a[:same]


def _after_words(line: str, count: int) -> str:
    """What follows the first ``count`` words of a single-spaced line."""
    parts = line.split(" ", count)
    return parts[count] if len(parts) > count else ""
