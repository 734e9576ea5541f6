"""The whole run, one stage after another; ``run()`` reads like the algorithm.

ingest -> blocks -> segment -> templates (their shapes mined by a process of their own, beside the next stages) ->
groups -> (fingerprint -> candidates -> verify -> cluster -> support -> template support)* -> labels -> canonical ->
write. The bracketed part repeats until the boilerplate set is stable: shared blocks are taken out of every
article's content, the articles are clustered on what is left, and support is counted over the clusters. Each
stage is a plain function over the records in ``records``; timings go under one key of summary.json so that every
other field is byte-stable.

    >>> summary = run([Path("seeds")], Path("reports"), Config())
    >>> summary["counts"]["occurrences"]
    23
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from . import boilerplate, canonical, outputs, parallel
from .blocks import split_blocks
from .candidates import candidate_pairs
from .cluster import cluster
from .config import ClusterConfig, Config
from .fingerprint import (Fingerprinter, KeySignatures, batch_word_string_hashes, shingle_hashes, sorted_unique,
                          spaced_shingle_hashes)
from .groups import GRAM_PERM, Group, block_groups, gram_signatures_shard, near_eligible
from .ingest import read_inputs
from .normalize import skeleton, spaced_count, tokens, word_string
from .parallel import (ShardStream, default_workers, map_shared, no_cycle_collection, per_shard, release_free_memory,
                       worker_cpu)
from .records import Block, BlockNote, Corpus
from .segment import Features, block_looks, looks_shard, segment
from .templates import Template, TemplateMiner, TextLines, opening, wordset_signatures_shard
from .verify import Content, Verdict, verify
from .write import check_out_dir, write_outputs

Progress = Callable[[str], None]
TEMPLATE_SHARE_MAX = 0.5


@dataclass
class Result:
    """Everything a run concluded, before it is written."""

    corpus: Corpus
    notes: list[BlockNote]
    groups: list[Group]
    support: dict[str, int]
    root: list[int]
    verdicts: dict[tuple[int, int], Verdict]
    contents: list[Content]
    templates: list[Template]
    rounds: int
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(timings: dict[str, float], stage: str, progress: Progress | None) -> Iterator[None]:
    """Time a stage and report it: wall time so far, and the CPU time of this process and its pool workers in
    this call (twice the wall time when two cores were busy throughout)."""
    start, cpu = time.perf_counter(), _cpu_seconds()
    yield
    release_free_memory()  # what the stage let go, for the next stage's own peak
    timings[stage] = timings.get(stage, 0.0) + round(time.perf_counter() - start, 4)
    if progress is not None:
        progress(f"{stage}: {timings[stage]:.2f}s (this pass: {time.perf_counter() - start:.2f}s, "
                 f"CPU {_cpu_seconds() - cpu:.2f}s), peak memory {_peak_mb()} MB")


def _cpu_seconds() -> float:
    """User and system CPU time of this process, and what its pool workers spent on their shards."""
    t = os.times()
    return t.user + t.system + worker_cpu()


def _peak_mb() -> int:
    """Peak resident memory of this process so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


@no_cycle_collection()  # the stages make millions of objects in no cycle
def run(inputs: list[Path], out: Path, config: Config | None = None, *,
        progress: Progress | None = None, report: bool = True, state: Path | None = None,
        workers: int | None = None) -> dict[str, Any]:
    """Find articles, copies and boilerplate in ``inputs``; write corpus and provenance files to ``out``.

    With ``report`` the HTML report is built from the staged files and committed with them. With ``state`` (an
    SQLite file, created on first use) the run also covers every page of earlier runs saved there, marks which
    copies are new and what they copy, and saves itself into the state after the outputs are committed.
    ``workers`` (default: the CPUs available) processes share the stages that split; outputs do not depend on it.
    """
    config = config or Config()
    workers = default_workers() if workers is None else max(1, workers)
    check_out_dir(out)
    if state is not None:
        return _run_with_state(inputs, out, config, state, progress, report, workers)
    result = analyse(inputs, config, progress=progress, workers=workers)
    timings = result.timings
    with _timed(timings, "write", progress):
        files, summary = outputs.build(result, config)
    del result  # the rows' generators hold what they need, and let it go once written: the report has the memory
    with _timed(timings, "files", progress):  # reported only: summary.json, written here, has its timings
        write_outputs(out, files, summary, _report_builder(timings, progress, workers) if report else None,
                      outputs.WRITTEN_APART if workers > 1 else (), release=True)
    return summary


def _run_with_state(inputs: list[Path], out: Path, config: Config, path: Path, progress: Progress | None,
                    report: bool, workers: int) -> dict[str, Any]:
    """``run`` against a saved state: merge earlier pages, decide over all, write, then save the state."""
    from .state import ROWS_READ, State, annotate

    timings: dict[str, float] = {}
    with State.open(path, config) as saved:
        with _timed(timings, "ingest", progress):
            corpus, plan = saved.merge_inputs(inputs, config)
            memo = saved.memo()
        if progress is not None:
            progress(f"state run {plan.run}: {len(plan.read)} new file(s), {len(plan.replaced)} replaced, "
                     f"{len(plan.unchanged)} already in the state")
        result = analyse_corpus(corpus, config, progress=progress, memo=memo, timings=timings, workers=workers,
                                keep_lines=True)  # the state stores the new pages' lines
        with _timed(result.timings, "write", progress):
            files, summary = outputs.build(result, config)
            files.update({name: list(files[name]) for name in ROWS_READ})  # read again after they are written
            annotate(files, summary, plan, saved.earlier_clusters(), path)
        with _timed(result.timings, "files", progress):  # reported only, as in ``run``
            write_outputs(out, files, summary, _report_builder(result.timings, progress, workers) if report else None,
                          outputs.WRITTEN_APART if workers > 1 else ())
        with _timed(result.timings, "state", progress):
            saved.save(plan, [p.as_posix() for p in inputs], result, memo, files, _fingerprinter(config), config)
    return summary


def _fingerprinter(config: Config) -> Fingerprinter:
    """The run's MinHash parameters."""
    return Fingerprinter(num_perm=config.fingerprint.num_perm, seed=config.fingerprint.seed,
                         shingle_size=config.fingerprint.shingle_size)


def _report_builder(timings: dict[str, float], progress: Progress | None, workers: int) -> Callable[[Path], None]:
    """Builds report.html into the staging folder, so it is committed with the files it describes."""
    from .report import build_report

    def build(staging: Path) -> None:
        with _timed(timings, "report", progress):
            build_report(staging, workers=workers, progress=progress)

    return build


@no_cycle_collection()  # the stages make millions of objects in no cycle
def analyse(inputs: list[Path], config: Config, *, progress: Progress | None = None, workers: int = 1) -> Result:
    """All stages but writing."""
    timings: dict[str, float] = {}
    with _timed(timings, "ingest", progress):
        corpus = read_inputs(inputs, config.ingest)
    return analyse_corpus(corpus, config, progress=progress, timings=timings, workers=workers)


@no_cycle_collection()  # the stages make millions of objects in no cycle
def analyse_corpus(corpus: Corpus, config: Config, *, progress: Progress | None = None, memo: Memo | None = None,
                   timings: dict[str, float] | None = None, workers: int = 1, keep_lines: bool = False) -> Result:
    """All stages between reading and writing, over pages already read; ``memo`` may hold saved signatures.

    ``workers`` processes share the per-block and per-article stages; the result does not depend on it. The
    pages' lines are let go once they are cut into blocks, unless ``keep_lines``.
    """
    timings = {} if timings is None else timings
    memo = memo or Memo()
    fp = _fingerprinter(config)
    with _timed(timings, "segment", progress):
        facts = split_with_facts(corpus, config, fp, workers, keep_lines)
        skeletons, feats = block_looks(corpus, config.segment, known=(facts.rows, facts.skeletons, facts.features))
        corpus.occurrences, notes = segment(corpus, config.segment, (skeletons, feats))
        del feats
        texts = {b.index: b.text for b in corpus.blocks if notes[b.index].role not in ("title", "duplicate-title")}
        words = {bid: facts.words[facts.rows[bid]] for bid in texts}
        headings = boilerplate.story_headings(notes, texts, lambda text: facts.headings[facts.index[text]])
        token_text = dict(zip(facts.index, facts.tokens))  # the index lists the texts in row order
        lines = TextLines(facts.rows, facts.tokens, facts.words, facts.openings)
        grams, wordsets = facts.grams, facts.wordsets
        del facts
    with _timed(timings, "templates", progress):  # the shapes are mined beside the next stages
        miner = TemplateMiner(texts, notes, fp, config.boilerplate, headings, workers, lines, wordsets)
    del lines, wordsets
    with _timed(timings, "groups", progress):
        groups = block_groups(texts, fp, config.boilerplate, skeletons, workers, grams)
    del skeletons, grams
    with _timed(timings, "fingerprint", progress):
        contents = round_contents(corpus, notes, [], set(), set(), fp, config.fingerprint.lead_tokens, workers,
                                  memo, token_text)
    del token_text
    body = boilerplate.body_words(notes, words)
    members: boilerplate.GroupMembers | None = None  # the groups' blocks as arrays, made in the first round
    shared: set[int] = set()
    templated: set[int] = set()
    templates: list[Template] = []
    rounds = 0
    excluded: set[int] = set()
    for rounds in range(1, config.cluster.max_rounds + 1):
        if rounds > 1:  # the first round's contents hold every body block (no boilerplate is known yet)
            with _timed(timings, "fingerprint", progress):
                changed = (shared | templated) ^ excluded
                excluded = shared | templated
                contents = round_contents(corpus, notes, contents, excluded, changed, fp,
                                          config.fingerprint.lead_tokens, workers, memo)
        with _timed(timings, "cluster", progress):
            root, verdicts = find_copies(contents, corpus, fp, config, memo, workers)
        with _timed(timings, "support", progress):
            cluster_of = dict(enumerate(root))
            if members is None:
                members = boilerplate.GroupMembers(groups, notes, words)
            now, support = boilerplate.shared_blocks(groups, notes, cluster_of, words, config.boilerplate, body,
                                                     members)
        with _timed(timings, "templates", progress):
            templates = miner.for_clusters(cluster_of)
            kept = _keep_story_body(notes, words, {b for t in templates for b in t.labelled}, now)
            templates = [t if t.labelled <= kept else replace(t, labelled=t.labelled & kept) for t in templates]
            labelled = kept - now
        if now == shared and labelled == templated:
            break
        shared, templated = now, labelled
    with _timed(timings, "labels", progress):
        boilerplate.settle(notes, texts, groups, support, now)
        boilerplate.apply_templates(notes, templates)
    if progress is not None:
        progress(f"{len(corpus.occurrences)} articles, {len(set(root))} stories, {rounds} round(s)")
    return Result(corpus, notes, groups, support, root, verdicts, contents, templates, rounds, timings)


def _keep_story_body(notes: list[BlockNote], words: dict[int, int], labelled: set[int], shared: set[int]) -> set[int]:
    """Drop template labels from articles they would hollow out: a story told in templated sentences (a filing
    notice, a weekly statistic) is content; a template is boilerplate only beside a story of its own."""
    body: dict[int, int] = {}
    templ: dict[int, int] = {}
    for bid, note in enumerate(notes):
        if note.occurrence is None or note.role != "body" or bid in shared:
            continue
        target = templ if bid in labelled else body
        target[note.occurrence] = target.get(note.occurrence, 0) + words.get(bid, 0)
    hollow = {occ for occ, n in templ.items() if n > TEMPLATE_SHARE_MAX * (n + body.get(occ, 0))}
    return {b for b in labelled if notes[b].occurrence not in hollow}


@dataclass
class TextFacts:
    """What the stages ask of the distinct block texts, computed once per text in the process pool: one column
    per fact, row ``index[text]``."""

    index: dict[str, int]
    rows: list[int]  # the row of each block's text, by block index
    skeletons: list[str]  # segment and groups
    features: list[Features]  # segment (with one blank line above)
    tokens: list[str]  # " ".join(tokens(text)): templates, the first round's contents
    words: list[int]  # len(tokens(text)): word counts
    openings: list[str | None]  # templates.opening of the token string: templates
    headings: list[bool]  # boilerplate.heading_like(text): story headings
    grams: KeySignatures  # character-gram signature of each ``near_eligible`` skeleton: groups
    wordsets: KeySignatures  # word-set signature of each token string of template length: templates


FACT_SHARD = 8192  # distinct texts a shard of the per-text pass


def split_with_facts(corpus: Corpus, config: Config, fp: Fingerprinter, workers: int = 1,
                     keep_lines: bool = False) -> TextFacts:
    """Cut every page into blocks (``corpus.blocks``) and return the ``TextFacts`` of every distinct block text
    (reprints repeat most blocks), by ``workers`` processes: the shards of new texts go to the pool as they fill,
    so the facts of the first pages are computed while the later ones are cut.

    The text is held once: blocks of the same text share one string, and each page lets its lines go once cut
    (``Page.without_lines``) unless ``keep_lines`` (a saved state stores them).
    """
    index: dict[str, int] = {}
    distinct: list[str] = []
    rows: list[int] = []
    corpus.blocks = []
    with ShardStream(partial(text_facts_shard, config=config, fp=fp), workers, FACT_SHARD) as stream:
        for n, page in enumerate(corpus.pages):
            fresh = []
            for block in split_blocks(page, len(corpus.blocks), config.segment):
                row = index.setdefault(block.text, len(distinct))
                if row == len(distinct):
                    distinct.append(block.text)
                    fresh.append(block.text)
                elif distinct[row] is not block.text:
                    block = Block(block.index, block.page, block.start_line, block.end_line, distinct[row])
                corpus.blocks.append(block)
                rows.append(row)
            if not keep_lines:
                corpus.pages[n] = page.without_lines()
            stream.add(fresh)
        return _joined_facts(index, rows, distinct, stream.each(), fp)


def _joined_facts(index: dict[str, int], rows: list[int], distinct: list[str], parts: Iterator[FactColumns],
                  fp: Fingerprinter) -> TextFacts:
    """One ``TextFacts`` from the columns of each shard of the texts ``distinct`` lists (``index`` gives their
    rows, ``rows`` the row of each block's text), in order, taken in as the shards are done; a feature title sent
    as None is the text itself (``_sent_features``). Each shard's columns are let go once copied, so the shards'
    signature matrices are not held beside the joined ones."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
    grams = _KeyedRows(len(distinct), GRAM_PERM)  # at most a row per text: the pages past the rows used stay unmapped
    wordsets = _KeyedRows(len(distinct), fp.num_perm)
    for part in parts:
        row = len(columns[0])
        columns[0].extend(part[0])
        columns[1].extend(_features(sent, text) for sent, text in zip(part[1], distinct[row:row + len(part[1])]))
        columns[2].extend(part[2])
        columns[3].extend(part[3])
        columns[4].extend(part[4])
        columns[5].extend(part[5])
        grams.add(*part[6])
        wordsets.add(*part[7])
        del part
    return TextFacts(index, rows, *columns, grams.signatures(), wordsets.signatures())


class _KeyedRows:
    """A ``KeySignatures`` filled from the (keys, signature rows) of each shard into one matrix made up front; a
    key found in two shards has one signature, so either row serves."""

    def __init__(self, rows: int, num_perm: int) -> None:
        self.index: dict[str, int] = {}
        self.matrix = np.empty((rows, num_perm), dtype=np.uint32)
        self.rows = 0

    def add(self, keys: list[str], matrix: np.ndarray) -> None:
        self.index.update(zip(keys, range(self.rows, self.rows + len(keys))))
        self.matrix[self.rows:self.rows + len(keys)] = matrix
        self.rows += len(keys)

    def signatures(self) -> KeySignatures:
        return KeySignatures(self.index, self.matrix[:self.rows])


Keyed = tuple[list[str], np.ndarray]  # keys and their signatures, a row each
# skeletons, features as sent, token strings, word counts, openings, headings, gram and word-set signatures
FactColumns = tuple[list[str], list[tuple[Any, ...]], list[str], list[int], list[str | None], list[bool], Keyed,
                    Keyed]


def text_facts_shard(texts: Sequence[str], config: Config, fp: Fingerprinter) -> FactColumns:
    """The columns of ``TextFacts`` for a shard of texts (features as ``_sent_features`` sends them); the
    signatures as keys and a matrix with a row per key: character grams of each distinct ``near_eligible``
    skeleton, word sets of each distinct token string that templates compare."""
    looks = looks_shard(texts, config.segment)
    skeletons = [key for key, _ in looks]
    keys = [key for key in dict.fromkeys(skeletons) if near_eligible(key, config.boilerplate)]
    grams = np.stack(gram_signatures_shard(keys, fp)) if keys else np.empty((0, GRAM_PERM), dtype=np.uint32)
    joined = [" ".join(tokens(text)) for text in texts]
    features = [features for _, features in looks]
    words = [spaced_count(line) for line in joined]
    return (skeletons, _sent_features(texts, features), joined, words, list(map(opening, joined, words)),
            headings_of(texts, features, config.segment.max_title_words), (keys, grams),
            wordset_signatures_shard(joined, fp))


def _sent_features(texts: Sequence[str], features: list[Features]) -> list[tuple[Any, ...]]:
    """The features as plain tuples (a named tuple is pickled and rebuilt by a call in Python), each title that is
    the whole text (most are: ``strip_bullet`` hands back the text itself) as None: the caller holds the text, and
    a copy of every text would come back otherwise."""
    return [(None, *f[1:]) if f.title is text else tuple(f) for text, f in zip(texts, features)]


def _features(sent: tuple[Any, ...], text: str) -> Features:
    """``Features`` from what ``_sent_features`` sent for ``text``."""
    return _new_tuple(Features, sent if sent[0] is not None else (text, *sent[1:]))


_new_tuple = tuple.__new__  # a named tuple made from a tuple of its fields without the call of its __new__


def headings_of(texts: Sequence[str], features: Sequence[Features], max_title_words: int) -> list[bool]:
    """``boilerplate.heading_like`` of each text, read off its segmentation features where they were made with
    a title limit of at least ``HEADING_WORDS`` words: a text of at most that many words is then a heading by
    both limits alike (its words without a bullet are no more than its words)."""
    if max_title_words < boilerplate.HEADING_WORDS:
        return list(map(boilerplate.heading_like, texts))
    return [f.heading and f.words <= boilerplate.HEADING_WORDS for f in features]


def skeleton_shard(texts: Sequence[str]) -> list[str]:
    """Skeletons of a shard of texts (a unit of work for ``map_shards``)."""
    return [skeleton(text) for text in texts]


def round_contents(corpus: Corpus, notes: list[BlockNote], previous: list[Content], excluded: set[int],
                   changed: set[int], fp: Fingerprinter, lead_tokens: int, workers: int = 1,
                   memo: Memo | None = None, joined: Mapping[str, str] | None = None) -> list[Content]:
    """Every occurrence's content without ``excluded`` blocks; occurrences holding none of the ``changed`` blocks
    (whose exclusion changed since the round that made ``previous``) keep their previous content.

    The signatures of new contents (whole content and first ``lead_tokens`` words) are computed in the same
    shards and kept in ``memo`` by digest, where ``find_copies`` looks for them first. ``joined`` maps block
    texts to their tokens joined by spaces when the caller has them (``TextFacts.tokens``).
    """
    redo = [i for i, occ in enumerate(corpus.occurrences) if not previous or not changed.isdisjoint(occ.blocks)]
    part = joined.__getitem__ if joined is not None else (lambda text: text)
    bodies = [tuple(part(corpus.blocks[b].text) for b in corpus.occurrences[i].blocks
                    if notes[b].role == "body" and b not in excluded) for i in redo]
    shard = partial(contents_shard, fp=fp, lead_tokens=lead_tokens, joined=joined is not None)
    fresh: list[Content] = []
    for found, sigs, leads in per_shard(shard, bodies, workers, most=CONTENT_SHARD):
        fresh.extend(found)
        if memo is not None:
            for content, sig, lead in zip(found, sigs, leads):
                memo.signatures.setdefault(content.digest, sig)
                memo.leads.setdefault(content.digest, lead)
    by_occurrence = dict(zip(redo, fresh))
    return [by_occurrence[i] if i in by_occurrence else previous[i] for i in range(len(corpus.occurrences))]


def contents_shard(bodies: Sequence[tuple[str, ...]], fp: Fingerprinter, lead_tokens: int,
                   joined: bool = False) -> tuple[list[Content], np.ndarray, np.ndarray]:
    """Contents of a shard of articles, each given as its body block texts (``joined``: as their tokens joined
    by spaces), with the signature of each content and of its first ``lead_tokens`` words (rows in order)."""
    found = contents_of_parts(
        bodies if joined else [[" ".join(word_string(text).split()) for text in texts] for texts in bodies],
        fp.shingle_size)
    return (found, *content_signatures(found, fp, lead_tokens))


def content_signatures(contents: Sequence[Content], fp: Fingerprinter, lead_tokens: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The signature of each content's shingles and of its first ``lead_tokens`` words (rows in order)."""
    sigs = fp.signatures_of_hash_sets(np.concatenate([c.shingles for c in contents] or [np.empty(0, np.uint32)]),
                                      np.array([c.size for c in contents], dtype=np.int64))
    return sigs, fp.signatures([c.text.split(" ", lead_tokens)[:lead_tokens] for c in contents])


CONTENT_BATCH = 512  # articles hashed together: the batch's arrays stay within ~10 MB
CONTENT_SHARD = 2048  # articles a shard of the contents pass: a worker's text and results stay within ~40 MB


def contents_of_parts(bodies: Sequence[Sequence[str]], shingle_size: int = 5,
                      batch: int = CONTENT_BATCH) -> list[Content]:
    """``[content_of_parts(parts) for parts in bodies]``, the shingles of ``batch`` articles at a time hashed and
    deduplicated together (per article, the array calls cost more than the hashing)."""
    return [content for lo in range(0, len(bodies), batch)
            for content in _contents_batch(bodies[lo:lo + batch], shingle_size)]


def _contents_batch(bodies: Sequence[Sequence[str]], shingle_size: int) -> list[Content]:
    """``contents_of_parts`` of one batch."""
    kept = [[part for part in parts if part] for parts in bodies]
    texts = [" ".join(parts) for parts in kept]
    hashes, counts = batch_word_string_hashes(texts, shingle_size)
    owner = np.repeat(np.arange(len(texts), dtype=np.uint64), counts)
    keys = sorted_unique((owner << np.uint64(32)) | hashes.astype(np.uint64))  # by article, then by hash
    shingles = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    sizes = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=len(texts))
    ends = np.cumsum(sizes).tolist()
    return [Content(text, hashlib.sha1(text.encode("utf-8")).hexdigest(), shingles[end - size:end], len(parts),
                    spaced_count(text)) for text, parts, end, size in zip(texts, kept, ends, sizes.tolist())]


def content_of_parts(parts: Sequence[str], shingle_size: int = 5) -> Content:
    """An article's content from the tokens of each body block joined by spaces (``" ".join(tokens(text))``;
    paragraphs: blocks holding any word). The plain definition ``contents_of_parts`` batches (tests compare
    them)."""
    parts = [part for part in parts if part]
    text = " ".join(parts)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return Content(text, digest, sorted_unique(spaced_shingle_hashes(text, shingle_size)), len(parts),
                   spaced_count(text))


def make_content(words: list[str], shingle_size: int = 5, paragraphs: int = 1) -> Content:
    """Content record (text, digest, sorted unique shingle hashes, word count) of a word list."""
    text = " ".join(words)
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return Content(text, digest, sorted_unique(shingle_hashes(words, shingle_size)), paragraphs, len(words))


@dataclass
class Memo:
    """Per-run memory of signatures and verdicts by content digest, so later rounds redo only what changed."""

    signatures: dict[str, np.ndarray] = field(default_factory=dict)
    leads: dict[str, np.ndarray] = field(default_factory=dict)
    verdicts: dict[tuple[str, str], Verdict] = field(default_factory=dict)
    canonical: dict[tuple, int] = field(default_factory=dict)  # ``canonical.choose``'s choices

    def verdict(self, a: Content, b: Content, config: ClusterConfig) -> Verdict:
        """``verify(a, b)``, computed once per pair of distinct contents."""
        key = _pair_key(a, b)
        if key not in self.verdicts:
            self.verdicts[key] = verify(a, b, config)
        return self.verdicts[key]

    def settle(self, contents: Sequence[Content], pairs: Sequence[tuple[int, int]], config: ClusterConfig,
               workers: int = 1) -> None:
        """Verify the pairs (indices into ``contents``) whose verdicts are not known yet, by ``workers`` processes
        forked from this one (they read the contents from its memory; only pairs and verdicts are pickled), when
        there are ``parallel.MIN_ITEMS`` or more; ``verdict`` then finds them. Each pair of distinct contents is
        verified once, as first met, as ``verdict`` would have verified it (a shared sentence can make hundreds of
        thousands of candidate pairs)."""
        todo: dict[tuple[str, str], tuple[int, int]] = {}
        for i, j in pairs:
            key = _pair_key(contents[i], contents[j])
            if key not in self.verdicts and key not in todo:
                todo[key] = (i, j)
        if workers <= 1 or len(todo) < parallel.MIN_ITEMS:
            return  # ``verdict`` verifies them one by one here

        def verified(chunk: Sequence[tuple[int, int]]) -> list[Verdict]:
            return [verify(contents[i], contents[j], config) for i, j in chunk]

        self.verdicts.update(zip(todo, map_shared(verified, list(todo.values()), workers)))


def _pair_key(a: Content, b: Content) -> tuple[str, str]:
    """The key of a pair of contents in ``Memo.verdicts``: their digests in order (a verdict is symmetric)."""
    return (a.digest, b.digest) if a.digest <= b.digest else (b.digest, a.digest)


def find_copies(contents: list[Content], corpus: Corpus, fp: Fingerprinter, config: Config,
                memo: Memo | None = None, workers: int = 1) -> tuple[list[int], dict[tuple[int, int], Verdict]]:
    """Candidates (LSH) -> verified pairs -> clusters; returns each occurrence's cluster root and the verdicts.

    Exact copies share one signature: LSH runs over distinct contents, and each copy is linked to the first
    occurrence of its content by an exact verdict. ``workers`` processes share the verification of the
    candidates; the verdicts do not depend on their number.
    """
    memo = memo or Memo()
    first: dict[str, int] = {}
    for i, c in enumerate(contents):
        if c.size:
            first.setdefault(c.digest, i)
    missing = [(digest, contents[i]) for digest, i in first.items() if digest not in memo.signatures]
    if missing:
        sigs, leads = content_signatures([c for _, c in missing], fp, config.fingerprint.lead_tokens)
        for n, (digest, _) in enumerate(missing):
            memo.signatures[digest], memo.leads[digest] = sigs[n], leads[n]
    signatures = {i: memo.signatures[d] for d, i in first.items()}
    leads = {i: memo.leads[d] for d, i in first.items()}
    verdicts: dict[tuple[int, int], Verdict] = {}
    pairs = [*candidate_pairs(signatures, leads, fp, config.cluster), *_exact_pairs(contents)]
    memo.settle(contents, pairs, config.cluster, workers)
    for i, j in pairs:
        verdicts[(i, j)] = memo.verdict(contents[i], contents[j], config.cluster)
    rank = canonical.ranks(contents, corpus, config.canonical)

    def check(i: int, j: int) -> Verdict:
        key = (min(i, j), max(i, j))
        if key not in verdicts:
            verdicts[key] = memo.verdict(contents[key[0]], contents[key[1]], config.cluster)
        return verdicts[key]

    edges = sorted((i, j, v) for (i, j), v in verdicts.items() if v.match is not None)  # (i, j) are distinct
    return canonical.choose(cluster(len(contents), rank, edges, check), contents, rank, memo.canonical), verdicts


def _exact_pairs(contents: list[Content]) -> list[tuple[int, int]]:
    """Pairs with identical non-empty content (also those too short to have LSH candidates)."""
    first: dict[str, int] = {}
    pairs = []
    for i, c in enumerate(contents):
        if not c.length:
            continue
        if c.digest in first:
            pairs.append((first[c.digest], i))
        else:
            first[c.digest] = i
    return pairs
