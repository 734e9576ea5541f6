"""Readers for HTML, RSS/Atom, WARC, CSV/TSV and Parquet (stage 1, ingest): pages with provenance into the file.

Fixtures under tests/fixtures/formats are small files written for these tests: two tag pages as text and as HTML
(nav, sidebar, footer, scripts), RSS and Atom feeds (one broken, one .xml sniffed, one .xml that is no feed),
a WARC crawl (HTML, CSS, redirect, a cp1252 page) and CSV/TSV tables with multi-line quoted fields. Larger or
binary variants (200 KB CSV field, Parquet, .warc.gz, truncated archives) are made from them in the tests.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import sys
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from conftest import read_jsonl
from dedup import Config, run
from dedup import formats
from dedup.blocks import split_blocks
from dedup.chrome import strip_bullet
from dedup.ingest import read_inputs
from dedup.records import Corpus

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
SUFFIXES = (".html", ".htm", ".xml", ".rss", ".atom", ".warc", ".warc.gz", ".csv", ".tsv", ".parquet")


def config() -> Config:
    """The default config, its ingest suffixes completed with every reader's (when the defaults lack some)."""
    base = Config()
    missing = [s for s in SUFFIXES if s not in base.ingest.suffixes]
    if not missing:
        return base
    return Config.from_dict({"ingest": {"suffixes": list(base.ingest.suffixes) + missing}})


def read(*paths: Path) -> Corpus:
    """Ingest the paths and cut the pages into blocks, as a run does before segmenting."""
    corpus = read_inputs(list(paths), config().ingest)
    for page in corpus.pages:
        corpus.blocks.extend(split_blocks(page, len(corpus.blocks), config().segment))
    return corpus


def visible(markup: str) -> str:
    """A raw line as text: tags dropped and entities decoded, twice (feeds carry escaped HTML)."""
    text = markup
    for _ in range(2):
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    return " ".join(text.split())


def starts_on(text: str, raw_line: str) -> bool:
    """Whether a block's text (bullet dropped) starts on this raw line: its first words appear there in order
    (compared without spaces or punctuation, as inline tags join words).

    A "Home | News | ..." menu rendered from one link per source line only needs its first item there.
    """
    words = re.findall(r"\w+", strip_bullet(text)[0])
    need = "".join(words[:1] if " | " in text else words[:2])
    return bool(need) and need in "".join(re.findall(r"\w+", visible(raw_line)))


def file_lines(path: Path, encoding: str = "utf-8") -> list[str]:
    """Lines as Python's text mode reads them (universal newlines)."""
    with open(path, encoding=encoding, newline=None) as fh:
        return fh.read().split("\n")


def assert_blocks_on_their_lines(corpus: Corpus, raw_of: Any) -> int:
    """Every block's mapped start line holds the start of its text; returns how many blocks were checked."""
    checked = 0
    for block in corpus.blocks:
        page = corpus.pages[block.page]
        raw = raw_of(page)
        line = page.source_line(block.start_line)
        assert 1 <= line <= len(raw), (page.where, block.text[:40], line)
        assert starts_on(block.text, raw[line - 1]), (page.where, line, block.text[:60], raw[line - 1][:80])
        assert page.source_line(block.end_line) >= line
        checked += 1
    return checked


def skipped(out: Path) -> list[dict[str, Any]]:
    """The skipped entries a run recorded in summary.json."""
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))["skipped"]


# ---------------------------------------------------------------------------------------------- registry


def test_every_format_has_a_reader() -> None:
    for suffix in SUFFIXES:
        assert formats.reader_for(Path(f"x/page{suffix.upper()}")) is not None, suffix
    assert formats.reader_for(Path("crawl.warc.gz")).__name__ == "read_warc"
    assert formats.reader_for(Path("notes.txt")) is None and formats.reader_for(Path("a.jsonl")) is None


def test_default_config_discovers_every_format() -> None:
    assert set(SUFFIXES) <= set(Config().ingest.suffixes)


# ---------------------------------------------------------------------------------------------- HTML


def _run_summary(folder: Path, out: Path) -> dict[str, Any]:
    """What a run found: occurrences, clusters of titles, and the labels/kinds of blocks and groups."""
    run([folder], out, config(), report=False)
    occ = read_jsonl(out / "occurrences.jsonl")
    clusters = defaultdict(list)
    for row in occ:
        clusters[row["cluster_id"]].append(row["title"])
    blocks = read_jsonl(out / "blocks.jsonl")
    groups = read_jsonl(out / "groups.jsonl")
    return {"occurrences": len(occ), "per_file": Counter(Path(r["path"]).stem for r in occ),
            "clusters": sorted(sorted(titles) for titles in clusters.values()),
            "matches": Counter(r["match"] for r in occ),
            "block_kinds": Counter((b["label"], b["kind"]) for b in blocks),
            "groups": sorted((g["label"], g["kind"], g["support"], g["representative"]) for g in groups)}


def test_tag_page_as_html_gives_the_same_stories_and_boilerplate_as_text(tmp_path: Path) -> None:
    as_text = _run_summary(FIXTURES / "tagpage_txt", tmp_path / "txt")
    as_html = _run_summary(FIXTURES / "tagpage_html", tmp_path / "html")
    assert as_text["occurrences"] == 5 and as_text["per_file"] == {"harbor-city": 3, "transport": 2}
    assert ["City Council Delays Vote on Transit Budget"] * 2 in as_text["clusters"]
    kinds = {k for _, k in as_text["block_kinds"]}
    assert {"disclaimer", "promo", "navigation", "footer", "related"} <= kinds
    assert as_html == as_text


def test_html_blocks_point_at_their_source_lines(tmp_path: Path) -> None:
    folder = FIXTURES / "tagpage_html"
    corpus = read(folder)
    assert [p.record for p in corpus.pages] == [None, None]
    assert assert_blocks_on_their_lines(corpus, lambda page: file_lines(Path(page.path))) > 40
    run([folder], tmp_path, config(), report=False)
    written = sorted((r["path"], r["start_line"], r["end_line"]) for r in read_jsonl(tmp_path / "blocks.jsonl"))
    mapped = sorted((corpus.pages[b.page].path, corpus.pages[b.page].source_line(b.start_line),
                     corpus.pages[b.page].source_line(b.end_line)) for b in corpus.blocks)
    assert written == mapped
    occ = read_jsonl(tmp_path / "occurrences.jsonl")
    assert {r["url"] for r in occ} == {"https://harbordaily.example/tag/harbor-city",
                                       "https://harbordaily.example/tag/transport"}


def test_html_keeps_the_page_chrome_the_extractor_discards(tmp_path: Path) -> None:
    lxml_html = pytest.importorskip("lxml.html")
    path = FIXTURES / "tagpage_html" / "harbor-city.html"
    page = read(path).pages[0]
    rendered = " ".join(" ".join(page.lines).split())
    body = lxml_html.document_fromstring(path.read_bytes()).body
    for el in body.iter():
        if isinstance(el.tag, str) and el.tag in ("script", "style"):
            continue
        for text in ((el.text if isinstance(el.tag, str) else None), el.tail):
            if text and text.strip():
                assert " ".join(text.split()) in rendered, text
    run([path], tmp_path, config(), report=False)
    labels = {r["start_line"]: (r["label"], r["kind"]) for r in read_jsonl(tmp_path / "blocks.jsonl")}
    raw = file_lines(path)
    for needle, kind in (('href="/home"', "navigation"), ("Related Articles", "related"), ("&copy; 2025", "footer"),
                         ('href="/about"', "navigation")):
        line = next(n for n, text in enumerate(raw, 1) if needle in text)
        assert labels[line] == ("boilerplate", kind), (needle, labels.get(line))


def test_html_rendering_details(tmp_path: Path) -> None:
    page_source = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">\n'
        "<title>ignored</title></head>\n"
        "<body><!-- a comment\nover two lines --><h1>Caf\xe9 owners &amp; the \u201cnew\u201d harbor</h1>\n"
        "<p>First line<br>second line\n<br/>third line</p>\n"
        "<ol><li>one</li>\n<li>two</li></ol>\n"
        "<table><tr><th>Port</th><td>Berths</td></tr>\n<tr><td>East</td><td>2</td></tr></table>\n"
        "<pre>code line 1\n  code line 2</pre>\n"
        "<p>word<b>bold</b> <i>italic</i>\n  end</p>\n</body></html>\n")
    path = tmp_path / "detail.htm"
    path.write_bytes(page_source.encode("cp1252"))
    corpus = read(path)
    assert corpus.encodings[path.as_posix()] == "cp1252"
    page = corpus.pages[0]
    pairs = [(line, page.source_line(n)) for n, line in enumerate(page.lines, 1) if line]
    assert pairs == [("Caf\xe9 owners & the \u201cnew\u201d harbor", 4), ("First line", 5), ("second line", 5),
                     ("third line", 6), ("1. one", 7), ("2. two", 8), ("Port | Berths", 9), ("East | 2", 10),
                     ("code line 1", 11), ("  code line 2", 12), ("wordbold italic end", 13)]
    assert assert_blocks_on_their_lines(corpus, lambda p: file_lines(Path(p.path), "cp1252")) == len(pairs)


def test_html_source_lines_past_libxml2s_line_limit() -> None:
    from dedup.formats.html import page_lines

    doc = "<html><body>\n" + "\n".join(f"<p>paragraph number {n} here</p>" for n in range(2, 66_001)) + "\n</body>"
    lines, sources = page_lines(doc, extract_main=False)
    text = [(line, src) for line, src in zip(lines, sources) if line]
    assert len(text) == 65_999
    assert all(line == f"paragraph number {src} here" for line, src in text)


# ---------------------------------------------------------------------------------------------- feeds


def test_rss_items_are_articles_with_their_lines(tmp_path: Path) -> None:
    path = FIXTURES / "feeds" / "harbor.rss"
    corpus = read(path)
    raw = file_lines(path)
    assert [p.title for p in corpus.pages] == ["Port Authority Approves Harbor Expansion Plan",
                                               "Ferry Timetable Changes Announced for Winter"]
    assert all(raw[p.record - 1].strip() == "<item>" for p in corpus.pages)  # the commented-out <item> is not one
    assert [p.record_id for p in corpus.pages] == ["harbor-0001", "harbor-0002"]
    assert dict(corpus.pages[0].meta) == {"url": "https://harbordaily.example/story/port",
                                          "published": "2025-03-04T09:30:00Z"}
    assert "terminal will add two deep-water berths" in corpus.pages[0].lines[2]
    assert "restore the regular timetable by March & to add" in corpus.pages[1].lines[-1]  # double-escaped &
    assert assert_blocks_on_their_lines(corpus, lambda p: raw) == 5
    run([path], tmp_path, config(), report=False)
    occ = read_jsonl(tmp_path / "occurrences.jsonl")
    assert sorted((r["record"], r["title"], r["url"]) for r in occ) == [
        (8, "Port Authority Approves Harbor Expansion Plan", "https://harbordaily.example/story/port"),
        (20, "Ferry Timetable Changes Announced for Winter", "https://harbordaily.example/story/ferry")]


def test_atom_feed_saved_as_xml_is_sniffed_and_read() -> None:
    path = FIXTURES / "feeds" / "culture.xml"
    corpus = read(path)
    raw = file_lines(path)
    assert [(p.record, p.title) for p in corpus.pages] == [(6, "Harbor City Library Extends Weekend Opening Hours"),
                                                          (18, "Regional Farmers Report Record Apple Harvest")]
    assert dict(corpus.pages[0].meta)["published"] == "2025-03-05T06:45:00Z"  # +01:00 turned into UTC
    assert [len([x for x in p.lines if x]) for p in corpus.pages] == [3, 3]  # html and xhtml content
    assert assert_blocks_on_their_lines(corpus, lambda p: raw) == 6


def test_broken_feed_is_read_as_far_as_it_goes() -> None:
    path = FIXTURES / "feeds" / "broken.rss"
    corpus = read(path)
    assert [p.title for p in corpus.pages] == ["Ferry Timetable Changes Announced for Winter",
                                               "Harbor City Library Extends Weekend Opening Hours",
                                               "Regional Farmers Report Record Apple Harvest"]
    assert [p.record for p in corpus.pages] == [5, 10, 15]
    reasons = {(s.line, s.reason.split(" (")[0].split(":")[0]) for s in corpus.skipped}
    assert (13, "malformed feed") in reasons  # the undefined &nbsp; entity
    assert (19, "entry has no content or summary text") in reasons  # the cut-off last entry
    assert assert_blocks_on_their_lines(corpus, lambda p: file_lines(path)) == 3


def test_xml_that_is_no_feed_is_recorded_not_dropped() -> None:
    corpus = read(FIXTURES / "feeds" / "sitemap.xml")
    assert corpus.pages == []
    assert len(corpus.skipped) == 1 and "root element <urlset>" in corpus.skipped[0].reason
    assert corpus.digests and corpus.encodings


# ---------------------------------------------------------------------------------------------- WARC


def _gzipped_warc(tmp_path: Path) -> Path:
    """The fixture crawl re-written as a .warc.gz (one gzip member per record), with warcio."""
    archive = pytest.importorskip("warcio.archiveiterator")
    writer = pytest.importorskip("warcio.warcwriter")
    target = tmp_path / "crawl.warc.gz"
    with open(FIXTURES / "warc" / "crawl.warc", "rb") as src, open(target, "wb") as out:
        w = writer.WARCWriter(out, gzip=True)
        for record in archive.ArchiveIterator(src):
            w.write_record(record)
    return target


def _payload_lines(path: Path, offset: int, encoding: str) -> list[str]:
    """The HTML payload lines of the WARC record at ``offset``, as warcio reads it."""
    archive = pytest.importorskip("warcio.archiveiterator")
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(archive.ArchiveIterator(fh)))
        return record.content_stream().read().decode(encoding).replace("\r\n", "\n").split("\n")


@pytest.mark.parametrize("compressed", [False, True])
def test_warc_html_responses_are_pages(tmp_path: Path, compressed: bool) -> None:
    path = _gzipped_warc(tmp_path) if compressed else FIXTURES / "warc" / "crawl.warc"
    corpus = read(path)
    assert [(p.record, dict(p.meta)["url"]) for p in corpus.pages] == [
        (3, "https://harbordaily.example/tag/transport"), (9, "https://harbordaily.example/story/ferry")]
    data = path.read_bytes()
    for page in corpus.pages:
        offset = int(dict(page.meta)["offset"])
        head = zlib.decompressobj(31).decompress(data[offset:offset + 4096]) if compressed else data[offset:]
        assert head.startswith(b"WARC/1.0") and page.record_id and page.record_id.encode() in head[:400]
    assert "Caf\xe9 owners near the terminal" in corpus.pages[1].lines[-1]  # charset from the HTTP header
    assert corpus.encodings[path.as_posix()] == "cp1252,utf-8"
    assert [s.reason for s in corpus.skipped] == [
        "records not read (not HTML pages): 4 request, 1 response (HTTP 301), 1 response (text/css), 1 warcinfo"]
    assert dict(corpus.pages[1].meta)["published"] == "2025-03-03T17:05:00Z"
    checked = assert_blocks_on_their_lines(
        corpus, lambda p: _payload_lines(path, int(dict(p.meta)["offset"]), p.encoding))
    assert checked == len([x for p in corpus.pages for x in p.lines if x.strip()])


@pytest.mark.parametrize("cut", ["in the last payload", "in the last headers", "gzip member"])
def test_truncated_warc_keeps_the_records_before_the_damage(tmp_path: Path, cut: str) -> None:
    source = _gzipped_warc(tmp_path) if cut == "gzip member" else FIXTURES / "warc" / "crawl.warc"
    data = source.read_bytes()
    if cut == "in the last headers":
        keep = data.rindex(b"WARC/1.0") + 200
    else:
        keep = len(data) - (60 if cut == "in the last payload" else 300)
    path = tmp_path / ("cut.warc.gz" if source.suffix == ".gz" else "cut.warc")
    path.write_bytes(data[:keep])
    corpus = read(path)
    assert corpus.pages[0].record == 3 and len(corpus.pages[0].lines) > 30  # the whole tag page is still read
    problems = [s.reason for s in corpus.skipped if not s.reason.startswith("records not read")]
    assert len(problems) == 1 and re.search(r"truncated|damaged", problems[0]), problems
    assert corpus.digests[path.as_posix()]


# ---------------------------------------------------------------------------------------------- tables


def test_csv_rows_start_on_their_lines_and_multiline_fields_map_line_by_line(tmp_path: Path) -> None:
    path = FIXTURES / "tables" / "articles.csv"
    corpus = read(path)
    raw = file_lines(path)
    assert [(p.record, p.record_id, p.title) for p in corpus.pages] == [
        (2, "a1", "Port Authority Approves Harbor Expansion Plan"),
        (7, "a2", "Ferry Timetable Changes, Announced for Winter"),  # a title spanning two lines
        (11, "a4", 'Library "Extends" Hours')]
    assert all(raw[p.record - 1].startswith(f"{p.record_id},") for p in corpus.pages)
    assert dict(corpus.pages[0].meta) == {"url": "https://harbordaily.example/story/port", "published": "2025-03-04"}
    assert [(s.line, s.reason) for s in corpus.skipped] == [(10, "row has no text in column 'text'")]
    assert assert_blocks_on_their_lines(corpus, lambda p: raw) == 6
    run([path], tmp_path, config(), report=False)
    assert sorted(r["record"] for r in read_jsonl(tmp_path / "occurrences.jsonl")) == [2, 7, 11]


def test_csv_reads_fields_past_the_stdlib_limit_and_names_a_missing_text_column(tmp_path: Path) -> None:
    big = " ".join(f"word{n % 997}" for n in range(30_000))
    assert len(big) > 200_000 > csv.field_size_limit()
    path = tmp_path / "big.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["title", "content"], ["Big", big], ["Small", "A short second row of text."]])
    corpus = read(path)
    assert [(p.record, p.lines) for p in corpus.pages] == [(2, (big,)), (3, ("A short second row of text.",))]
    assert corpus.skipped == [] and csv.field_size_limit() < 200_000  # the limit is restored after reading
    other = tmp_path / "other.csv"
    other.write_text("headline;story\nA;B\n", encoding="utf-8")
    (note,) = read(other).skipped
    assert note.line == 1 and "['headline', 'story']" in note.reason and "ingest.text_keys" in note.reason


def test_tsv_uses_configured_keys() -> None:
    path = FIXTURES / "tables" / "wire.tsv"
    corpus = read(path)
    assert [(p.record, p.record_id, p.title) for p in corpus.pages] == [
        (2, "w1", "Regional Farmers Report Record Apple Harvest"), (7, "w2", "Short note")]
    assert assert_blocks_on_their_lines(corpus, lambda p: file_lines(path)) == 4


def _parquet(path: Path, rows: dict[str, list[Any]]) -> Path:
    """Write a small Parquet file with pyarrow."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table(rows), path)
    return path


def test_parquet_rows_are_records(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "t.parquet", {"id": [7, 8, 9], "headline": ["One", None, "Three"],
                                               "body": ["First row text.\n\nSecond paragraph.", None, "Third."]})
    corpus = read(path)
    assert [(p.record, p.record_id, p.title, p.lines) for p in corpus.pages] == [
        (1, "7", "One", ("First row text.", "", "Second paragraph.")), (3, "9", "Three", ("Third.",))]
    assert [(s.line, s.reason) for s in corpus.skipped] == [(2, "row has no text in column 'body'")]
    wrong = _parquet(tmp_path / "w.parquet", {"text": [1, 2]})
    (note,) = read(wrong).skipped
    assert note.reason.startswith("text column 'text' holds int64 values, not strings")
    none = _parquet(tmp_path / "n.parquet", {"words": ["x"]})
    assert "ingest.text_keys" in read(none).skipped[0].reason


# ---------------------------------------------------------------------------------------------- extras


@pytest.mark.parametrize("fixture, module, extra", [
    ("tagpage_html/transport.html", "trafilatura", "html"),
    ("feeds/harbor.rss", "feedparser", "feeds"),
    ("warc/crawl.warc", "warcio.archiveiterator", "warc"),
    ("tables/t.parquet", "pyarrow.parquet", "tables"),
])
def test_a_missing_extra_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture: str, module: str,
                                  extra: str) -> None:
    src = FIXTURES / fixture
    path = tmp_path / src.name
    if src.exists():
        shutil.copy(src, path)
    else:
        _parquet(path, {"text": ["Some text."]})
    monkeypatch.setitem(sys.modules, module, None)  # the import now fails, as when the package is absent
    run([path], tmp_path / "out", config(), report=False)
    (note,) = skipped(tmp_path / "out")
    assert note["path"] == path.as_posix()
    assert f"needs the '{extra}' extra: pip install 'dedup[{extra}]'" in note["reason"]


# ---------------------------------------------------------------------------------------------- contract


def test_outputs_of_every_format_load_with_pyarrows_json_reader(tmp_path: Path) -> None:
    pa_json = pytest.importorskip("pyarrow.json")
    pa = pytest.importorskip("pyarrow")
    inputs = tmp_path / "inputs"
    for fixture in ("tagpage_html/harbor-city.html", "tagpage_txt/transport.txt", "feeds/harbor.rss",
                    "feeds/culture.xml", "warc/crawl.warc", "tables/articles.csv", "tables/wire.tsv"):
        (inputs / fixture).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / fixture, inputs / fixture)
    _parquet(inputs / "t.parquet", {"text": ["Parquet rows carry no file lines, so their lines are the cell's."]})
    (inputs / "r.jsonl").write_text('{"text": "A JSONL record with enough words to be one small article."}\n')
    out = tmp_path / "out"
    run([inputs], out, config(), report=False)
    occ = pa_json.read_json(out / "occurrences.jsonl")
    assert occ.schema.field("record").type == pa.int64() and occ.schema.field("title").type == pa.string()
    for name in ("url", "offset"):
        assert occ.schema.field(name).type == pa.string(), name
    assert pa.types.is_timestamp(occ.schema.field("published").type)  # every format writes ISO 8601
    records = occ.column("record").to_pylist()
    assert None in records and any(isinstance(r, int) for r in records)
    corpus = pa_json.read_json(out / "corpus.jsonl")
    assert corpus.schema.field("title").type == pa.string()
    source = corpus.schema.field("sources").type.value_type
    assert source.field("record").type == pa.int64() and source.field("start_line").type == pa.int64()
    assert pa_json.read_json(out / "blocks.jsonl").num_rows > 50
    jsonschema = pytest.importorskip("jsonschema")
    schemas = Path(formats.__file__).resolve().parent.parent / "schemas"
    for name in ("corpus", "occurrences", "blocks", "groups"):
        schema = json.loads((schemas / f"{name}.schema.json").read_text(encoding="utf-8"))
        for row in read_jsonl(out / f"{name}.jsonl"):
            jsonschema.Draft202012Validator(schema).validate(row)
    # one story read from an HTML tag page, an RSS item and a CSV row is one cluster
    port = [r for r in read_jsonl(out / "occurrences.jsonl") if r["title"] and r["title"].startswith("Port Auth")]
    assert sorted(Path(r["path"]).suffix for r in port) == [".csv", ".html", ".rss"]
    assert len({r["cluster_id"] for r in port}) == 1
