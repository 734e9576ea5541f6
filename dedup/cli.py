"""Command line: a thin click layer over the library; no logic lives here.

Exit codes: 0 done, 1 a run error (unreadable config, unusable output folder, --strict with skipped input),
2 bad usage (click's own).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import pipeline
from .config import Config, ConfigError
from .ingest import InputError
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
def run_command(inputs: tuple[Path, ...], out: Path, config_path: Path | None, strict: bool, quiet: bool) -> None:
    """Run the pipeline on INPUT files/folders (default: seeds/) and write the outputs to --out."""
    progress = None if quiet else (lambda msg: click.echo(f"dedup: {msg}", err=True))
    try:
        config = _load_config(config_path)
        summary = pipeline.run(list(inputs) or [DEFAULT_INPUT], out, config, progress=progress)
    except (ConfigError, InputError, OutputError) as err:
        raise click.ClickException(str(err)) from err
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
