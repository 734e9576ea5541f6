"""Hard inputs: each case says what it feeds in and what the tool must do with it (see tests/README.md)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from conftest import read_jsonl
from dedup import Config, analyse, run
from dedup import ingest
from dedup.config import IngestConfig
from dedup.ingest import decode_bytes, read_inputs, split_lines
from dedup.records import Corpus

BODY = ("The central bank raised its key interest rate by a quarter point on Tuesday, citing stubborn inflation "
        "and a tight labour market that showed few signs of cooling.")
PAGE = f"Rates Rise Again\n\n{BODY}\n\nAnalysts had expected the move after last month's strong jobs report.\n"


def _run(tmp_path: Path, files: dict[str, bytes]) -> tuple[dict, Path]:
    inp = tmp_path / "in"
    inp.mkdir(exist_ok=True)
    for name, data in files.items():
        (inp / name).write_bytes(data)
    out = tmp_path / "out"
    summary = run([inp], out, Config(), report=False)
    return summary, out


CASES = [
    # (file name, bytes, expected encoding or None when skipped, expected reason fragment or None)
    ("cp1252.txt", PAGE.replace("expected", "“expected”").encode("cp1252"), "cp1252", None),
    ("latin1.txt", PAGE.replace("Rates", "Taux élevés").encode("latin-1") + b"\x81", "latin-1", None),
    ("utf16.txt", PAGE.encode("utf-16"), "utf-16", None),
    ("utf8bom.txt", b"\xef\xbb\xbf" + PAGE.encode("utf-8"), "utf-8-sig", None),
    ("damaged-utf8.txt", PAGE.replace("cooling", "coolíng — “so”").encode("utf-8").replace(b"labour", b"lab\xffour"),
     "utf-8", "invalid utf-8 byte sequence"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), None, "binary file"),
    ("empty.txt", b"", None, "empty"),
    ("blank.txt", b"  \n\t\n\r\n", None, "empty"),
]


@pytest.mark.parametrize("name,data,encoding,reason", CASES, ids=[c[0] for c in CASES])
def test_encodings_and_unreadable_files(tmp_path: Path, name: str, data: bytes, encoding: str | None,
                                        reason: str | None) -> None:
    summary, out = _run(tmp_path, {name: data})
    key = f"{tmp_path}/in/{name}"
    skipped = [s for s in summary["skipped"] if s["path"] == key]
    if encoding is None:
        assert skipped and reason in skipped[0]["reason"]
        assert not read_jsonl(out / "occurrences.jsonl")
        return
    assert summary["inputs"]["encodings"][key] == encoding
    occ = read_jsonl(out / "occurrences.jsonl")
    assert len(occ) == 1 and not occ[0]["title"].startswith("\ufeff")
    assert "\ufeff" not in (out / "corpus.jsonl").read_text(encoding="utf-8")
    if reason:
        assert skipped and reason in skipped[0]["reason"]
    text = read_jsonl(out / "corpus.jsonl")[0]["text"]
    assert "central bank raised its key interest rate" in text


def test_decoder_prefers_utf8_and_keeps_smart_quotes() -> None:
    text, codec, bad = decode_bytes("“quoted” café".encode("utf-8"))  # type: ignore[misc]
    assert (text, codec, bad) == ("“quoted” café", "utf-8", 0)
    text, codec, bad = decode_bytes("“quoted”".encode("cp1252"))  # type: ignore[misc]
    assert (text, codec) == ("“quoted”", "cp1252")


def test_line_ends_count_as_python_text_mode() -> None:
    text = "a\r\nb\rc\nd\x0be\x0cf\x85g\u2028h\n"
    assert split_lines(text) == ("a", "b", "c", "d\x0be\x0cf\x85g\u2028h")
    assert split_lines("x") == ("x",) and split_lines("") == () and split_lines("\n\n") == ("", "")


def test_jsonl_damage_is_skipped_with_file_line_and_keys(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "a", "title": "One", "text": BODY}), "", '{"id": "b", "text": "trunc',
             "[1, 2, 3]", json.dumps({"id": "c", "text": 42}), json.dumps({"id": "d", "headline": "x", "words": "y"}),
             json.dumps({"id": "e", "body": PAGE})]
    summary, out = _run(tmp_path, {"feed.jsonl": ("\n".join(lines) + "\n").encode()})
    reasons = {s["line"]: s["reason"] for s in summary["skipped"]}
    assert set(reasons) == {3, 4, 5, 6}
    assert "not valid JSON" in reasons[3] and "not an object" in reasons[4]
    assert "holds a int" in reasons[5]
    assert "'headline', 'id', 'words'" in reasons[6] and "ingest.text_keys" in reasons[6]
    assert [r["record"] for r in read_jsonl(out / "occurrences.jsonl")] == [1, 7]


def test_a_huge_single_line_is_read_with_a_cap(tmp_path: Path) -> None:
    cap = 10_000
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "huge.txt").write_bytes(PAGE.encode() + b"x" * 5_000_000 + b"\n" + PAGE.encode())
    corpus = read_inputs([tmp_path / "in"], IngestConfig(max_line_chars=cap))
    assert max(len(line) for line in corpus.pages[0].lines) <= cap
    assert any("truncated" in s.reason and s.line == 6 for s in corpus.skipped)
    assert corpus.pages[0].lines[-1] == "Analysts had expected the move after last month's strong jobs report."


def capped_reference(data: bytes, cap: int) -> tuple[bytes, list[tuple[int, int]]]:
    """``read_capped``'s definition, line by line: a line (up to and with its ``\\n``) whose text is longer than
    ``cap`` bytes keeps its first ``cap`` and a line end, and is listed with its line number and whole length."""
    kept, cut = [], []
    for number, line in enumerate(re.findall(rb"[^\n]*\n|[^\n]+$", data), start=1):
        if len(line.rstrip(b"\n")) > cap:
            kept.append(line[:cap] + b"\n")
            cut.append((number, len(line)))
        else:
            kept.append(line)
    return b"".join(kept), cut


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_read_capped_matches_its_line_by_line_definition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         chunk: int) -> None:
    """Files read whole when no line passes the cap, line by line when one does: the same bytes and the same
    truncated lines either way, wherever the read chunks end (lines of the cap's length and one more, a last
    line without a line end, empty lines)."""
    monkeypatch.setattr(ingest, "SCAN_CHUNK", chunk)
    cap = 5
    rng = random.Random(chunk)
    for case in range(60):
        lengths = [rng.choice([0, 1, cap - 1, cap, cap + 1, 2 * cap + 3]) for _ in range(rng.randint(1, 8))]
        data = b"\n".join(bytes([97 + n % 26]) * n for n in lengths) + rng.choice([b"", b"\n"])
        path = tmp_path / f"{case}.txt"
        path.write_bytes(data)
        assert ingest.read_capped(path, cap) == capped_reference(data, cap), data
        with open(path, "rb") as fh:  # within the cap: read whole, not line by line
            whole = ingest._chunks_within_cap(fh, cap)
        assert (whole is not None) == (max(lengths) <= cap) and (whole is None or b"".join(whole) == data)


def _jsonl_reading(path: Path, config: IngestConfig) -> tuple:
    corpus = read_inputs([path], config)
    return corpus.pages, corpus.skipped, corpus.encodings, corpus.digests


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 1 << 20])
def test_jsonl_read_in_pieces_equals_the_whole_file_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          chunk: int) -> None:
    """A JSONL file read a piece of whole lines at a time gives the pages, skip records, encoding and digest of
    the whole-file read, wherever the pieces end: ``\r``, ``\r\n`` and ``\u2028`` in and between records,
    blank and bad lines, multi-byte UTF-8, a last line without a line end, lines at and past the cap; and files
    it must leave to the whole-file read (a byte-order mark, a NUL, bytes that are not UTF-8) come out the same."""
    config = IngestConfig(max_line_chars=120)
    monkeypatch.setattr(ingest, "STREAM_CHUNK", chunk)
    rng = random.Random(chunk)
    parts = [json.dumps({"id": "a", "text": "Grain\r\nexports rose\n\nby 4%"}),
             json.dumps({"title": "Caf\u00e9 \u201cnews\u201d", "text": "Prices\u2028fell\rsharply"}, ensure_ascii=False),
             "", "   ", "{not json", "[1, 2]", json.dumps({"body": "no text key"}), json.dumps({"text": 5}),
             json.dumps({"text": "x" * 100}), json.dumps({"text": "y" * 200})]
    streamed = 0
    for case in range(40):
        lines = [rng.choice(parts) for _ in range(rng.randint(0, 7))]
        ends = [rng.choice(["\n", "\n", "\r\n", "\r"]) for _ in lines]
        data = "".join(line + end for line, end in zip(lines, ends)).encode()
        data = data[:-1] if data and rng.random() < 0.3 else data
        data = rng.choice([data] * 6 + [b"\xef\xbb\xbf" + data, data + b"\xff\n", b"\x00" + data])
        path = tmp_path / f"{case}.jsonl"
        path.write_bytes(data)
        read = _jsonl_reading(path, config)
        with monkeypatch.context() as whole:
            whole.setattr(ingest, "_read_jsonl_streamed", lambda *args: False)
            assert read == _jsonl_reading(path, config), data
        streamed += ingest._read_jsonl_streamed(path, path.as_posix(), config, Corpus())
    assert streamed >= 10  # the pieces were read, not only the whole file


def test_broken_symlink_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "in" / "ok.txt").write_text(PAGE)
    summary, out = _run(tmp_path, {})
    assert any("broken symbolic link" in s["reason"] for s in summary["skipped"])
    assert len(read_jsonl(out / "occurrences.jsonl")) == 1


def test_extremely_long_and_short_articles(tmp_path: Path) -> None:
    long_body = "\n\n".join(f"Paragraph {n} of a very long report about grain exports and rail freight." for n in
                            range(3000))
    records = [{"id": "long", "title": "Long", "text": long_body}, {"id": "short", "title": "Short", "text": "Yes."}]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    summary, out = _run(tmp_path, {"x.jsonl": data})
    assert summary["counts"]["occurrences"] == 2 and summary["counts"]["stories"] == 2


def test_many_tiny_files(tmp_path: Path) -> None:
    files = {f"p{n:05d}.txt": f"Note {n}\n\nItem number {n} in the list.\n".encode() for n in range(3000)}
    summary, _ = _run(tmp_path, files)
    assert summary["counts"]["files"] == 3000 and summary["counts"]["occurrences"] == 3000


def test_nothing_is_dropped_silently(tmp_path: Path) -> None:
    """Every non-blank line of every readable input is in blocks.jsonl."""
    summary, out = _run(tmp_path, {name: data for name, data, enc, _ in CASES})
    covered = {(r["path"], line) for r in read_jsonl(out / "blocks.jsonl")
               for line in range(r["start_line"], r["end_line"] + 1)}
    for name, data, encoding, _ in CASES:
        if encoding is None:
            continue
        text = data.decode(encoding, errors="replace")
        for n, line in enumerate(split_lines(text), 1):
            if line.strip():
                assert (f"{tmp_path}/in/{name}", n) in covered, (name, n)
    assert analyse  # the library entry point used by other tests
