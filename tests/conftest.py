"""Shared fixtures: the seeds run (once per session) and small helpers to read outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dedup import Config, run

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All records of a JSONL output file."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def file_lines(path: Path) -> list[str]:
    """Lines as Python text-mode iteration yields them (the oracle for line numbers)."""
    with open(path, encoding="utf-8-sig", newline=None) as fh:
        return [line.rstrip("\n") for line in fh]


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output folder of one run over the bundled seeds (inputs given relative to the repo root)."""
    out = tmp_path_factory.mktemp("seeds-out")
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        run([Path("seeds")], out, Config())
    finally:
        os.chdir(cwd)
    return out


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a fixture file, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
