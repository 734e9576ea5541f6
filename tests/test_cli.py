"""The command line: a thin layer; errors become clear messages and documented exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT, read_jsonl, write
from dedup.cli import main


def test_run_writes_outputs_and_reports_counts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(ROOT / "seeds"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "23 articles, 20 stories" in result.output
    assert len(read_jsonl(out / "occurrences.jsonl")) == 23
    stages = [line.split(":")[1].strip() for line in result.output.splitlines() if line.startswith("dedup: ")
              and "s (this pass:" in line]
    assert stages[0] == "ingest" and stages[-2:] == ["report", "files"]  # writing the files is reported too
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "files" not in summary["timings"] and "ingest" in summary["timings"]


def test_missing_input_names_the_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "nope: no such file or folder" in result.output


def test_bad_config_key_lists_known_keys(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[cluster]\nnear_treshold = 0.5\n")
    result = CliRunner().invoke(main, ["run", str(ROOT / "seeds"), "--out", str(tmp_path / "o"), "--config", str(cfg)])
    assert result.exit_code == 1
    assert "unknown key cluster.near_treshold" in result.output and "near_threshold" in result.output


def test_config_file_changes_the_run_and_is_recorded(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[fingerprint]\nnum_perm = 64\n")
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(ROOT / "seeds"), "--out", str(out), "--config", str(cfg), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["fingerprint"]["num_perm"] == 64


def test_invalid_threshold_says_the_fix(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[cluster]\nlsh_threshold = 0.9\nnear_threshold = 0.6\n")
    result = CliRunner().invoke(main, ["run", str(ROOT / "seeds"), "--out", str(tmp_path / "o"), "--config", str(cfg)])
    assert result.exit_code == 1
    assert "over-approximate" in result.output


def test_output_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = write(tmp_path / "file", "x")
    result = CliRunner().invoke(main, ["run", str(ROOT / "seeds"), "--out", str(target)])
    assert result.exit_code == 1 and "is not a folder" in result.output


def test_strict_fails_on_skipped_input(tmp_path: Path) -> None:
    write(tmp_path / "in" / "ok.txt", "A Title Here\n\nSome body text that is long enough to be an article body.\n")
    write(tmp_path / "in" / "bad.jsonl", '{"text": "fine"}\nnot json\n')
    args = ["run", str(tmp_path / "in"), "--out", str(tmp_path / "o")]
    loose = CliRunner().invoke(main, args)
    assert loose.exit_code == 0 and "bad.jsonl:2" in loose.output and "not valid JSON" in loose.output
    strict = CliRunner().invoke(main, [*args, "--strict"])
    assert strict.exit_code == 1


def test_bad_usage_exits_2() -> None:
    assert CliRunner().invoke(main, ["run", "--no-such-option"]).exit_code == 2


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert re.search(rf"`dedup {name}\b|dedup {name} \[", readme), f"dedup {name} is not in README.md"
        for param in main.commands[name].params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in readme, f"dedup {name} {opt} is not in README.md"


def test_the_report_tells_each_step_as_it_ends(tmp_path: Path) -> None:
    """`dedup run` and `dedup report` say each step of the report (reading, pages, data, writing) with its time,
    in order, before the report's stage line; `dedup report --quiet` says only where it wrote."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(ROOT / "seeds"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    steps = ["report: read 20 stories, 23 articles and ", "report: re-read 5 input pages, 5 with their text",
             "report: built the page's data", "report: wrote report.html, "]
    lines = [line[len("dedup: "):] for line in result.output.splitlines() if line.startswith("dedup: report")]
    assert [line.startswith(step) for line, step in zip(lines, steps)] == [True] * 4, lines
    assert all(re.search(r"\(\d+\.\d\ds\)$", line) for line in lines[:4]) and "(this pass:" in lines[4]
    again = CliRunner().invoke(main, ["report", str(out)])
    assert again.exit_code == 0 and [line[len("dedup: "):].split(" (")[0].split(",")[0] for line in
                                     again.output.splitlines() if line.startswith("dedup: ")] == [
        "report: read 20 stories", "report: re-read 5 input pages", "report: built the page's data",
        "report: wrote report.html"]
    quiet = CliRunner().invoke(main, ["report", str(out), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output.strip() == f"wrote {out / 'report.html'}"
