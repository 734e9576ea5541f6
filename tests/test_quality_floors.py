"""Pinned quality floors: seeds/ against its hand-made gold, and a small generated corpus against its truth.

Each floor is pinned to a hash of the inputs it was measured on: if the inputs change, the test fails and asks
for the floors to be re-measured and re-pinned on purpose (they may only go up).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, SHARED_CORPORA
from dedup import Config, run
from dedup.evaluate import load_gold, score

FLOORS_SEEDS = {"segmentation": 1.0, "pairwise_precision": 1.0, "pairwise_recall": 1.0, "ari": 1.0,
                "boilerplate_precision": 1.0, "boilerplate_recall": 1.0, "content_retention": 1.0}
FLOORS_GENERATED = {"segmentation": 0.98, "pairwise_f1": 0.97, "ari": 0.97, "boilerplate_precision": 0.95,
                    "boilerplate_recall": 0.95, "content_retention": 0.99}
PINNED = {
    "seeds": "b8e860d3cea56293d253417059826809",
    "generated-n150-seed1": "fee36f47ba48d4ba2595795b60ab238a",
}


def _digest(paths: list[Path]) -> str:
    """One hash over the bytes of the given files, in sorted path order."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def test_seeds_floors(seeds_out: Path) -> None:
    inputs = sorted(SEEDS.glob("*.txt")) + [ROOT / "benchmarks" / "seeds_truth.jsonl"]
    assert _digest(inputs) == PINNED["seeds"], (
        "seeds/ or benchmarks/seeds_truth.jsonl changed: re-measure with `python -m benchmarks.quality "
        "--seeds-check` and re-pin PINNED['seeds'] and FLOORS_SEEDS on purpose")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        metrics = score(seeds_out, load_gold(ROOT / "benchmarks" / "seeds_truth.jsonl"))
    finally:
        os.chdir(cwd)
    for name, floor in FLOORS_SEEDS.items():
        assert metrics[name] >= floor, f"seeds {name} = {metrics[name]:.4f} < floor {floor}"
    assert metrics["hard_negatives_merged"] == 0
    assert metrics["canonical_count"] == metrics["true_story_count"] == 20


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = Path(os.environ.get("DEDUP_CORPORA", SHARED_CORPORA)) / "reuters21578.jsonl"
    if not corpus.is_file():
        pytest.skip(f"{corpus} is missing: the generated-corpus floors need ../shared/corpora/ (CI always has it)")
    from benchmarks.synth import generate

    root = tmp_path_factory.mktemp("gen")
    generate(root, n_stories=150, seed=1, corpus_path=corpus)
    return root


def test_generated_corpus_floors(generated: Path) -> None:
    digest = _digest(sorted((generated / "input").iterdir()) + [generated / "truth.jsonl"])
    assert digest == PINNED["generated-n150-seed1"], (
        "the generated corpus changed (generator or Reuters text): re-measure with `python -m benchmarks.quality "
        "--stories 150 --seeds 1` and re-pin PINNED['generated-n150-seed1'] and FLOORS_GENERATED on purpose")
    run([generated / "input"], generated / "out", Config(), report=False)
    metrics = score(generated / "out", load_gold(generated / "truth.jsonl"))
    for name, floor in FLOORS_GENERATED.items():
        assert metrics[name] >= floor, f"generated {name} = {metrics[name]:.4f} < floor {floor}"
    assert metrics["hard_negatives_merged"] == 0
