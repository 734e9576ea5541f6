"""Report size and speed at scale: fabricate the output files of a run over N articles, build report.html, time it.

No pipeline run: the outputs (corpus, occurrences, blocks, groups, templates, summary) are written directly for
synthetic feed pages that are also written to a temp input folder, so the page view has real files to re-read.
About 25% of articles are copies (half exact, half near: a few words replaced, a paragraph dropped), about 15% of
lines are boilerplate (site navigation, disclaimers, promos), 5% of articles carry a templated line, and pages
hold three articles in about 40 lines. With Chromium installed it also loads the report headless from file:// and
reads DOMContentLoaded, first contentful paint and the moment the script has parsed the data and rendered.

    python -m benchmarks.report_size --articles 20000
    python -m benchmarks.report_size --outputs OUT --inputs-root DIR   # the report of a real run, rebuilt in place
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dedup.config import Config
from dedup.report import build_report

COPY_SHARE = 0.25
TEMPLATE_SHARE = 0.05
ARTICLES_PER_PAGE = 3
SITES = 8
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

WORDS = """the of and to in a is that for it as was with be by on not he this are or his from at which but have an
they you were her she there been one all we their has would when if so what out up who them some could him into its
then two more these time no way new people only than first over other well also any after our most work year years
market company government report price shares state city officials week percent million billion growth energy
policy plan board public data research school water power service network bank court police health team season
local national economic industry production investors analysts quarter results sales demand supply prices costs
rates program project system support families council leaders president minister agency region country world
according said told added expected announced reported increased decreased continued began remained reached
include including between during against under while before since through because however although despite
early late major recent former current global federal regional financial political social technical new old
strong weak high low large small long short significant critical important key main""".split()
FIRST = "Alex Maria Chen Fatima Jonas Priya Lucas Amara Diego Ingrid Kenji Sofia".split()
COMPANIES = "Acme Globex Initech Umbrella Soylent Hooli Vandelay Stark Wayne Tyrell Cyberdyne Wonka".split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))


def title(rng: random.Random, n: int) -> str:
    return f"{rng.choice(COMPANIES)} {' '.join(rng.choice(WORDS) for _ in range(rng.randint(4, 8)))} ({n})".title()


def near_copy(paras: list[str], rng: random.Random) -> list[str]:
    """A few words replaced; the last paragraph dropped when there are more than three."""
    out = []
    for p in paras[:-1] if len(paras) > 3 else paras:
        words = p.split()
        for i in rng.sample(range(len(words)), min(3, len(words))):
            words[i] = rng.choice(WORDS)
        out.append(" ".join(words))
    return out


@dataclass
class Story:
    cluster_id: str
    title: str
    paragraphs: list[str]
    copies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Fabric:
    """All output rows, gathered while the pages are laid out."""

    occurrences: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[dict[str, Any]] = field(default_factory=list)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)  # of each input page file, as a run records it


def _group(fab: Fabric, gid: str, text: str, label: str, kind: str | None, path: str, line: int, site: int) -> None:
    g = fab.groups.setdefault(gid, {"group_id": gid, "representative": text, "label": label, "kind": kind,
                                    "support": 0, "blocks": 0, "wordings": 1, "sites": set(), "places": []})
    g["blocks"] += 1
    g["support"] += 1
    g["sites"].add(site)
    g["places"].append((path, line))


def fabricate(root: Path, out: Path, articles: int, seed: int) -> dict[str, int]:
    """Write input pages under ``root/input`` and a full set of output files into ``out``."""
    rng = random.Random(seed)
    n_copies = int(articles * COPY_SHARE)
    stories = [Story(f"c-{i:012x}", title(rng, i), [paragraph(rng) for _ in range(rng.randint(3, 5))])
               for i in range(articles - n_copies)]
    slots: list[tuple[Story, str]] = [(s, "canonical") for s in stories]
    for _ in range(n_copies):
        slots.append((rng.choice(stories), rng.choice(("exact", "near"))))
    rng.shuffle(slots)
    # The canonical copy must come first in input order within its story: place canonicals by first appearance.
    seen: set[str] = set()
    ordered = []
    for story, kind in slots:
        if story.cluster_id not in seen:
            seen.add(story.cluster_id)
            ordered.append((story, "canonical"))
        else:
            ordered.append((story, kind if kind != "canonical" else "exact"))
    fab = Fabric()
    for page_no in range(0, len(ordered), ARTICLES_PER_PAGE):
        _write_page(root, fab, ordered[page_no:page_no + ARTICLES_PER_PAGE], page_no // ARTICLES_PER_PAGE, rng)
    return _write_outputs(out, fab, stories)


def _write_page(root: Path, fab: Fabric, items: list[tuple[Story, str]], page_no: int, rng: random.Random) -> None:
    site = page_no % SITES
    path = f"input/site-{site}/page-{page_no:06d}.txt"
    fab.files.append(path)
    lines: list[str] = []

    def block(text: str, label: str, kind: str | None, occ: str | None, reason: str | None, gid: str | None = None,
              support: int = 1) -> int:
        lines.append(text)
        n = len(lines)
        fab.blocks.append({"path": path, "record": None, "start_line": n, "end_line": n, "occurrence_id": occ,
                           "label": label, "kind": kind, "group_id": gid, "support": support, "reason": reason})
        lines.append("")
        return n

    nav = f"Home | World | Business | Site {site} Tech | Contact"
    n = block(nav, "boilerplate", "navigation", None, "page chrome (navigation) outside any article", f"g-nav{site}")
    _group(fab, f"g-nav{site}", nav, "boilerplate", "navigation", path, n, site)
    for story, kind in items:
        occ_id = "o-" + hashlib.sha1(f"{path}\0{len(lines) + 1}".encode()).hexdigest()[:16]
        start = len(lines) + 1
        block(f"\u2022 {story.title}", "content", "title", occ_id, "headline of the article (kept as its title)")
        block(story.title, "duplicate-title", "title", occ_id, "the headline printed again")
        paras = story.paragraphs if kind != "near" else near_copy(story.paragraphs, rng)
        for i, para in enumerate(paras):
            gid = f"g-{story.cluster_id[2:]}-{i}" if kind == "exact" else None
            n = block(para, "content", None, occ_id, None, gid)
            if gid:
                _group(fab, gid, para, "content", None, path, n, site)
        if rng.random() < TEMPLATE_SHARE:
            company, pct = rng.choice(COMPANIES), f"{rng.randint(1, 30)}%"
            n = block(f"Shares of {company} rose {pct} in early trading.", "template", "template", occ_id,
                      "templated line shared by 3 or more stories", None, 3)
            t = fab.templates.setdefault("t-shares", {"template_id": "t-shares", "kind": "template",
                                                      "label": "template", "support": 0, "occurrences": [],
                                                      "template": "Shares of {COMPANY} rose {PCT} in early trading."})
            t["support"] += 1
            t["occurrences"].append({"path": path, "record": None, "start_line": n, "end_line": n,
                                     "slots": {"COMPANY": company, "PCT": pct}})
        if rng.random() < 0.5:
            text = (f"This article is for informational purposes only (site {site}).", "disclaimer",
                    f"g-disc{site}")
        else:
            text = (f"Subscribe to the Site {site} newsletter at https://site{site}.example.com/newsletter.", "promo",
                    f"g-promo{site}")
        n = block(text[0], "boilerplate", text[1], occ_id, "shared by many different stories", text[2], 50)
        _group(fab, text[2], text[0], "boilerplate", text[1], path, n, site)
        end = len(lines) - 1
        story.copies.append({"occurrence_id": occ_id, "path": path, "start_line": start, "end_line": end,
                             "kind": kind, "title": story.title, "words": sum(len(p.split()) for p in paras)})
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    target.write_bytes(data)
    fab.sha256[path] = hashlib.sha256(data).hexdigest()


def _write_outputs(out: Path, fab: Fabric, stories: list[Story]) -> dict[str, int]:
    """corpus, occurrences, blocks, groups, templates and summary.json with SHA-256 of each file."""
    corpus = []
    for s in stories:
        canon = s.copies[0]
        corpus.append({"id": "d-" + s.cluster_id[2:], "title": s.title, "text": "\n\n".join(s.paragraphs),
                       "cluster_id": s.cluster_id, "copies": len(s.copies),
                       "sources": [{"path": c["path"], "start_line": c["start_line"], "end_line": c["end_line"]}
                                   for c in s.copies]})
        for c in s.copies:
            sim = 1.0 if c["kind"] != "near" else round(0.78 + 0.002 * (int(c["occurrence_id"][2:], 16) % 100), 4)
            match = ("unique" if len(s.copies) == 1 else "exact") if c is canon else c["kind"]
            fab.occurrences.append({"occurrence_id": c["occurrence_id"], "path": c["path"], "record": None,
                                    "start_line": c["start_line"], "end_line": c["end_line"], "title": c["title"],
                                    "cluster_id": s.cluster_id, "canonical": c is canon,
                                    "similarity": 1.0 if c is canon else sim, "match": match, "words": c["words"]})
    fab.occurrences.sort(key=lambda r: (r["path"], r["start_line"]))
    fab.blocks.sort(key=lambda r: (r["path"], r["start_line"]))
    groups = []
    for g in fab.groups.values():
        places = sorted(g.pop("places"))
        g["sites"] = len(g["sites"])
        g["first"] = {"path": places[0][0], "record": None, "start_line": places[0][1]}
        g["last"] = {"path": places[-1][0], "record": None, "start_line": places[-1][1]}
        groups.append(g)
    groups.sort(key=lambda g: (-g["support"], g["group_id"]))
    rows = {"corpus.jsonl": corpus, "occurrences.jsonl": fab.occurrences, "blocks.jsonl": fab.blocks,
            "groups.jsonl": groups, "templates.jsonl": list(fab.templates.values())}
    out.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, items in rows.items():
        data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n" for r in items)
        (out / name).write_text(data, encoding="utf-8")
        hashes[name] = hashlib.sha256(data.encode("utf-8")).hexdigest()
    lines: dict[str, int] = {}
    for b in fab.blocks:
        lines[b["label"]] = lines.get(b["label"], 0) + 1
    matches = [o["match"] for o in fab.occurrences if not o["canonical"]]
    counts = {"files": len(fab.files), "pages": len(fab.files), "occurrences": len(fab.occurrences),
              "stories": len(corpus), "exact_copies": matches.count("exact"), "near_copies": matches.count("near"),
              "blocks": len(fab.blocks), "groups": len(groups), "lines": dict(sorted(lines.items())), "skipped": 0}
    summary = {"schema_version": 1, "counts": counts, "config": Config().to_dict(),
               "canonical_rule": "synthetic: the first copy in input order", "versions": {"benchmark": "1"},
               "inputs": {"files": sorted(fab.files), "encodings": {f: "utf-8" for f in sorted(fab.files)},
                          "sha256": dict(sorted(fab.sha256.items()))},
               "skipped": [], "timings": {}, "files": hashes}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return counts


def browser_timings(report: Path) -> dict[str, float] | None:
    """Seconds to DOMContentLoaded, first contentful paint and script-ready in headless Chromium, or None."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return None
    profile = tempfile.mkdtemp(prefix="dedup-bench-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(300)
        driver.get(report.resolve().as_uri())
        end = time.monotonic() + 120
        while time.monotonic() < end and not driver.execute_script(
                "return document.documentElement.dataset.ready === '1'"):
            time.sleep(0.05)
        t = driver.execute_script("""
            const nav = performance.getEntriesByType('navigation')[0];
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            const ready = performance.getEntriesByName('dedup-ready')[0];
            return {dcl: nav.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : null,
                    ready: ready ? ready.startTime : null};""")
        start = time.perf_counter()
        driver.execute_script("location.hash = 'stories'")
        driver.execute_script("return document.querySelectorAll('table.stories tbody tr').length")
        t["stories"] = (time.perf_counter() - start) * 1000
        return {k: round(v / 1000, 2) for k, v in t.items() if v is not None}
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write inputs and outputs here and keep them")
    parser.add_argument("--outputs", type=Path, help="time the report of this run's output folder instead of "
                        "fabricated outputs (report.html is rebuilt there, as `dedup report DIR` does)")
    parser.add_argument("--inputs-root", type=Path, default=Path("."),
                        help="with --outputs: the folder the run was started in (default: here)")
    parser.add_argument("--no-browser", action="store_true", help="skip the headless-Chromium timings")
    args = parser.parse_args(argv)
    if args.outputs is not None:
        return time_run_report(args.outputs, args.inputs_root, browser=not args.no_browser)
    root = args.keep or Path(tempfile.mkdtemp(prefix="dedup-report-bench-"))
    try:
        start = time.perf_counter()
        counts = fabricate(root, root / "out", args.articles, args.seed)
        made = time.perf_counter() - start
        start = time.perf_counter()
        report = build_report(root / "out", inputs_root=root)
        build = time.perf_counter() - start
        size = report.stat().st_size / 1e6
        print(f"fabricated {counts['occurrences']} articles, {counts['stories']} stories, {counts['pages']} pages, "
              f"{counts['blocks']} blocks in {made:.1f}s", file=sys.stderr)
        browser = browser_timings(report)
        dcl = f"{browser['dcl']:.2f}" if browser and "dcl" in browser else "n/a"
        fcp = f"{browser['fcp']:.2f}" if browser and "fcp" in browser else "n/a"
        ready = f"{browser['ready']:.2f}" if browser and "ready" in browser else "n/a"
        print("| articles | pages | report.html (MB) | build (s) | DOMContentLoaded (s) | first paint (s) "
              "| interactive (s) |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {counts['occurrences']} | {counts['pages']} | {size:.1f} | {build:.1f} | {dcl} | {fcp} | {ready} |")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def time_run_report(out: Path, inputs_root: Path, browser: bool = True) -> int:
    """Build the report of an existing run's outputs in place and print its row (with the CPU time of this
    process, which a slower host raises while the work stays the same)."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    counts = summary.get("counts", {})
    start, cpu = time.perf_counter(), time.process_time()
    report = build_report(out, inputs_root=inputs_root)
    build, cpu = time.perf_counter() - start, time.process_time() - cpu
    timings = browser_timings(report) if browser else None
    shown = {key: f"{timings[key]:.2f}" if timings and key in timings else "n/a" for key in ("dcl", "fcp", "ready")}
    print("| articles | pages | report.html (MB) | build (s) | build CPU, this process (s) | DOMContentLoaded (s) "
          "| first paint (s) | interactive (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {counts.get('occurrences')} | {counts.get('pages')} | {report.stat().st_size / 1e6:.1f} | {build:.1f} "
          f"| {cpu:.1f} | {shown['dcl']} | {shown['fcp']} | {shown['ready']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
