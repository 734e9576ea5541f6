"""Speed benchmark: MinHash signature throughput next to known anchors, and ``dedup run`` end to end.

Table 1 times, in one process on the same ~450-word articles (real Reuters stories concatenated until an article
reaches ``--words`` words; the text is read at run time from ``$DEDUP_CORPORA/reuters21578.jsonl`` or
``<repo root>/../shared/corpora`` and never written into the repository), word 5-gram shingles and 128
permutations, each way of going from raw text to signatures:

  (a) datasketch ``MinHash.update`` once per shingle (default SHA-1 hash), (b) datasketch ``update_batch``,
  (c) datasketch ``MinHash.bulk`` with xxhash, (d) rensa, (e) a plain numpy reference (all shingles of a batch
  hashed and permuted as arrays), (f) the floor: tokenize and hash every shingle, no MinHash, and this project:
  (g) ``Fingerprinter.signature_of_text(text)`` per article, (g1) ``Fingerprinter.signature(tokens(text))`` per
  article (the token lists the pipeline keeps), (g2) ``Fingerprinter.signatures_of_texts`` on batches of 256, and
  (g0) its hashing-only floor (tokenize and hash every shingle of a batch, no MinHash). It also checks, on the first
  20 articles, that (g), (g1) and (g2) equal ``datasketch.MinHash(num_perm=128, seed=1,
  hashfunc=dedup.fingerprint.shingle_hash).update_batch(shingles(tokens(text), 5))``.

Each row gives the best of ``--repeat`` rounds (every way runs once per round, in turn) as articles per wall-clock
second and per second of this process's CPU time (on a busy machine the second is the steadier one), and its
speed relative to the floor (f).

Table 2 generates synthetic corpora with ``benchmarks.synth`` (``--stories N`` gives ~2.6 N articles; above the
generator's story limit the corpus is built from several shards with seeds 1, 2, ...; stories repeat across shards)
under ``benchmarks/out/speed/`` (git-ignored), then runs ``.venv/bin/dedup run ... --no-report --quiet`` under
``/usr/bin/time -v`` and reports wall time, peak RSS and articles/s (articles = ``occurrences`` in summary.json).
Every run has a timeout and prints ``timeout`` instead of hanging. The exact commands are printed.

    python -m benchmarks.speed --articles 2000 --e2e 10000,30000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Callable, Sequence, TextIO

import numpy as np

from benchmarks.synth import default_corpus_path, load_corpus

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "out" / "speed"
VENV_BIN = REPO / ".venv" / "bin"
NUM_PERM = 128
SEED = 1
SHINGLE = 5
BATCH = 256
ARTICLES_PER_STORY = 2.6
SYNTH_MAX_STORIES = 9000
_WORD = re.compile(r"\w+")
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD], dtype=np.uint64)


# ------------------------------------------------------------------------------------------------------ articles


def build_articles(n: int, words: int) -> list[str]:
    """``n`` articles of ``words`` words: Reuters stories in id order, concatenated (wrapping around) and cut."""
    stories = [r["text"] for r in load_corpus(default_corpus_path()) if r["text"].strip()]
    articles: list[str] = []
    i = 0
    while len(articles) < n:
        parts, count = [], 0
        while count < words:
            text = stories[i % len(stories)]
            parts.append(text)
            count += len(text.split())
            i += 1
        articles.append(cut_words("\n\n".join(parts), words))
    return articles


def cut_words(text: str, words: int) -> str:
    """``text`` up to the end of its ``words``-th whitespace-separated word."""
    ends = [m.end() for m in islice(re.finditer(r"\S+", text), words)]
    return text[:ends[-1]] if ends else text


# ------------------------------------------------------------------------------------------- anchor primitives


def simple_words(text: str) -> list[str]:
    """The anchors' tokenizer: lower-cased ``\\w+`` runs."""
    return _WORD.findall(text.lower())


def shingle_strings(words: list[str]) -> list[str]:
    """Word 5-grams joined by spaces."""
    return [" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))]


def shingle_bytes(text: str) -> list[bytes]:
    """UTF-8 word 5-grams of ``text``, as datasketch's tutorials feed them."""
    return [s.encode("utf-8") for s in shingle_strings(simple_words(text))]


def numpy_shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the word 5-grams: CRC32 per word, then the 5 word hashes mixed with array operations."""
    words = simple_words(text)
    h = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))
    k = min(SHINGLE, len(h))
    n = len(h) - k + 1
    acc = np.zeros(max(n, 0), dtype=np.uint64)
    for j in range(k):
        acc = acc * np.uint64(31) + h[j:j + n] * _MIX[j]
    return ((acc >> np.uint64(32)) ^ (acc & np.uint64(0xFFFFFFFF))).astype(np.uint32)


def numpy_permutations() -> tuple[np.ndarray, np.ndarray]:
    """Random affine permutation parameters (a odd, b), uint32, drawn from ``SEED``."""
    rng = np.random.RandomState(SEED)
    a = rng.randint(1, 2**32, size=NUM_PERM, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.randint(0, 2**32, size=NUM_PERM, dtype=np.uint64).astype(np.uint32)
    return a, b


# ------------------------------------------------------------------------------------------------------- methods


def way_update(texts: list[str]) -> None:
    """(a) datasketch, one ``update`` call per shingle."""
    from datasketch import MinHash
    for text in texts:
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        for s in shingle_bytes(text):
            m.update(s)


def way_update_batch(texts: list[str]) -> None:
    """(b) datasketch ``update_batch`` per article."""
    from datasketch import MinHash
    for text in texts:
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch(shingle_bytes(text))


def way_bulk_xxhash(texts: list[str]) -> None:
    """(c) datasketch ``MinHash.bulk`` with xxhash's 32-bit digest as the hash function."""
    import xxhash
    from datasketch import MinHash
    MinHash.bulk([shingle_bytes(t) for t in texts], num_perm=NUM_PERM, seed=SEED, hashfunc=xxhash.xxh32_intdigest)


def way_rensa(texts: list[str]) -> None:
    """(d) rensa's ``RMinHash`` per article."""
    from rensa import RMinHash
    for text in texts:
        m = RMinHash(num_perm=NUM_PERM, seed=SEED)
        m.update(shingle_strings(simple_words(text)))
        m.digest()


def way_numpy(texts: list[str]) -> None:
    """(e) numpy reference: a batch's shingle hashes concatenated, permuted as one matrix, min per article."""
    a, b = numpy_permutations()
    for start in range(0, len(texts), BATCH):
        parts = [numpy_shingle_hashes(t) for t in texts[start:start + BATCH]]
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        with np.errstate(over="ignore"):
            permuted = a[:, None] * np.concatenate(parts)[None, :] + b[:, None]  # (num_perm, shingles)
        np.minimum.reduceat(permuted, offsets, axis=1)


def way_floor(texts: list[str]) -> None:
    """(f) the floor: tokenize and hash every shingle (same hashing as (e)), no MinHash."""
    for text in texts:
        numpy_shingle_hashes(text)


def way_project(texts: list[str]) -> None:
    """(g) this project, per article: ``Fingerprinter.signature_of_text(text)``."""
    from dedup.fingerprint import Fingerprinter
    fp = Fingerprinter(num_perm=NUM_PERM, seed=SEED, shingle_size=SHINGLE)
    for text in texts:
        fp.signature_of_text(text)


def way_project_tokens(texts: list[str]) -> None:
    """(g1) this project, per article through the token list: ``Fingerprinter.signature(tokens(text))``."""
    from dedup.fingerprint import Fingerprinter
    from dedup.normalize import tokens
    fp = Fingerprinter(num_perm=NUM_PERM, seed=SEED, shingle_size=SHINGLE)
    for text in texts:
        fp.signature(tokens(text))


def way_project_batch(texts: list[str]) -> None:
    """(g2) this project, ``BATCH`` articles at a time: ``Fingerprinter.signatures_of_texts(texts)``."""
    from dedup.fingerprint import Fingerprinter
    fp = Fingerprinter(num_perm=NUM_PERM, seed=SEED, shingle_size=SHINGLE)
    for start in range(0, len(texts), BATCH):
        fp.signatures_of_texts(texts[start:start + BATCH])


def way_project_floor(texts: list[str]) -> None:
    """(g0) this project's tokenizer and shingle hashing only, no MinHash, ``BATCH`` articles at a time."""
    from dedup.fingerprint import batch_word_string_hashes
    from dedup.normalize import word_string
    for start in range(0, len(texts), BATCH):
        batch_word_string_hashes([word_string(t) for t in texts[start:start + BATCH]], SHINGLE)


def project_matches_datasketch(texts: list[str]) -> bool:
    """Whether (g), (g1) and (g2) equal datasketch's ``MinHash`` fed the shingles and the reference shingle hash."""
    from datasketch import MinHash
    from dedup.fingerprint import Fingerprinter, shingle_hash, shingles
    from dedup.normalize import tokens
    fp = Fingerprinter(num_perm=NUM_PERM, seed=SEED, shingle_size=SHINGLE)
    batch = fp.signatures_of_texts(texts)
    for text, row in zip(texts, batch):
        m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=shingle_hash)
        m.update_batch(shingles(tokens(text), SHINGLE))
        ours = [row, fp.signature_of_text(text), fp.signature(tokens(text))]
        if not all(np.array_equal(sig, m.hashvalues) for sig in ours):
            return False
    return True


FLOOR = "(f) floor: tokenize + hash every shingle, no MinHash"
WAYS: list[tuple[str, Callable[[list[str]], None]]] = [
    ("(a) datasketch `MinHash.update` once per shingle", way_update),
    ("(b) datasketch `update_batch`", way_update_batch),
    ("(c) datasketch `MinHash.bulk` + xxhash", way_bulk_xxhash),
    ("(d) rensa `RMinHash`", way_rensa),
    ("(e) numpy reference, batch hashed + permuted as arrays", way_numpy),
    (FLOOR, way_floor),
    ("(g) this project, per article: `Fingerprinter.signature_of_text(text)`", way_project),
    ("(g1) this project, per article: `Fingerprinter.signature(tokens(text))`", way_project_tokens),
    (f"(g2) this project, {BATCH} at a time: `Fingerprinter.signatures_of_texts(texts)`", way_project_batch),
    (f"(g0) this project's floor, {BATCH} at a time: `batch_word_string_hashes`, no MinHash", way_project_floor),
]


def time_ways(texts: list[str], repeat: int) -> dict[str, tuple[float, float] | str]:
    """Best-of-``repeat`` (wall, CPU) seconds of each way over ``texts``, or why it could not run.

    The ways take turns within each round, so that a change in the machine's load during the run reaches every row
    alike instead of whichever rows happened to run then.
    """
    results: dict[str, tuple[float, float] | str] = {}
    for label, fn in WAYS:
        try:
            fn(texts[:8])  # warm up, and find the ways whose package is missing
            results[label] = (math.inf, math.inf)
        except ImportError as err:
            results[label] = f"n/a ({err.name} not installed)"
    for _ in range(repeat):
        for label, fn in WAYS:
            best = results[label]
            if isinstance(best, tuple):
                start, start_cpu = time.perf_counter(), time.process_time()
                fn(texts)
                wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
                results[label] = (min(best[0], wall), min(best[1], cpu))
    return results


def table_row(label: str, best: tuple[float, float] | str, floor: tuple[float, float] | str, n: int) -> str:
    """One markdown row: articles per wall and per CPU second, and the speed relative to the floor (f)."""
    if isinstance(best, str):
        return f"| {label} | {best} | n/a | n/a |"
    ratio = f"{floor[1] / best[1]:.2f}x" if isinstance(floor, tuple) else "n/a"
    return f"| {label} | {n / best[0]:,.0f} | {n / best[1]:,.0f} | {ratio} |"


def signature_table(n: int, words: int, repeat: int) -> str:
    """Markdown table of table 1, with the correctness check under it."""
    texts = build_articles(n, words)
    mean_words = sum(len(simple_words(t)) for t in texts) / len(texts)
    before = load_note()
    results = time_ways(texts, repeat)
    rows = ["| way of computing MinHash signatures | articles/s | articles/CPU-s | vs (f), by CPU time |",
            "|---|---|---|---|"]
    rows += [table_row(label, results[label], results[FLOOR], n) for label, _ in WAYS]
    check = "OK" if project_matches_datasketch(texts[:20]) else "MISMATCH"
    return "\n".join(rows + ["", f"{n} articles, {mean_words:.0f} words on average, word {SHINGLE}-grams, "
                                 f"{NUM_PERM} permutations, 1 process, best of {repeat} rounds (the ways take "
                                 f"turns in each round); {before} before, {load_note()} after.",
                             f"(g), (g1), (g2) == datasketch MinHash(num_perm={NUM_PERM}, seed={SEED}, "
                             f"hashfunc=shingle_hash).update_batch(shingles(tokens(text), {SHINGLE})) "
                             f"on the first 20 articles: {check}"])


# ---------------------------------------------------------------------------------------------------- end to end


@dataclass
class Measured:
    """One measured command: wall seconds, peak RSS in MB (None if unknown), exit code, or a timeout."""

    wall: float
    peak_mb: float | None
    rc: int | None
    timed_out: bool = False
    stderr: str = ""
    tree_mb: float | None = None  # peak of the summed PSS of every process in the command's group (Linux)


def measure(cmd: Sequence[str], timeout: float, *, cwd: Path | None = None, env: dict[str, str] | None = None,
            stdout: Path | None = None) -> Measured:
    """Run ``cmd`` (under ``/usr/bin/time -v`` when present) in its own process group, with a timeout; its
    standard output goes to the file ``stdout``, or nowhere."""
    use_time = Path("/usr/bin/time").exists()
    full = ["/usr/bin/time", "-v", *cmd] if use_time else list(cmd)
    with open(stdout or os.devnull, "w", encoding="utf-8") as out:
        return _measure(full, use_time, timeout, cwd, env, out)


def _measure(full: list[str], use_time: bool, timeout: float, cwd: Path | None, env: dict[str, str] | None,
             out: TextIO) -> Measured:
    """``measure`` with the command line built and standard output opened; the memory of the whole process group
    (the command and the workers it forks) is sampled every ``TREE_SAMPLE_S`` seconds while it runs."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as err_file:
        proc = subprocess.Popen(full, stdout=out, stderr=err_file, text=True,
                                start_new_session=True, cwd=cwd, env=env)
        tree = 0.0
        while proc.poll() is None:
            if time.perf_counter() - start > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return Measured(time.perf_counter() - start, None, None, timed_out=True)
            tree = max(tree, group_pss_mb(proc.pid))
            try:
                proc.wait(timeout=TREE_SAMPLE_S)
            except subprocess.TimeoutExpired:
                pass
        wall = time.perf_counter() - start
        err_file.seek(0)
        err = err_file.read()
    own = err.split("\tCommand being timed:")[0] if use_time else err
    return Measured(wall, peak_rss_mb(err, use_time), proc.returncode, stderr=own, tree_mb=tree or None)


TREE_SAMPLE_S = 0.25


def group_pss_mb(group: int) -> float:
    """Summed proportional set size (shared pages divided among their sharers) of the processes in a process
    group, in MB; 0 where /proc cannot tell."""
    total_kb = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:  # the fields after the command name: state, ppid, pgrp, ...
                continue
            rollup = (stat.parent / "smaps_rollup").read_text()
        except (OSError, IndexError, ValueError):
            continue
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        total_kb += int(found.group(1)) if found else 0
    return total_kb / 1024


def peak_rss_mb(stderr: str, from_time: bool) -> float | None:
    """Peak RSS from ``time -v`` output, else from ``getrusage(RUSAGE_CHILDREN)`` (max over all children)."""
    if from_time:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
        return int(found.group(1)) / 1024 if found else None
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def show(cmd: Sequence[str]) -> str:
    """``cmd`` as a shell line, with paths relative to the repository root."""
    return shlex.join(cmd).replace(sys.executable, ".venv/bin/python").replace(f"{REPO}/", "")


def shard_plan(articles: int) -> list[tuple[int, int]]:
    """(stories, seed) per synth shard for about ``articles`` articles."""
    stories = round(articles / ARTICLES_PER_STORY)
    shards = math.ceil(stories / SYNTH_MAX_STORIES)
    return [(math.ceil(stories / shards), seed) for seed in range(1, shards + 1)]


def prepare_corpus(articles: int, commands: list[str]) -> list[Path]:
    """Generate (or reuse) the synth shards for ``articles``; return their input folders."""
    inputs = []
    for stories, seed in shard_plan(articles):
        out = WORK / f"synth-s{stories}-seed{seed}"
        cmd = [sys.executable, "-m", "benchmarks.synth", "--out", str(out), "--stories", str(stories),
               "--seed", str(seed), "--force"]
        commands.append(show(cmd))
        if not (out / "truth.jsonl").exists():
            subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        inputs.append(out / "input")
    return inputs


def articles_in(out: Path) -> int | None:
    """Number of articles (occurrences) the run reports in summary.json."""
    try:
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = summary.get("occurrences", summary.get("counts", {}).get("occurrences"))
    return value if isinstance(value, int) else None


def e2e_row(target: int, timeout: float, commands: list[str]) -> str:
    """Generate, run and measure one size; one markdown row."""
    inputs = prepare_corpus(target, commands)
    out = WORK / f"out-{target}"
    cmd = [str(VENV_BIN / "dedup"), "run", *map(str, inputs), "--out", str(out), "--no-report", "--quiet"]
    commands.append("/usr/bin/time -v " + show(cmd))
    m = measure(cmd, timeout)
    shards = len(inputs)
    if m.timed_out:
        return f"| ~{target:,} | {shards} | timeout (> {timeout:.0f} s) | - | - | {load_note()} |"
    if m.rc != 0:
        why = " / ".join(m.stderr.strip().splitlines()[-3:])[:120] if m.stderr else ""
        return f"| ~{target:,} | {shards} | failed (exit {m.rc}: {why}) | - | - | {load_note()} |"
    n = articles_in(out)
    count, rate = (f"{n:,}", f"{n / m.wall:,.0f}") if n else ("?", "?")
    peak = f"{m.peak_mb:,.0f}" if m.peak_mb is not None else "?"
    return f"| {count} | {shards} | {m.wall:,.1f} | {peak} | {rate} | {load_note()} |"


def e2e_table(targets: list[int], timeout: float) -> str:
    """Markdown table of table 2 followed by the commands that produced it."""
    WORK.mkdir(parents=True, exist_ok=True)
    commands: list[str] = []
    rows = ["| articles | synth shards | wall s | peak RSS MB | articles/s | after the run |",
            "|---|---|---|---|---|---|"]
    for target in targets:
        rows.append(e2e_row(target, timeout, commands))
        print(rows[-1], file=sys.stderr, flush=True)
    return "\n".join(rows + ["", "commands:", *(f"    {c}" for c in commands)])


# ----------------------------------------------------------------------------------------------------------- CLI


def load_note() -> str:
    """The 1-minute load average, so a busy machine shows in the output."""
    try:
        return f"load average {os.getloadavg()[0]:.2f}"
    except OSError:
        return "load average unknown"


def parse_sizes(text: str) -> list[int]:
    """``"10000,30000"`` -> [10000, 30000]; ``""`` or ``"0"`` -> []."""
    return [int(x) for x in text.split(",") if x.strip() and int(x) > 0]


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m benchmarks.speed [--articles N] [--words W] [--repeat R] [--e2e SIZES] [--timeout S]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles for the signature table (0: skip)")
    parser.add_argument("--words", type=int, default=450, help="minimum words per article (default 450)")
    parser.add_argument("--repeat", type=int, default=3, help="signature timings: best of this many (default 3)")
    parser.add_argument("--e2e", default="10000,30000",
                        help="end-to-end sizes in articles, comma-separated ('0': skip)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per end-to-end run (default 900)")
    args = parser.parse_args(argv)
    print(f"$ python -m benchmarks.speed {shlex.join(argv if argv is not None else sys.argv[1:])}")
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, {load_note()}\n")
    if args.articles > 0:
        print(signature_table(args.articles, args.words, args.repeat) + "\n", flush=True)
    sizes = parse_sizes(args.e2e)
    if sizes:
        print(e2e_table(sizes, args.timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
