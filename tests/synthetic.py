"""Small generated corpora with known answers, for oracle and property tests (no external data)."""

from __future__ import annotations

import json
import random
from pathlib import Path

VOCAB = [f"w{n:03d}" for n in range(600)]


def paragraph(rng: random.Random, words: int) -> str:
    """A sentence-like paragraph of random vocabulary words."""
    body = " ".join(rng.choice(VOCAB) for _ in range(words))
    return body[0].upper() + body[1:] + "."


def story(rng: random.Random, paragraphs: int = 5) -> list[str]:
    """A story: several paragraphs of 25-45 words."""
    return [paragraph(rng, rng.randint(25, 45)) for _ in range(paragraphs)]


def edit_words(rng: random.Random, text: str, rate: float) -> str:
    """Replace a share of the words of ``text``."""
    words = text.split()
    for i in range(len(words)):
        if rng.random() < rate:
            words[i] = rng.choice(VOCAB)
    return " ".join(words)


def corpus_records(seed: int, stories: int = 12) -> tuple[list[dict], dict[str, str]]:
    """JSONL records (with ids) of stories and their copies; returns records and id -> true story."""
    rng = random.Random(seed)
    records, truth = [], {}
    for s in range(stories):
        paras = story(rng, rng.randint(3, 7))
        variants = [paras]
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(["exact", "edit", "drop", "teaser"])
            if kind == "exact":
                variants.append(list(paras))
            elif kind == "edit":
                variants.append([edit_words(rng, p, 0.03) for p in paras])
            elif kind == "drop" and len(paras) > 3:
                variants.append(paras[:1] + paras[2:])
            else:
                variants.append(paras[:1])
        for v, paras_v in enumerate(variants):
            rid = f"s{s:02d}v{v}"
            truth[rid] = f"s{s:02d}"
            records.append({"id": rid, "title": f"Story {s} version {v}", "text": "\n\n".join(paras_v)})
    rng.shuffle(records)
    return records, truth


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records one per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
