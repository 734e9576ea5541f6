"""Output files match their JSON Schemas and the README documents the two set-up commands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conftest import ROOT, read_jsonl

SCHEMAS = ROOT / "dedup" / "schemas"


@pytest.mark.parametrize("name", ["corpus", "occurrences", "blocks", "groups"])
def test_jsonl_rows_match_schema(seeds_out: Path, name: str) -> None:
    validator = Draft202012Validator(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))
    rows = read_jsonl(seeds_out / f"{name}.jsonl")
    assert rows
    for row in rows:
        validator.validate(row)


def test_summary_matches_schema_and_hashes_files(seeds_out: Path) -> None:
    import hashlib

    summary = json.loads((seeds_out / "summary.json").read_text())
    Draft202012Validator(json.loads((SCHEMAS / "summary.schema.json").read_text())).validate(summary)
    for name, digest in summary["files"].items():
        assert hashlib.sha256((seeds_out / name).read_bytes()).hexdigest() == digest


def test_schema_rejects_a_wrong_label() -> None:
    validator = Draft202012Validator(json.loads((SCHEMAS / "blocks.schema.json").read_text()))
    row = {"path": "a", "record": None, "start_line": 1, "end_line": 1, "occurrence_id": None, "label": "junk",
           "kind": None, "group_id": None, "support": 0, "reason": None}
    assert not validator.is_valid(row)


def test_readme_gives_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make")
def test_fresh_clone_make_run(tmp_path: Path) -> None:
    """`make run` from a clean clone of the committed tree installs everything and writes reports/."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout with commits")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    done = subprocess.run(["make", "run"], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads((clone / "reports" / "summary.json").read_text())
    assert summary["counts"]["occurrences"] == 23
