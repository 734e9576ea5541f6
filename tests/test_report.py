"""report.html: built from a run whose titles, text, file names and JSONL fields carry XSS payloads.

The report must hold the payloads only as data inside its JSON island, run no script but its own (allowed by CSP
hashes), carry no event-handler attributes, be byte-identical when rebuilt, and fail with a message naming the
file when an output is missing or damaged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import pytest

from dedup import Config, run
from dedup.report import ReportError, build_report, island_json, word_diff

SCRIPT_PAYLOAD = "</script><script>alert(1)</script>"
IMG_PAYLOAD = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
LS = "\u2028"
RLO = "\u202e"
COMMENT = "<!--"
PAYLOADS = (SCRIPT_PAYLOAD, IMG_PAYLOAD, JS_URL, LS, RLO)

WORDS = ("market share price company report growth quarter investor board policy energy supply demand chip "
         "factory export order rate bank loan city council vote school water road plan budget tax court law "
         "study data model cloud service network power grid storm river farm crop harvest season team match "
         "player coach league record fans stadium ticket museum artist film music festival award novel author "
         "doctor hospital patient vaccine trial research engineer design launch rocket orbit station crew").split()


def paragraph(rng: random.Random, n: int) -> str:
    """A sentence-like paragraph of ``n`` words."""
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def story(rng: random.Random) -> list[str]:
    """Five paragraphs of 30-45 words."""
    return [paragraph(rng, rng.randint(30, 45)) for _ in range(5)]


def near(paragraphs: list[str], rng: random.Random) -> list[str]:
    """A near copy: a few words replaced, one paragraph dropped."""
    out = []
    for p in paragraphs[:-1]:
        words = p.split()
        for i in rng.sample(range(len(words)), 2):
            words[i] = "edited"
        out.append(" ".join(words))
    return out


DISCLAIMER = f"This content is for informational purposes only {SCRIPT_PAYLOAD} and is not financial advice."
PROMO = f"For more information, visit {JS_URL} or https://example.com/{IMG_PAYLOAD}"


def write_evil_inputs(folder: Path) -> list[Path]:
    """Inputs with payloads in file names, titles, text and JSONL fields; with exact and near copies."""
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    stories = [story(rng) for _ in range(4)]
    titles = [f"Title {SCRIPT_PAYLOAD} one", f"Title {IMG_PAYLOAD} two", f"Title {RLO}owt{LS}three",
              f"Title {COMMENT} four {JS_URL}"]
    records = []
    for i, (title, paras) in enumerate(zip(titles, stories)):
        text = "\n\n".join(paras + [DISCLAIMER, PROMO])
        records.append({"id": f"r{i}{IMG_PAYLOAD}", "title": title, "text": text, "url": JS_URL,
                        "author": SCRIPT_PAYLOAD})
    records.append({"id": "copy", "title": titles[0], "text": "\n\n".join(stories[0] + [DISCLAIMER, PROMO]),
                    "url": f"https://example.com/?q={SCRIPT_PAYLOAD}"})
    records.append({"id": "near", "title": titles[1] + " (updated)",
                    "text": "\n\n".join(near(stories[1], rng) + [DISCLAIMER]), "url": JS_URL})
    jsonl = folder / f"feed {IMG_PAYLOAD} {RLO}lmth.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    page = [f"{titles[2]}", "", *[p + "\n" for p in stories[2]], f"Line with {SCRIPT_PAYLOAD} and {LS} inside.", "",
            DISCLAIMER, "", PROMO, ""]
    txt = folder / f"page {IMG_PAYLOAD}.txt"
    txt.write_text("\n".join(page), encoding="utf-8")
    other = folder / f"{COMMENT}other.txt"
    other.write_text("\n".join([titles[3], "", *[p + "\n" for p in stories[3]], DISCLAIMER, "", PROMO, ""]),
                     encoding="utf-8")
    return [jsonl, txt, other]


@pytest.fixture(scope="module")
def evil_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Outputs and report of a run over the payload inputs (absolute input paths)."""
    base = tmp_path_factory.mktemp("evil")
    inputs = write_evil_inputs(base / "in")
    out = base / "out"
    run(inputs, out, Config())
    build_report(out)
    return out


@pytest.fixture(scope="module")
def html(evil_out: Path) -> str:
    return (evil_out / "report.html").read_text(encoding="utf-8")


class Parsed(HTMLParser):
    """Every start tag with its attributes, and the text of each <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open, self._text = (tag, dict(attrs)), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((self._open[1], text))
            else:
                self.styles.append(text)
            self._open = None


def parse(html_text: str) -> Parsed:
    parser = Parsed()
    parser.feed(html_text)
    parser.close()
    return parser


def island(html_text: str) -> str:
    """The raw text of the JSON data island."""
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', html_text, re.S)
    assert match, "no data island"
    return match.group(1)


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def test_only_the_reports_own_scripts(html: str) -> None:
    scripts = parse(html).scripts
    assert len(scripts) == 2, [a for a, _ in scripts]
    data_attrs, _ = scripts[0]
    assert data_attrs == {"type": "application/json", "id": "data"}
    app_attrs, app_text = scripts[1]
    assert app_attrs == {} and "JSON.parse" in app_text
    assert all("src" not in attrs for attrs, _ in scripts)


def test_no_event_handler_attributes_or_script_urls(html: str) -> None:
    for tag, attrs in parse(html).tags:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:text", "vbscript:")), (tag, attrs)


def test_csp_allows_exactly_the_inline_script_and_style(html: str) -> None:
    parsed = parse(html)
    metas = [a for t, a in parsed.tags if t == "meta" and (a.get("http-equiv") or "").lower() ==
             "content-security-policy"]
    assert len(metas) == 1
    policy = {d.split()[0]: d.split()[1:] for d in (metas[0]["content"] or "").split(";") if d.strip()}
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'none'"]
    assert policy["img-src"] == ["data:"]

    def source(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"

    assert policy["script-src"] == [source(parsed.scripts[1][1])]
    assert len(parsed.styles) == 1 and policy["style-src"] == [source(parsed.styles[0])]
    assert "unsafe-inline" not in metas[0]["content"] and "unsafe-eval" not in metas[0]["content"]
    assert html.index("Content-Security-Policy") < html.index("<style") < html.index("<script")


def test_payloads_are_data_inside_the_island(html: str) -> None:
    raw = island(html)
    for forbidden in ("<", ">", "&", LS, "\u2029"):
        assert forbidden not in raw
    data = json.loads(raw)
    found = list(strings(data))
    for payload in PAYLOADS:
        assert any(payload in s for s in found), payload
    assert any(COMMENT in s for s in found)
    rest = html.replace(raw, "")
    assert "<img" not in rest.lower()
    assert SCRIPT_PAYLOAD not in rest
    assert rest.lower().count("<script") == 2


def test_pages_text_and_diffs_are_embedded(evil_out: Path, html: str) -> None:
    data = json.loads(island(html))
    cols = {name: {c: i for i, c in enumerate(v)} for name, v in data["cols"].items()}
    statuses = [p[cols["pages"]["status"]] for p in data["pages"]]
    assert statuses and set(statuses) == {"ok"}, [p[cols["pages"]["note"]] for p in data["pages"]]
    occ = data["occurrences"]
    diffs = [o[cols["occurrences"]["diff"]] for o in occ if o[cols["occurrences"]["match"]] == "near"]
    if diffs:  # the pipeline found the near copy: its diff marks the edited words
        assert any(seg[0] in "~-+" for d in diffs if d for seg in d)
    assert len(data["stories"]) == len((evil_out / "corpus.jsonl").read_text(encoding="utf-8").strip().split("\n"))


def test_rebuild_is_byte_identical(evil_out: Path) -> None:
    first = (evil_out / "report.html").read_bytes()
    build_report(evil_out)
    assert (evil_out / "report.html").read_bytes() == first
    assert not list(evil_out.glob(".report-*"))


def test_missing_corpus_names_the_file(evil_out: Path, tmp_path: Path) -> None:
    broken = tmp_path / "out"
    shutil.copytree(evil_out, broken)
    (broken / "corpus.jsonl").unlink()
    with pytest.raises(ReportError, match=r"corpus\.jsonl: missing") as err:
        build_report(broken)
    assert isinstance(err.value, ValueError)
    assert not (broken / "report.html").exists() or (broken / "report.html").read_bytes() == (
        evil_out / "report.html").read_bytes()


def test_damaged_row_names_file_and_line(evil_out: Path, tmp_path: Path) -> None:
    broken = tmp_path / "out"
    shutil.copytree(evil_out, broken)
    lines = (broken / "blocks.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = "{not json\n"
    (broken / "blocks.jsonl").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ReportError, match=r"blocks\.jsonl: its SHA-256 differs"):
        build_report(broken)
    summary = json.loads((broken / "summary.json").read_text(encoding="utf-8"))
    del summary["files"]
    (broken / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(ReportError, match=r"blocks\.jsonl:3: not valid JSON"):
        build_report(broken)


def test_missing_or_changed_input_shows_page_unavailable(tmp_path: Path) -> None:
    inputs = write_evil_inputs(tmp_path / "in")
    out = tmp_path / "out"
    run(inputs, out, Config())
    inputs[1].unlink()
    text = inputs[2].read_text(encoding="utf-8").replace("Title", "Changed title\n\nTitle", 1)
    inputs[2].write_text(text, encoding="utf-8")
    data = json.loads(island(build_report(out).read_text(encoding="utf-8")))
    cols = {c: i for i, c in enumerate(data["cols"]["pages"])}
    status = {data["sources"][p[cols["source"]]][0]: (p[cols["status"]], p[cols["note"]]) for p in data["pages"]
              if p[cols["record"]] is None}
    assert status[inputs[1].as_posix()][0] == "missing" and "not found" in status[inputs[1].as_posix()][1]
    assert status[inputs[2].as_posix()][0] == "changed" and "changed since the run" in status[inputs[2].as_posix()][1]
    pages = [p for p in data["pages"] if p[cols["status"]] != "ok"]
    assert all(p[cols["lines"]] is None and p[cols["blocks"]] for p in pages)
    occ_cols = {c: i for i, c in enumerate(data["cols"]["occurrences"])}
    story_cols = {c: i for i, c in enumerate(data["cols"]["stories"])}
    hidden = {data["pages"].index(p) for p in pages}
    for story in data["stories"]:  # a story whose canonical page cannot be shown carries its corpus text
        canonical = data["occurrences"][story[story_cols["occurrences"]][0]]
        if canonical[occ_cols["page"]] in hidden:
            assert story[story_cols["text"]] >= 0


def test_text_budget_keeps_line_labels_but_not_text(evil_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(evil_out, out)
    data = json.loads(island(build_report(out, max_text_bytes=1500).read_text(encoding="utf-8")))
    cols = {c: i for i, c in enumerate(data["cols"]["pages"])}
    omitted = [p for p in data["pages"] if p[cols["status"]] == "omitted"]
    assert omitted and all(p[cols["lines"]] is None and "max_text_bytes" in p[cols["note"]] for p in omitted)
    assert all(p[cols["blocks"]] for p in omitted)
    assert sum(len(s.encode("utf-8")) for s in data["strings"]) < 6000


def test_templates_file_is_shown_when_present(evil_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(evil_out, out)
    row = {"template_id": "t-1", "template": f"Shares of {{COMPANY}} rose {{PCT}} {SCRIPT_PAYLOAD}", "kind": "promo",
           "support": 2, "occurrences": [{"path": "x.txt", "record": None, "start_line": 3,
                                          "slots": {"COMPANY": IMG_PAYLOAD, "PCT": "5%"}}]}
    (out / "templates.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary.setdefault("files", {})["templates.jsonl"] = hashlib.sha256((out / "templates.jsonl").read_bytes()).hexdigest()
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    data = json.loads(island(build_report(out).read_text(encoding="utf-8")))
    assert data["templates"][0][0] == "t-1" and data["overview"]["templates"] == 1
    assert data["templates"][0][4][0][2] == {"COMPANY": IMG_PAYLOAD, "PCT": "5%"}


def test_island_json_escapes_script_breakers() -> None:
    text = str(island_json({"k": f"{SCRIPT_PAYLOAD}{COMMENT}{LS}\u2029&'"}))
    assert not set("<>&'\u2028\u2029") & set(text)
    assert json.loads(text) == {"k": f"{SCRIPT_PAYLOAD}{COMMENT}{LS}\u2029&'"}


def test_word_diff_marks_edits_and_elides_long_equal_runs() -> None:
    a = [f"w{i}" for i in range(60)]
    b = a[:10] + ["new"] + a[11:50] + a[52:] + ["tail"]
    segs = word_diff(a, b, context=5)
    tags = [s[0] for s in segs]
    assert tags == ["=", "~", "=", "-", "=", "+"]
    assert segs[2] == ["=", "w11 w12 w13 w14 w15", 29, "w45 w46 w47 w48 w49"]


def test_pages_from_format_readers_are_omitted_not_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTML and feed pages are not re-extracted by the report: their view says so, and never claims a change."""
    fixtures = Path(__file__).parent / "fixtures" / "formats"
    monkeypatch.chdir(fixtures)
    run([Path("tagpage_html"), Path("feeds/harbor.rss"), Path("tagpage_txt")], tmp_path / "out", Config())
    data = json.loads(island((tmp_path / "out" / "report.html").read_text(encoding="utf-8")))
    cols = {c: i for i, c in enumerate(data["cols"]["pages"])}
    path_col = data["cols"]["sources"].index("path")
    status: dict[str, set[tuple[str, bool]]] = {}
    for p in data["pages"]:
        path = data["sources"][p[cols["source"]]][path_col]
        status.setdefault(Path(path).suffix, set()).add((p[cols["status"]], p[cols["lines"]] is None))
    assert status[".html"] == {("omitted", True)} and status[".rss"] == {("omitted", True)}
    assert status[".txt"] == {("ok", False)}
    notes = [p[cols["note"]] for p in data["pages"] if p[cols["status"]] == "omitted"]
    assert all("original file" in n and "changed" not in n for n in notes)


def test_readability_is_scored_for_the_sources_with_most_articles_when_there_are_too_many(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``READABILITY_MAX_SOURCES`` only the sources with the most articles (paths in order among equals) are
    scored; the others keep their counts and show no score, and the note says how many were scored."""
    from dedup.report import stats

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    run([seeds], tmp_path / "out", Config(), report=False)
    occurrences = [json.loads(line) for line in (tmp_path / "out" / "occurrences.jsonl").open(encoding="utf-8")]
    articles: dict[str, int] = {}
    for row in occurrences:
        articles[row["path"]] = articles.get(row["path"], 0) + 1
    expected = sorted(articles, key=lambda p: (-articles[p], p))[:2]
    monkeypatch.setattr(stats, "READABILITY_MAX_SOURCES", 2)
    build_report(tmp_path / "out")
    data = json.loads(island((tmp_path / "out" / "report.html").read_text(encoding="utf-8")))
    cols = data["cols"]["sources"]
    rows = [dict(zip(cols, row)) for row in data["sources"]]
    assert len(rows) == len(articles) == 5
    assert sorted(r["path"] for r in rows if r["flesch"] is not None) == sorted(expected)
    assert all(r["words"] == 0 and r["grade"] is None for r in rows if r["path"] not in expected)
    assert {r["path"]: r["articles"] for r in rows} == articles
    assert "scored for the 2 sources with the most articles, of 5" in data["meta"]["readability"]


def test_the_cmu_dictionary_is_found_where_nltk_looks_for_it(tmp_path: Path) -> None:
    from dedup.report.stats import has_cmudict

    (tmp_path / "a" / "corpora").mkdir(parents=True)
    (tmp_path / "b" / "corpora" / "cmudict").mkdir(parents=True)
    (tmp_path / "c" / "corpora").mkdir(parents=True)
    (tmp_path / "c" / "corpora" / "cmudict.zip").write_bytes(b"PK")
    assert not has_cmudict([str(tmp_path / "a"), str(tmp_path / "missing"), None])
    assert has_cmudict([str(tmp_path / "a"), str(tmp_path / "b")])
    assert has_cmudict([str(tmp_path / "c")])


def test_building_the_report_leaves_its_data_to_reference_counting(tmp_path: Path) -> None:
    """Nothing the report builds is kept in a reference cycle (which held the whole data of a 100k-article report
    until the cyclic collector walked it): with the collector paused, none of its pages is left for it."""
    import gc

    from dedup.report import PageSource, stats

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    run([seeds], tmp_path / "out", Config(), report=False)
    stats.readability_method.cache_clear()  # its first call looked the dictionary up through nltk
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        build_report(tmp_path / "out")
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, PageSource)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert left == []


def page_status(report: Path) -> dict[str, tuple[str, str | None]]:
    """Status and note of each whole-file page of a report, by input path."""
    data = json.loads(island(report.read_text(encoding="utf-8")))
    cols = {c: i for i, c in enumerate(data["cols"]["pages"])}
    path_col = data["cols"]["sources"].index("path")
    return {data["sources"][p[cols["source"]]][path_col]: (p[cols["status"]], p[cols["note"]])
            for p in data["pages"] if p[cols["record"]] is None}


def test_pages_are_checked_line_by_line_where_the_run_recorded_no_input_hash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with the SHA-256 the run recorded holds the pages the run read, and is not checked again; a file
    without one (the run capped one of its lines) is: text changed in place marks its canonical page changed."""
    from dedup.report import pages as report_pages

    inputs = write_evil_inputs(tmp_path / "in")
    out = tmp_path / "out"
    run(inputs, out, Config(), report=False)
    checked: list[int] = []
    real = report_pages.check_page
    monkeypatch.setattr(report_pages, "check_page",
                        lambda lines, blocks: checked.append(len(lines)) or real(lines, blocks))
    assert {status for status, _ in page_status(build_report(out)).values()} == {"ok"}
    assert checked == []
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    del summary["inputs"]["sha256"]
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    assert {status for status, _ in page_status(build_report(out)).values()} == {"ok"}
    assert len(checked) == len(inputs) - 1 + 6  # two text pages, six JSONL records
    other = inputs[2]
    other.write_text(other.read_text(encoding="utf-8").replace("e", "E"), encoding="utf-8")
    status, note = page_status(build_report(out))[other.as_posix()]
    assert status == "changed" and note is not None and "differs from corpus.jsonl" in note


def test_readability_scored_by_a_process_of_its_own_is_the_same(evil_out: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Large runs score readability in a second process and compute the near copies' word diffs in a third: the
    scores and diffs, and so the report's bytes, are those made in the report's own process (the fixture has a
    near copy with a diff); the processes are gone when the report is built or fails."""
    import multiprocessing

    import dedup.report as report
    from dedup.report.stats import Readability

    samples = {"a.txt": "The council approved the budget on Monday. Critics said it was rushed.",
               "b.txt": "Shares rose. " * 40}
    assert Readability(workers=2).scores(samples) == Readability(workers=1).scores(samples)
    assert Readability(workers=2).scores({})[1] == {}
    out = tmp_path / "out"
    shutil.copytree(evil_out, out)
    single = build_report(out, workers=1).read_bytes()
    monkeypatch.setattr(report, "PROCESS_MIN_ARTICLES", 0)
    assert build_report(out, workers=2).read_bytes() == single
    (out / "corpus.jsonl").unlink()
    with pytest.raises(ReportError):
        build_report(out, workers=2)
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_lets_its_results_go_before_it_builds_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               workers: int) -> None:
    """`dedup run` builds the report once the rows are written; by then the run's results (corpus, notes,
    contents: most of its memory) are let go, so the two do not peak together."""
    import gc

    import dedup.report as report
    from dedup.pipeline import Result
    from dedup.records import Corpus

    alive: list[str] = []
    real = report.build_report

    def build(staging: Path, **options: Any) -> Path:
        alive.extend(type(o).__name__ for o in gc.get_objects() if isinstance(o, (Result, Corpus)))
        return real(staging, **options)

    monkeypatch.setattr(report, "build_report", build)
    run(write_evil_inputs(tmp_path / "in"), tmp_path / "out", Config(), workers=workers)
    assert (tmp_path / "out" / "report.html").is_file() and alive == []


def test_the_report_benchmark_times_a_real_runs_outputs(evil_out: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.report_size import main

    out = tmp_path / "out"
    shutil.copytree(evil_out, out)
    (out / "report.html").unlink()
    assert main(["--outputs", str(out), "--no-browser"]) == 0
    row = capsys.readouterr().out.strip().splitlines()[-1].split("|")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert int(row[1]) == summary["counts"]["occurrences"] and int(row[2]) == summary["counts"]["pages"]
    assert (out / "report.html").read_bytes() == (evil_out / "report.html").read_bytes()


def test_readability_is_scored_here_when_no_process_can_start(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.context

    from dedup.report.stats import Readability

    def refuse(self: Any) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkServerProcess, "start", refuse)
    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refuse)
    samples = {"a.txt": "The council approved the budget on Monday. Critics said it was rushed."}
    assert Readability(workers=2).scores(samples) == Readability(workers=1).scores(samples)


@pytest.mark.parametrize("row, message", [
    ({"path": "a.txt", "start_line": 1, "end_line": 2}, r"blocks\.jsonl:2: field 'label' is missing"),
    ({"path": "a.txt", "start_line": 3, "end_line": 2, "label": "content"},
     r"blocks\.jsonl:2: start_line 3 and end_line 2 must be line numbers"),
    ({"path": "a.txt", "start_line": True, "end_line": 2, "label": "content"},
     r"blocks\.jsonl:2: start_line True and end_line 2 must be line numbers"),
    ({"path": 7, "start_line": 1, "end_line": 2, "label": "content"},
     r"blocks\.jsonl:2: field 'path' must be a string, got 7"),
    ([1, 2], r"blocks\.jsonl:2: expected a JSON object, got list"),
])
def test_each_output_row_is_checked_and_a_bad_one_named_by_file_and_line(tmp_path: Path, row: Any,
                                                                         message: str) -> None:
    from dedup.report.outputs import read_rows

    good = {"path": "a.txt", "start_line": 1, "end_line": 1, "label": "content"}
    path = tmp_path / "blocks.jsonl"
    path.write_text(f"{json.dumps(good)}\n{json.dumps(row)}\n\n", encoding="utf-8")
    with pytest.raises(ReportError, match=message):
        read_rows(path)
    path.write_text(f"{json.dumps(good)}\n\n  \n{json.dumps(good)}\n", encoding="utf-8")
    assert read_rows(path) == [good, good]


@pytest.mark.parametrize("chars", [1, 40, 1 << 22])
def test_rows_parsed_a_piece_at_a_time_are_the_rows_of_each_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 chars: int) -> None:
    """Output rows are parsed a few MB of lines at a time: the same objects as one json.loads per line, however
    the pieces fall; a piece with a blank or bad line is read line by line, and the bad line is named."""
    from dedup.report import outputs

    monkeypatch.setattr(outputs, "PARSE_CHARS", chars)
    rng = random.Random(chars)
    rows = [{"path": f"p{n % 3}.txt", "start_line": n + 1, "end_line": n + 1 + rng.randint(0, 2),
             "label": rng.choice(["content", "boilerplate"]), "kind": rng.choice([None, "title", "é \u2028 ✓"])}
            for n in range(200)]
    lines = [json.dumps(row, ensure_ascii=rng.random() < 0.5) + "\n" for row in rows]
    path = tmp_path / "blocks.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    assert outputs.read_rows(path) == [json.loads(line) for line in lines]
    path.write_text("".join(lines[:50]) + "\n" + "".join(lines[50:]) + "\n", encoding="utf-8")
    assert outputs.read_rows(path) == rows
    for bad, message in [("{not json\n", "not valid JSON"), ('{"path": "a.txt"}\n', "field 'start_line'"),
                         (lines[3].rstrip("\n") + ", " + lines[4], "not valid JSON")]:  # two rows on a line
        at = rng.randint(1, 199)
        path.write_text("".join(lines[:at]) + bad + "".join(lines[at + 1:]), encoding="utf-8")
        with pytest.raises(ReportError, match=rf"blocks\.jsonl:{at + 1}: .*{re.escape(message)}"):
            outputs.read_rows(path)


def test_the_island_written_in_pieces_is_the_island() -> None:
    """The data island is written a slice of each long list at a time: the pieces join to exactly
    ``island_json`` of the whole, wherever the slices end (escaped text, nested lists, empty and short lists)."""
    from dedup.report.render import island_pieces

    rng = random.Random(5)
    texts = [SCRIPT_PAYLOAD, IMG_PAYLOAD, LS, "\u2029", "&'", "plain", "", "é"]
    data = {"strings": [rng.choice(texts) + str(n) for n in range(23)], "empty": [], "one": [1],
            "pages": [[n, None, [n, n + 1], rng.choice(texts)] for n in range(9)], "format": 1,
            "meta": {"b": [1, 2, 3], "a": "x</script>"}}
    whole = str(island_json(data))
    for items in range(1, 12):
        assert "".join(island_pieces(data, items)) == whole
    assert "<" not in whole and "\u2028" not in whole


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_input_lines_are_found_by_number_as_split_lines_numbers_them(tmp_path: Path, chunk: int,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The report looks JSONL records up by line number without splitting the whole file, in a decoded text or
    in the file read again a piece at a time (pieces of ``chunk`` bytes and more): the line, or None past the
    last, as ``split_lines`` gives it, in any order of asking (\\r, \\r\\n, blank lines, no last line end)."""
    from dedup import ingest
    from dedup.ingest import split_lines
    from dedup.report.pages import LineCursor, PieceCursor

    monkeypatch.setattr(ingest, "STREAM_CHUNK", chunk)
    rng = random.Random(11)
    path = tmp_path / "lines.jsonl"
    for case in range(300):
        text = "".join(rng.choice(["a", "bc", "\n", "\r\n", "\r", " ", "\u2028", "\x0b", "\u00e9"])
                       for _ in range(rng.randint(0, 12)))
        lines = split_lines(text)
        path.write_bytes(text.encode("utf-8"))
        for cursor in (LineCursor(text), PieceCursor(path, None)):
            numbers = list(range(1, len(lines) + 3))
            for number in numbers + rng.sample(numbers, len(numbers)):
                assert cursor.line(number) == (lines[number - 1] if number <= len(lines) else None), (text, number)
            assert cursor.lines() == lines


def test_the_fabricated_outputs_record_their_input_files_as_a_run_does(tmp_path: Path) -> None:
    """The report benchmark's fabricated summary.json lists each input page file with its SHA-256, as a run's
    does, so that the report reads them as a real run's report would (without checking each line again)."""
    from benchmarks.report_size import fabricate

    fabricate(tmp_path, tmp_path / "out", 40, 1)
    inputs = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["inputs"]
    assert len(inputs["files"]) > 1
    assert inputs["sha256"] == {f: hashlib.sha256((tmp_path / f).read_bytes()).hexdigest() for f in inputs["files"]}
