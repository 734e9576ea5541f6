"""Boilerplate and templates with known answers: reworded disclaimers group, templates mined, stock openings kept."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import read_jsonl
from dedup import Config, run
from dedup.groups import block_groups
from dedup.fingerprint import Fingerprinter
from dedup.config import BoilerplateConfig
from synthetic import story, write_jsonl

NAMES = ["Acme", "Globex Corporation", "Initech", "Umbrella Holdings Group", "Stark", "Wayne Enterprises", "Hooli"]
AGENCIES = ["Reuters", "The Associated Press", "AFP", "Bloomberg News"]
PEOPLE = ["Jane Roe", "John Q. Public", "Li", "Maria de la Cruz", "Ahmed"]
DISCLAIMERS = ["For more information, visit https://example.com/a.", "For more info visit https://example.org/b",
               "For more information visit https://example.com/c."]
OPENING = "In the coming weeks and months, the world will be closely watching"


@pytest.fixture(scope="module")
def bp_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(3)
    root = tmp_path_factory.mktemp("bp")
    records = []
    for n in range(12):
        paras = story(rng, 4)
        company = NAMES[n % len(NAMES)]
        paras.insert(1, f"Shares of {company} rose {rng.randint(1, 9)}.{rng.randint(0, 9)} percent to "
                        f"{rng.randint(10, 99)} dollars.")
        paras.append(f"{AGENCIES[n % 4]} has contacted {PEOPLE[n % 5]} for comment.")
        paras.append(f"{OPENING} {' '.join(story(rng, 1)[0].split()[:20])}.")
        paras.append(DISCLAIMERS[n % 3])
        records.append({"id": f"r{n}", "title": f"Story number {n} today", "text": "\n\n".join(paras)})
    write_jsonl(root / "in" / "feed.jsonl", records)
    run([root / "in"], root / "out", Config())
    return root / "out"


def _rows_by_kind(out: Path) -> dict[str, list[dict]]:
    rows = defaultdict(list)
    for row in read_jsonl(out / "blocks.jsonl"):
        rows[row["kind"]].append(row)
    return rows


def test_reworded_disclaimers_form_one_group(bp_out: Path) -> None:
    promos = [r for r in read_jsonl(bp_out / "blocks.jsonl") if r["start_line"] == 15]
    assert len(promos) == 12
    assert {r["label"] for r in promos} == {"boilerplate"} and len({r["group_id"] for r in promos}) == 1
    group = next(g for g in read_jsonl(bp_out / "groups.jsonl") if g["group_id"] == promos[0]["group_id"])
    assert group["support"] == 12 and group["wordings"] >= 2 and group["kind"] == "promo"


def test_templates_are_mined_with_slots_of_any_length(bp_out: Path) -> None:
    templates = {t["template"]: t for t in read_jsonl(bp_out / "templates.jsonl") if t["kind"] == "template"}
    shares = next(t for k, t in templates.items() if k.startswith("shares of {SLOT_1} rose"))
    assert shares["support"] == 12 and shares["label"] == "template"
    values = {o["slots"]["SLOT_1"] for o in shares["occurrences"]}
    assert {"acme", "globex corporation", "umbrella holdings group"} <= values
    contacted = next(t for k, t in templates.items() if "has contacted" in k)
    assert contacted["template"] == "{SLOT_1} has contacted {SLOT_2} for comment"
    assert contacted["support"] == 12
    removed = [r for r in read_jsonl(bp_out / "blocks.jsonl") if r["label"] == "template"]
    assert len(removed) == 24 and all(r["reason"] and r["group_id"].startswith("t-") for r in removed)


def test_stock_opening_paragraphs_stay_content_and_are_reported(bp_out: Path) -> None:
    stock = [t for t in read_jsonl(bp_out / "templates.jsonl") if t["kind"] == "stock-opening"]
    assert any(t["template"].startswith("in the coming weeks and months") and t["support"] == 12 for t in stock)
    corpus = read_jsonl(bp_out / "corpus.jsonl")
    assert len(corpus) == 12  # stories sharing boilerplate and templates stay apart
    assert all(OPENING in r["text"] for r in corpus)
    assert not any("has contacted" in r["text"] or "For more info" in r["text"] for r in corpus)


def test_different_paragraphs_sharing_an_opening_do_not_group() -> None:
    texts = {1: OPENING + " the harvest in the south and the price of grain across the region this year.",
             2: OPENING + " the central bank as it weighs a cut in interest rates before the election."}
    fp = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
    assert block_groups(texts, fp, BoilerplateConfig()) == []


def test_near_identical_disclaimers_group() -> None:
    texts = {1: "For more information, visit https://www.tokenring.ai/.", 2: "For more info visit https://x.io",
             3: "This content is intended for informational purposes only."}
    fp = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
    groups = block_groups(texts, fp, BoilerplateConfig())
    assert [g.blocks for g in groups] == [(1, 2)]


def test_seeds_templates_table_lists_the_stock_openings(seeds_out: Path) -> None:
    stock = {t["template"]: t for t in read_jsonl(seeds_out / "templates.jsonl") if t["kind"] == "stock-opening"}
    coming = stock["in the coming weeks and months {REST}"]
    assert coming["support"] >= 8 and coming["label"] == "content"
    assert json.loads((seeds_out / "summary.json").read_text())["counts"]["stock_openings"] >= 1
