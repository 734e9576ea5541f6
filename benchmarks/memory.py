"""Memory benchmark: peak RSS of ``dedup run`` on a JSONL of N articles of realistic length (~450 words).

It writes, in a temporary folder, ``articles.jsonl`` with ``{"id", "title", "text"}`` records built from Reuters
text (read at run time from ``$DEDUP_CORPORA/reuters21578.jsonl`` or ``<repo root>/../shared/corpora``, never
written into the repository). Reuters holds about 1.2M words; 100k whole-story articles would repeat every story
~40 times and turn every paragraph into shared boilerplate, so originals are made of sentences, grouped 2-4 to a
paragraph until they reach ``--words`` words, in one of two ways (``--text``):

- ``fresh`` (default): new sentences walked from a word-bigram chain of Reuters text (each next word drawn from
  the words that follow the current one there), so distinct stories share phrases as real news does, not whole
  sentences;
- ``remix``: Reuters sentences drawn at random, so that at 100k articles every sentence recurs in ~40 unrelated
  stories: a stress case for block grouping and template mining, where most paragraphs have look-alikes.

About
``--near`` of the records are near-duplicate copies of a recent original made by simple edits: a paragraph dropped,
a number changed, a word swapped, an "UPDATE 1-" headline, the last paragraph cut. Then it runs
``.venv/bin/dedup run FILE --out DIR --no-report --quiet`` under ``/usr/bin/time -v`` with a timeout and prints
the peak RSS of its largest process (``time -v`` counts every process the run waited for: the main process, and
the forkserver with its workers, which the command stops at the end), MB per 100k articles (also counted above
the peak of a 20-article run, the fixed cost), the peak of the summed PSS of all its processes (forked workers
share the main process's pages; PSS divides shared pages among their sharers, so the sum is what the run
holds), wall time and articles/s.

    python -m benchmarks.memory --articles 100000
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shlex
import shutil
import sys
import tempfile
from collections import deque
from pathlib import Path
from typing import Iterator, Sequence

from benchmarks.speed import VENV_BIN, articles_in, load_note, measure, show
from benchmarks.synth import default_corpus_path, load_corpus

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_NUMBER = re.compile(r"\b\d+\b")
WINDOW = 2000
BASE_ARTICLES = 20


def sentence_pool() -> tuple[list[str], list[str]]:
    """Reuters sentences of 5-60 words, and Reuters titles."""
    docs = load_corpus(default_corpus_path())
    sentences = [s for d in docs for s in _SENTENCE_END.split(" ".join(d["text"].split()))
                 if 5 <= len(s.split()) <= 60]
    return sentences, [d["title"] for d in docs if d["title"].strip()]


class BigramChain:
    """Sentences walked word by word through the successors each word has in ``sentences``."""

    def __init__(self, sentences: list[str]) -> None:
        self.starts: list[str] = []
        self.follow: dict[str, list[str]] = {}
        for sentence in sentences:
            words = sentence.split()
            self.starts.append(words[0])
            for a, b in zip(words, words[1:]):
                self.follow.setdefault(a, []).append(b)

    def sentence(self, rng: random.Random, least: int = 6, most: int = 40) -> str:
        """One sentence of ``least`` to ``most`` words ending where a Reuters sentence ends (or at ``most``)."""
        rand, follow = rng.random, self.follow
        word = self.starts[int(rand() * len(self.starts))]
        words = [word]
        while len(words) < most:
            nexts = follow.get(word)
            if not nexts or (len(words) >= least and word[-1] in ".!?"):
                break
            word = nexts[int(rand() * len(nexts))]
            words.append(word)
        return " ".join(words)


def original(rng: random.Random, sentences: list[str] | BigramChain, titles: list[str],
             words: int) -> tuple[str, list[str]]:
    """A title and paragraphs of random (or, from a chain, newly walked) sentences totalling about ``words``."""
    draw = sentences.sentence if isinstance(sentences, BigramChain) else lambda r: r.choice(sentences)
    paragraphs: list[str] = []
    count = 0
    while count < words:
        paragraph = " ".join(draw(rng) for _ in range(rng.randint(2, 4)))
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return f"{rng.choice(titles).title()}: {rng.choice(titles).title()}", paragraphs


def near_copy(rng: random.Random, title: str, paragraphs: list[str]) -> tuple[str, list[str]]:
    """``title``/``paragraphs`` with two simple edits."""
    paragraphs = list(paragraphs)
    for edit in rng.sample(("drop", "number", "word", "update", "cut"), 2):
        if edit == "drop" and len(paragraphs) > 2:
            paragraphs.pop(rng.randrange(1, len(paragraphs)))
        elif edit == "number":
            i = rng.randrange(len(paragraphs))
            paragraphs[i] = _NUMBER.sub(lambda m: str(int(m.group()) + 1), paragraphs[i], count=1)
        elif edit == "word":
            i = rng.randrange(len(paragraphs))
            words = paragraphs[i].split()
            words[rng.randrange(len(words))] = rng.choice(("said", "added", "reported", "noted"))
            paragraphs[i] = " ".join(words)
        elif edit == "update":
            title = f"UPDATE 1-{title}"
        elif edit == "cut" and len(paragraphs) > 2:
            paragraphs.pop()
    return title, paragraphs


def records(n: int, words: int, near: float, seed: int, text: str = "fresh") -> Iterator[dict]:
    """``n`` JSONL records: originals, and near copies of one of the last ``WINDOW`` originals; ``text`` is
    ``fresh`` (sentences walked from a bigram chain) or ``remix`` (Reuters sentences reused)."""
    rng = random.Random(seed)
    pool, titles = sentence_pool()
    sentences = BigramChain(pool) if text == "fresh" else pool
    recent: deque[tuple[str, list[str]]] = deque(maxlen=WINDOW)
    for number in range(1, n + 1):
        if recent and rng.random() < near:
            title, paragraphs = near_copy(rng, *rng.choice(recent))
        else:
            title, paragraphs = original(rng, sentences, titles, words)
            recent.append((title, paragraphs))
        yield {"id": f"a{number:07d}", "title": title, "text": "\n\n".join(paragraphs)}


def write_jsonl(path: Path, n: int, words: int, near: float, seed: int, text: str = "fresh") -> int:
    """Write the records to ``path``; return its size in bytes."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records(n, words, near, seed, text):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path.stat().st_size


def base_rss(tmp: Path, timeout: float) -> float | None:
    """Peak RSS MB of the same command on a 20-article file: the fixed cost (interpreter, imports)."""
    path = tmp / "base.jsonl"
    write_jsonl(path, BASE_ARTICLES, 450, 0.25, 1)
    m = measure([str(VENV_BIN / "dedup"), "run", str(path), "--out", str(tmp / "base-out"), "--no-report",
                 "--quiet"], timeout)
    return m.peak_mb if m.rc == 0 else None


def report(n: int, size: int, cmd: list[str], timeout: float, base: float | None) -> str:
    """Run and measure ``cmd``; the result as a few lines of text."""
    m = measure(cmd, timeout)
    lines = [f"$ /usr/bin/time -v {show(cmd)}"]
    if m.timed_out:
        return "\n".join(lines + [f"timeout (> {timeout:.0f} s)"])
    if m.rc != 0:
        return "\n".join(lines + [f"failed (exit {m.rc}): {m.stderr.strip()[-400:]}"])
    out = Path(cmd[cmd.index("--out") + 1])
    counted = articles_in(out) or n
    peak = m.peak_mb or 0.0
    growth = f"{(peak - base) * 100_000 / counted:,.0f}" if base is not None else "?"
    tree = f"{m.tree_mb:,.0f}" if m.tree_mb else "?"
    return "\n".join(lines + [
        "| articles | input MB | wall s | articles/s | peak RSS MB | MB per 100k articles "
        f"| above the {BASE_ARTICLES}-article run, per 100k | all processes, peak PSS MB |",
        "|---|---|---|---|---|---|---|---|",
        f"| {counted:,} | {size / 2**20:,.0f} | {m.wall:,.1f} | {counted / m.wall:,.0f} | {peak:,.0f} "
        f"| {peak * 100_000 / counted:,.0f} | {growth} | {tree} |",
        f"({BASE_ARTICLES}-article run: {base if base is None else round(base)} MB peak; {load_note()} after the run)"])


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m benchmarks.memory [--articles N] [--words W] [--near F] [--seed S] [--text fresh|remix]
    [--keep PATH] [--timeout S]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="records in the JSONL (default 100000)")
    parser.add_argument("--words", type=int, default=450, help="words per original (default 450)")
    parser.add_argument("--near", type=float, default=0.25, help="share of near-duplicate copies (default 0.25)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--text", choices=("fresh", "remix"), default="fresh",
                        help="fresh: sentences walked from a bigram chain (default); remix: Reuters sentences reused")
    parser.add_argument("--keep", type=Path, help="also keep the generated JSONL at this path")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the run (default 1800)")
    args = parser.parse_args(argv)
    print(f"$ python -m benchmarks.memory {shlex.join(argv if argv is not None else sys.argv[1:])}", flush=True)
    with tempfile.TemporaryDirectory(prefix="dedup-memory-") as tmp:
        path = Path(tmp) / "articles.jsonl"
        size = write_jsonl(path, args.articles, args.words, args.near, args.seed, args.text)
        if args.keep is not None:
            shutil.copyfile(path, args.keep)
        cmd = [str(VENV_BIN / "dedup"), "run", str(path), "--out", str(Path(tmp) / "out"), "--no-report", "--quiet"]
        print(report(args.articles, size, cmd, args.timeout, base_rss(Path(tmp), args.timeout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
