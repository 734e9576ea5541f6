"""Command line: a thin click layer over the library; no logic lives here.

Exit codes: 0 done, 1 a run error (unreadable config, unusable output folder or state, --strict with skipped input),
2 bad usage (click's own).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import pipeline
from .config import Config, ConfigError
from .ingest import InputError
from .parallel import stop_workers
from .state import StateError
from .write import OutputError

DEFAULT_INPUT = Path("seeds")
DEFAULT_OUT = Path("reports")


def _load_config(path: Path | None) -> Config:
    """The config from a TOML file, or the defaults."""
    return Config.from_toml(path) if path is not None else Config()


@click.group()
@click.version_option(package_name="dedup")
def main() -> None:
    """Find repeated articles, boilerplate and templates in syndicated feed pages."""


@main.command("run")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Folder for corpus.jsonl, occurrences.jsonl, blocks.jsonl, groups.jsonl, summary.json.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="TOML file overriding defaults ([cluster], [fingerprint], ... sections).")
@click.option("--strict", is_flag=True, help="Exit 1 when any input was skipped or damaged.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@click.option("--no-report", is_flag=True, help="Skip report.html (build it later with `dedup report DIR`).")
@click.option("--state", "state", type=click.Path(path_type=Path),
              help="SQLite file keeping earlier runs (created on first use): new pages are checked against them.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Processes for the stages that split (default: the CPUs available); outputs do not change.")
def run_command(inputs: tuple[Path, ...], out: Path, config_path: Path | None, strict: bool, quiet: bool,
                no_report: bool, state: Path | None, workers: int | None) -> None:
    """Run the pipeline on INPUT files/folders (default: seeds/) and write the outputs to --out."""
    progress = None if quiet else (lambda msg: click.echo(f"dedup: {msg}", err=True))
    try:
        config = _load_config(config_path)
        summary = pipeline.run(list(inputs) or [DEFAULT_INPUT], out, config, progress=progress,
                               report=not no_report, state=state, workers=workers)
    except (ConfigError, InputError, OutputError, StateError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    finally:
        stop_workers()
    for item in summary["skipped"]:
        where = item["path"] + (f":{item['line']}" if item["line"] else "")
        click.echo(f"dedup: skipped {where}: {item['reason']}", err=True)
    counts = summary["counts"]
    click.echo(f"{counts['occurrences']} articles, {counts['stories']} stories "
               f"({counts['exact_copies']} exact and {counts['near_copies']} near copies), "
               f"{counts['boilerplate_groups']} boilerplate groups; wrote {out}/", err=True)
    if strict and summary["skipped"]:
        click.echo(f"dedup: --strict: {len(summary['skipped'])} input(s) skipped", err=True)
        sys.exit(1)


@main.command("report")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--inputs-root", type=click.Path(path_type=Path, file_okay=False),
              help="Folder the run's relative input paths are resolved against (default: the current folder).")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def report_command(out_dir: Path, inputs_root: Path | None, quiet: bool) -> None:
    """Rebuild OUT_DIR/report.html from the output files of a run (and the inputs they name)."""
    from .report import ReportError, build_report
    from .write import recover

    progress = None if quiet else (lambda msg: click.echo(f"dedup: {msg}", err=True))
    try:
        if out_dir.is_dir():
            recover(out_dir)
        path = build_report(out_dir, inputs_root=inputs_root, progress=progress)
    except (ReportError, OutputError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"wrote {path}", err=True)


@main.command("eval")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--truth", "truth", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Gold labels (JSONL: occurrence and lines records; see benchmarks/README.md).")
@click.option("--sweep", "sweep_spec", help="Comma-separated similarity thresholds to re-score the clustering at.")
def eval_command(out_dir: Path, truth: Path, sweep_spec: str | None) -> None:
    """Score the outputs in OUT_DIR against a labelled sample (--truth) and print the metrics."""
    from .evaluate import GoldError, format_table, load_gold, score, sweep
    from .evaluate import OutputError as EvalOutputError

    try:
        thresholds = [float(x) for x in sweep_spec.split(",")] if sweep_spec else None
    except ValueError as err:
        raise click.BadParameter(f"--sweep takes numbers like 0.5,0.6,0.7 ({err})") from err
    try:
        gold = load_gold(truth)
        rows = sweep(out_dir, gold, thresholds) if thresholds else score(out_dir, gold)
    except (GoldError, EvalOutputError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(format_table(rows))
