"""Quality benchmark: ``dedup run`` against the naive baseline on synthetic syndication networks.

For each seed (the reference seed 1 always comes first) it generates ``benchmarks/out/n<N>-seed<S>/`` with
benchmarks/synth.py, runs ``dedup run <DIR>/input --out <DIR>/out`` in a subprocess, runs benchmarks/baseline.py
into ``<DIR>/baseline``, scores both with dedup/evaluate/ and prints one markdown table: every metric, per seed,
ours vs baseline, under the command line that produced it. ``--seeds-check`` instead scores the bundled seeds/
against the hand-made gold file benchmarks/seeds_truth.jsonl. When the pipeline is missing or fails, its column
says so and the baseline is still scored.

    python -m benchmarks.quality --stories 150 --seeds 1,2,3
    python -m benchmarks.quality --seeds-check
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from benchmarks.baseline import run_baseline
from benchmarks.synth import CorpusMissingError, generate
from dedup.evaluate import (METRIC_ORDER, GoldError, OutputError, format_table, format_value, load_gold, score,
                            sweep)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_WORK = REPO / "benchmarks" / "out"
SEEDS_DIR = REPO / "seeds"
SEEDS_TRUTH = REPO / "benchmarks" / "seeds_truth.jsonl"
REFERENCE_SEED = 1


@dataclass
class Column:
    """One scored system on one corpus: its metrics, wall-clock seconds, or why it has none."""

    name: str
    metrics: dict[str, float | int] = field(default_factory=dict)
    seconds: float | None = None
    error: str | None = None


def find_dedup(explicit: str | None) -> str | None:
    """``--dedup-bin``, else the ``dedup`` next to this Python (the venv's), else ``dedup`` on PATH."""
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "dedup"
    if beside.is_file():
        return str(beside)
    return shutil.which("dedup")


def parse_seeds(text: str) -> list[int]:
    """"1,2,3" -> [1, 2, 3] with the reference seed first and no repeats."""
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds must be comma-separated integers, got {text!r}") from None
    ordered = [REFERENCE_SEED] + [s for s in seeds if s != REFERENCE_SEED]
    return list(dict.fromkeys(ordered))


def parse_thresholds(text: str) -> list[float]:
    """"0.5,0.6" -> [0.5, 0.6]."""
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--sweep must be comma-separated numbers, got {text!r}") from None


def run_ours(dedup_bin: str | None, inputs: Path, out_dir: Path, timeout: float) -> tuple[float | None, str | None]:
    """Run ``dedup run INPUTS --out OUT``; return (seconds, None) or (seconds or None, reason it failed)."""
    if dedup_bin is None:
        return None, "no `dedup` executable found (install with `make install` or pass --dedup-bin)"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    command = [dedup_bin, "run", str(inputs), "--out", str(out_dir)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"`{shlex.join(command)}` did not finish: {err}"
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return seconds, f"`{shlex.join(command)}` exited {done.returncode}: " + " / ".join(tail)
    return seconds, None


def score_column(name: str, out_dir: Path, truth: Path, seconds: float | None, error: str | None) -> Column:
    """Score one output folder, turning scorer errors into a column error."""
    column = Column(name, seconds=seconds, error=error)
    if error is None:
        try:
            column.metrics = score(out_dir, load_gold(truth))
        except (GoldError, OutputError) as err:
            column.error = str(err)
    return column


def run_baseline_column(inputs: Path, out_dir: Path, truth: Path) -> Column:
    """Run and score the naive baseline."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    started = time.perf_counter()
    run_baseline([inputs], out_dir)
    return score_column("baseline", out_dir, truth, time.perf_counter() - started, None)


def benchmark_seed(seed: int, stories: int, work: Path, dedup_bin: str | None,
                   timeout: float) -> tuple[Column, Column]:
    """Generate one corpus and score ours and the baseline on it."""
    folder = work / f"n{stories}-seed{seed}"
    truth = generate(folder, n_stories=stories, seed=seed, overwrite=True)
    inputs = (folder / "input").resolve()
    seconds, error = run_ours(dedup_bin, inputs, folder / "out", timeout)
    ours = score_column(f"seed {seed} ours", folder / "out", truth, seconds, error)
    baseline = run_baseline_column(inputs, folder / "baseline", truth)
    baseline.name = f"seed {seed} baseline"
    return ours, baseline


def seeds_check(work: Path, dedup_bin: str | None, timeout: float) -> tuple[Column, Column]:
    """Score the bundled seeds/ against benchmarks/seeds_truth.jsonl."""
    folder = work / "seeds"
    seconds, error = run_ours(dedup_bin, SEEDS_DIR, folder / "out", timeout)
    ours = score_column("seeds/ ours", folder / "out", SEEDS_TRUTH, seconds, error)
    baseline = run_baseline_column(SEEDS_DIR, folder / "baseline", SEEDS_TRUTH)
    baseline.name = "seeds/ baseline"
    return ours, baseline


def report(columns: Sequence[Column], command: str) -> str:
    """Markdown: the command line, one row per metric, one column per (corpus, system), then any errors."""
    names = [m for m in METRIC_ORDER if m != "threshold" and any(m in c.metrics for c in columns)]
    lines = [f"`{command}`", "", "| metric | " + " | ".join(c.name for c in columns) + " |",
             "| --- | " + " | ".join("---:" for _ in columns) + " |"]
    for name in names:
        cells = [format_value(c.metrics[name]) if name in c.metrics else "failed" if c.error else "" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    seconds = [f"{c.seconds:.1f}" if c.seconds is not None else "" for c in columns]
    lines.append("| seconds | " + " | ".join(seconds) + " |")
    errors = [f"- {c.name}: {c.error}" for c in columns if c.error]
    return "\n".join(lines + ([""] + errors if errors else []))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; see the module docstring."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=150, help="stories per synthetic corpus (default 150)")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1,2,3"),
                        help="comma-separated seeds; the reference seed 1 is always included (default 1,2,3)")
    parser.add_argument("--dedup-bin", default=None, help="the dedup executable (default: the venv's)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="working folder (default benchmarks/out)")
    parser.add_argument("--seeds-check", action="store_true",
                        help="score seeds/ against benchmarks/seeds_truth.jsonl instead of synthetic corpora")
    parser.add_argument("--sweep", type=parse_thresholds, default=None,
                        help="also print a threshold sweep of our clustering, e.g. 0.5,0.6,0.7,0.8,0.9")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per dedup run")
    parser.add_argument("--report", type=Path, default=None, help="also write the markdown to this file")
    args = parser.parse_args(argv)
    dedup_bin = find_dedup(args.dedup_bin)
    command = shlex.join(["python", "-m", "benchmarks.quality", *argv])
    columns: list[Column] = []
    sweeps: list[str] = []
    try:
        if args.seeds_check:
            columns.extend(seeds_check(args.work, dedup_bin, args.timeout))
            targets = [(columns[0], args.work / "seeds" / "out", SEEDS_TRUTH)]
        else:
            targets = []
            for seed in args.seeds:
                ours, baseline = benchmark_seed(seed, args.stories, args.work, dedup_bin, args.timeout)
                columns.extend([ours, baseline])
                folder = args.work / f"n{args.stories}-seed{seed}"
                targets.append((ours, folder / "out", folder / "truth.jsonl"))
    except (CorpusMissingError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.sweep:
        for column, out_dir, truth in targets:
            if column.error is None:
                sweeps.append(f"\n{column.name}, threshold sweep:\n\n"
                              + format_table(sweep(out_dir, load_gold(truth), args.sweep)))
    text = report(columns, command) + "\n" + "".join(sweeps)
    print(text)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
