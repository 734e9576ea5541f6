"""Side by side on one JSONL: our article-level dedup, text-dedup's MinHash, and the naive datasketch way.

It generates a synthetic corpus with benchmarks/synth.py in ``benchmarks/out/sidebyside/n<N>-seed<S>/`` (or takes
an existing gold file with ``--truth``) and builds ``articles.jsonl`` from its truth.jsonl: one ``{"id", "text"}``
record per true article occurrence, in gold order, whose text is the occurrence's lines of its page. That range
holds the headline, the paragraphs and the disclaimer, promo, link or filed-from lines the page attaches to the
article, so syndicated copies arrive wrapped in shared boilerplate. The true story labels stay in memory; the tools
never see them. Each tool then runs in its own subprocess under ``/usr/bin/time -v`` (wall and CPU seconds,
peak RSS):

  (a) ours: ``python -m dedup run articles.jsonl --out DIR --no-report --quiet``; each record is one page, and a
      record takes the cluster of its longest occurrence in occurrences.jsonl;
  (b) text-dedup's MinHash, ``python -m text_dedup.minhash`` with a generated config.toml (word 5-grams, 128
      permutations, its sample threshold 0.7, its false-positive check on, 1 process), when ``--text-dedup DIR``
      is given; its clusters.pickle maps row index to cluster, and rows not in it are singletons;
  (c) the naive datasketch way: ``MinHash.update`` once per word 5-gram, ``MinHashLSH`` query then insert, and
      union-find over every candidate, with no verification (``python -m benchmarks.naive_minhash``).

Each tool's labels are scored against the true stories: ARI, pairwise precision/recall/F1, cluster count and
unrelated-story merges. The markdown it prints names the commands, the load average and text-dedup's commit.

    python -m benchmarks.sidebyside --stories 1000 --seed 1 \\
        --text-dedup /work/ext/text-dedup --text-dedup-python /work/ext/td-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from benchmarks.baseline import read_documents
from benchmarks.sidebyside_score import Scores, mixed_examples, score_labels
from benchmarks.speed import measure, show
from benchmarks.synth import CorpusMissingError, generate
from dedup.evaluate import GoldError, load_gold
from dedup.jsonio import json_objects

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "out" / "sidebyside"
NUM_PERM = 128
SHINGLE = 5
THRESHOLD = 0.7
TD_SEED = 42
TD_STAGE = re.compile(r"\b(MinHashing|Clustering|Verifying|Saving|Total): +([0-9.]+) s\b")
NOT_GIVEN = "not given (pass --text-dedup DIR and --text-dedup-python PY)"


@dataclass(frozen=True)
class Article:
    """One true article occurrence as a JSONL record, with its true story and site kept aside."""

    id: str
    text: str
    story: str
    site: str | None


@dataclass
class Run:
    """One tool on the JSONL: wall and CPU seconds, peak RSS MB, one cluster label per record, or why not."""

    name: str
    command: str = ""
    wall: float | None = None
    cpu: float | None = None
    peak_mb: float | None = None
    labels: list[str] | None = None
    error: str | None = None
    load: str = ""
    note: str = ""
    stderr: str = ""


# --------------------------------------------------------------------------------------------------- the JSONL


def build_articles(truth: Path) -> list[Article]:
    """One Article per gold occurrence, sorted by (path, record, start line); ids ``a000001``, ...

    >>> build_articles(Path("benchmarks/out/sidebyside/n1000-seed1/truth.jsonl"))[0].id
    'a000001'
    """
    gold = load_gold(truth)
    pages: dict[str, dict[int | None, tuple[str, ...]]] = {}
    articles = []
    ordered = sorted(gold.occurrences, key=lambda o: (o.path, o.record or 0, o.start_line))
    for number, occ in enumerate(ordered, start=1):
        if occ.path not in pages:
            path = Path(occ.path) if Path(occ.path).is_absolute() else gold.base_dir / occ.path
            pages[occ.path] = {d.record: d.lines for d in read_documents(path)}
        lines = pages[occ.path].get(occ.record, ())
        if not 1 <= occ.start_line <= occ.end_line <= len(lines):
            raise GoldError(f"{truth}: occurrence {occ.path} record {occ.record} lines {occ.start_line}-"
                            f"{occ.end_line} lies outside its page ({len(lines)} lines)")
        text = "\n".join(lines[occ.start_line - 1:occ.end_line])
        articles.append(Article(f"a{number:06d}", text, occ.cluster, occ.site))
    return articles


def write_articles(articles: Sequence[Article], path: Path) -> Path:
    """``{"id", "text"}`` per line, UTF-8; the story labels are not written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for article in articles:
            handle.write(json.dumps({"id": article.id, "text": article.text}, ensure_ascii=False) + "\n")
    return path


# --------------------------------------------------------------------------------------------------- the tools


def loadavg() -> str:
    """The first three fields of /proc/loadavg (1, 5, 15 minutes)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def timed(run: Run, cmd: list[str], timeout: float, *, cwd: Path, env: dict[str, str] | None = None,
          stdout: Path | None = None) -> bool:
    """Run ``cmd`` measured; fill wall, CPU, peak RSS, load and command into ``run``; False (with why) on failure."""
    run.command = show(cmd)
    run.load = loadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = measure(cmd, timeout, cwd=cwd, env=env, stdout=stdout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    run.wall, run.peak_mb, run.stderr = m.wall, m.peak_mb, m.stderr
    if m.timed_out:
        run.error = f"failed: timeout after {timeout:.0f} s"
    elif m.rc != 0:
        run.error = f"failed: exit {m.rc}: " + " / ".join(m.stderr.strip().splitlines()[-3:])[:300]
    return run.error is None


def run_ours(jsonl: Path, out: Path, n: int, timeout: float) -> Run:
    """(a) ``python -m dedup run`` on the JSONL; label per record from occurrences.jsonl."""
    run = Run("ours (`dedup run`)")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "dedup", "run", str(jsonl), "--out", str(out), "--no-report", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if timed(run, cmd, timeout, cwd=REPO, env=env):
        try:
            run.labels, split = ours_labels(out / "occurrences.jsonl", n)
        except (OSError, ValueError, KeyError, TypeError) as err:
            run.error = f"failed: {out / 'occurrences.jsonl'}: {err!r}"
        else:
            run.note = f"{split} records split into several occurrences" if split else ""
    return run


def ours_labels(occurrences: Path, n: int) -> tuple[list[str], int]:
    """Cluster per record (its longest occurrence's), singletons for records without one; and how many were split."""
    best: dict[int, tuple[int, str]] = {}
    seen: dict[int, int] = {}
    for _, occ in json_objects(occurrences, ValueError):
        record, length = occ["record"], occ["end_line"] - occ["start_line"] + 1
        seen[record] = seen.get(record, 0) + 1
        if record not in best or length > best[record][0]:
            best[record] = (length, str(occ["cluster_id"]))
    labels = [best[r][1] if r in best else f"unassigned-{r}" for r in range(1, n + 1)]
    return labels, sum(count > 1 for count in seen.values())


def text_dedup_problem(src: Path | None, python: str | None) -> str | None:
    """Why text-dedup cannot run (``n/a: ...``), or None."""
    if src is None:
        return f"n/a: {NOT_GIVEN}"
    if not (src / "src" / "text_dedup" / "minhash.py").is_file():
        return f"n/a: {src}/src/text_dedup/minhash.py not found (is --text-dedup a text-dedup checkout?)"
    if python is not None and shutil.which(python) is None:
        return f"n/a: --text-dedup-python {python} not found"
    return None


def text_dedup_config(jsonl: Path, out: Path, threshold: float) -> str:
    """config.toml for ``python -m text_dedup.minhash`` on a local JSONL, keeping every row and its cluster."""
    return f"""[input]
input_type = "local_files"
file_type = "json"

[input.read_arguments]
path = "json"
data_files = {json.dumps(str(jsonl))}
split = "train"

[algorithm]
algorithm_name = "minhash"
text_column = "text"
seed = {TD_SEED}
num_perm = {NUM_PERM}
threshold = {threshold}
ngram_size = {SHINGLE}
check_false_positive = true
num_proc = 1

[output]
output_dir = {json.dumps(str(out))}
save_clusters = true
keep_index_column = true
keep_cluster_column = true
skip_filtering = true

[debug]
enable_profiling = false
"""


def run_text_dedup(src: Path | None, python: str | None, jsonl: Path, work: Path, n: int, threshold: float,
                   timeout: float) -> Run:
    """(b) text-dedup's MinHash in ``work`` (config.toml, a fresh HF cache, output); n/a when not available."""
    run = Run("text-dedup MinHash")
    run.error = text_dedup_problem(src, python)
    if run.error or src is None:
        return run
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "config.toml").write_text(text_dedup_config(jsonl, work / "out", threshold), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(src / "src"), "HF_HOME": str(work / "hf"), "HF_DATASETS_OFFLINE": "1"}
    cmd = [python or sys.executable, "-m", "text_dedup.minhash"]
    log = work / "stdout.log"
    if timed(run, cmd, timeout, cwd=work, env=env, stdout=log):
        try:
            parents = read_clusters(work / "out" / "clusters.pickle")
        except (OSError, ValueError, pickle.UnpicklingError) as err:
            run.error = f"failed: {err}"
        else:
            run.labels = [f"td-{parents.get(i, i)}" for i in range(n)]
    logged = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    stages = ", ".join(f"{name} {sec} s" for name, sec in TD_STAGE.findall(logged + run.stderr))
    run.note = f"commit {git_commit(src)}" + (f"; its own timer: {stages}" if stages else "")
    return run


def read_clusters(path: Path) -> dict[int, int]:
    """text-dedup's clusters.pickle (row index -> cluster), refusing anything but plain dicts of ints."""

    class PlainOnly(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> type:
            raise pickle.UnpicklingError(f"{path}: refusing {module}.{name}; expected a dict of ints")

    with path.open("rb") as handle:
        data = PlainOnly(handle).load()
    if not isinstance(data, dict) or not all(isinstance(k, int) and isinstance(v, int) for k, v in data.items()):
        raise ValueError(f"{path}: expected a dict of row index -> cluster id")
    return data


def git_commit(src: Path) -> str:
    """HEAD of a git checkout, or ``unknown``."""
    done = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def run_naive(jsonl: Path, out: Path, threshold: float, timeout: float) -> Run:
    """(c) the naive datasketch way, in a subprocess so that its time and memory are its own."""
    run = Run("naive datasketch")
    cmd = [sys.executable, "-m", "benchmarks.naive_minhash", str(jsonl), "--out", str(out),
           "--threshold", str(threshold), "--num-perm", str(NUM_PERM)]
    if timed(run, cmd, timeout, cwd=REPO):
        run.labels = [str(x) for x in json.loads(out.read_text(encoding="utf-8"))]
    return run


# -------------------------------------------------------------------------------------------------- the report


def report(runs: Sequence[Run], articles: Sequence[Article], hard_negatives: Sequence[tuple[str, str]],
           header: Sequence[str]) -> str:
    """Markdown: header lines, the table, notes and errors, the commands with their load, and mixed clusters."""
    truth = [a.story for a in articles]
    ours = runs[0].wall if runs and runs[0].error is None else None
    lines = [*header, "", "| tool | wall s | × ours | CPU s | peak RSS MB | ARI | pair P | pair R | pair F1 "
             "| clusters | unrelated-story pairs merged | mixed clusters | hard negatives merged |",
             "|---|" + "---:|" * 12]
    for run in runs:
        lines.append(table_row(run, truth, hard_negatives, ours))
    lines += ["", f"True: {len(articles):,} articles of {len(set(truth)):,} stories, "
              f"{len(hard_negatives)} hard-negative pairs."]
    lines += [f"- {r.name}: {r.error or r.note}" for r in runs if r.error or r.note]
    lines += ["", "Commands (1/5/15-min load average just before each):", ""]
    lines += [f"    {r.command}    # load {r.load}" for r in runs if r.command]
    for run in runs:
        if run.labels is not None:
            examples = mixed_examples([a.text for a in articles], truth, run.labels)
            lines += ["", f"{run.name}, largest mixed clusters:", *(f"- {e}" for e in examples or ["none"])]
    return "\n".join(lines)


def table_row(run: Run, truth: Sequence[str], hard_negatives: Sequence[tuple[str, str]],
              ours: float | None) -> str:
    """One markdown row; ``n/a`` or ``failed`` cells when the tool did not produce labels."""
    wall = f"{run.wall:.1f}" if run.wall is not None else "-"
    ratio = f"{run.wall / ours:.2f}" if run.wall is not None and ours else "-"
    cpu = f"{run.cpu:.1f}" if run.cpu is not None else "-"
    peak = f"{run.peak_mb:,.0f}" if run.peak_mb is not None else "-"
    head = f"| {run.name} | {wall} | {ratio} | {cpu} | {peak} | "
    if run.labels is None:
        return head + " | ".join([(run.error or "failed").split(":")[0]] * 8) + " |"
    s: Scores = score_labels(truth, run.labels, hard_negatives)
    cells = [f"{s.ari:.4f}", f"{s.precision:.4f}", f"{s.recall:.4f}", f"{s.f1:.4f}", f"{s.clusters:,}",
             f"{s.unrelated_pairs:,}", f"{s.mixed_clusters:,}", f"{s.hard_negatives_merged}/{len(hard_negatives)}"]
    return head + " | ".join(cells) + " |"


# ----------------------------------------------------------------------------------------------------------- CLI


def prepare(args: argparse.Namespace) -> tuple[Path, list[Article], list[tuple[str, str]]]:
    """The gold file (generated unless ``--truth``), its articles, and its hard-negative pairs."""
    truth = args.truth
    if truth is None:
        folder = args.work / f"n{args.stories}-seed{args.seed}"
        truth = generate(folder, n_stories=args.stories, seed=args.seed, overwrite=True)
    hard = [(a, b) for a, b, _ in load_gold(truth).hard_negatives]
    return truth, build_articles(truth), hard


def compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Build the JSONL, run the three tools, print (and optionally write) the markdown."""
    try:
        truth, articles, hard = prepare(args)
    except (CorpusMissingError, GoldError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    work = truth.parent / "sidebyside"
    jsonl = write_articles(articles, work / "articles.jsonl")
    n = len(articles)
    runs = [run_ours(jsonl, work / "ours", n, args.timeout),
            run_text_dedup(args.text_dedup, args.text_dedup_python, jsonl, work / "text-dedup", n,
                           args.threshold, args.timeout),
            run_naive(jsonl, work / "naive.json", args.threshold, args.timeout)]
    header = [f"$ python -m benchmarks.sidebyside {' '.join(argv)}",
              f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs; JSONL {show([str(jsonl)])} "
              f"({jsonl.stat().st_size / 1e6:.1f} MB)",
              f"Settings: word {SHINGLE}-grams, {NUM_PERM} permutations, threshold {args.threshold} for "
              f"text-dedup and the naive way (ours: its own defaults)."]
    text = report(runs, articles, hard, header)
    print(text)
    if args.report:
        args.report.write_text(text + "\n", encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; see the module docstring."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sidebyside", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=1000, help="stories in the synthetic corpus (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--truth", type=Path, default=None, help="use this gold file instead of generating one")
    parser.add_argument("--work", type=Path, default=WORK, help="folder for generated corpora")
    parser.add_argument("--text-dedup", type=Path, default=None, help="a text-dedup checkout (has src/text_dedup)")
    parser.add_argument("--text-dedup-python", default=None,
                        help="the Python that has text-dedup's dependencies (default: this one)")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help=f"Jaccard threshold for text-dedup and the naive way (default {THRESHOLD})")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per tool")
    parser.add_argument("--report", type=Path, default=None, help="also write the markdown to this file")
    return compare(parser.parse_args(argv), argv)


if __name__ == "__main__":
    sys.exit(main())
