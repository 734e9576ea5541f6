"""Saved state for daily runs: ``dedup run NEW --state STATE`` checks new pages against everything seen before.

The state is one SQLite database (transactional, inspectable with ``sqlite3``, no pickle). It keeps, per run:

- the pages read (path, record, lines, line map, metadata) and each file's SHA-256, encoding and skip records,
  so later runs can point into earlier files line-exactly and re-decide what earlier copies mean;
- the MinHash signatures of article contents (datasketch's affine32 scheme; reused, not recomputed) and their
  LSH band keys with ``MinHashLSH``'s own (b, r), so earlier articles sharing a band with a new one can be looked
  up with one SQL query;
- the block groups (skeleton key, representative, character-gram signature, label, support);
- every occurrence's cluster and each story's canonical copy and first run.

A run with a state reads only the files it has not seen (a file already in the state with the same bytes is not
read again; one with new bytes replaces its earlier version), then decides over all pages together: boilerplate
support and the canonical copy depend on every copy, so a block seen twice on day 1 and once on day 2 is labelled
as a three-site boilerplate in all three places. That is what makes day 1 then day 2 with ``--state`` equal to
one run over both days. The state records the scheme, seed, num_perm, shingling and the whole resolved config,
and refuses to mix runs made with other parameters.

    >>> with State.open(Path("daily.sqlite"), config) as state:
    ...     corpus, plan = state.merge_inputs([Path("day2")], config)
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

from .candidates import band_params
from .config import Config
from .fingerprint import Fingerprinter, shingle_hashes
from .groups import CHAR_GRAM, GRAM_PERM, NEAR_LSH_THRESHOLD
from .ingest import discover, read_inputs
from .jsonio import sha256_file
from .records import Corpus, Page, Skipped
from .write import fault

if TYPE_CHECKING:
    from .pipeline import Memo, Result

FORMAT_VERSION = 2  # 2: block groups' character-gram signatures have GRAM_PERM permutations
PROBE_WORDS = ("shares", "of", "acme", "rose", "4", "percent", "on", "monday")  # detects a changed shingle hash

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY, inputs TEXT NOT NULL, files_read INTEGER NOT NULL, files_unchanged INTEGER NOT NULL,
    pages_added INTEGER NOT NULL, occurrences INTEGER NOT NULL, stories INTEGER NOT NULL,
    dedup_version TEXT NOT NULL, finished_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, run INTEGER NOT NULL, sha256 TEXT, encoding TEXT);
CREATE TABLE IF NOT EXISTS pages (
    path TEXT NOT NULL, ordinal INTEGER NOT NULL, record INTEGER, title TEXT, record_id TEXT,
    encoding TEXT NOT NULL, lines TEXT NOT NULL, source_lines TEXT, meta TEXT NOT NULL,
    PRIMARY KEY (path, ordinal));
CREATE TABLE IF NOT EXISTS skipped (
    path TEXT NOT NULL, ordinal INTEGER NOT NULL, line INTEGER, reason TEXT NOT NULL, PRIMARY KEY (path, ordinal));
CREATE TABLE IF NOT EXISTS signatures (digest TEXT PRIMARY KEY, signature BLOB NOT NULL, lead BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bands (
    band INTEGER NOT NULL, key BLOB NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (band, key, digest));
CREATE TABLE IF NOT EXISTS block_groups (
    group_id TEXT PRIMARY KEY, skeleton TEXT NOT NULL, representative TEXT NOT NULL, signature BLOB NOT NULL,
    label TEXT NOT NULL, kind TEXT, support INTEGER NOT NULL, blocks INTEGER NOT NULL, first_run INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS occurrences (
    occurrence_id TEXT PRIMARY KEY, run INTEGER NOT NULL, path TEXT NOT NULL, record INTEGER,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, cluster_id TEXT NOT NULL, canonical INTEGER NOT NULL,
    digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stories (
    cluster_id TEXT PRIMARY KEY, canonical TEXT NOT NULL, copies INTEGER NOT NULL, first_run INTEGER NOT NULL);
"""


class StateError(ValueError):
    """The state file cannot be used with this run; the message says why and what to do."""


def parameters(config: Config) -> dict[str, Any]:
    """What must match between runs sharing a state: the MinHash scheme and the whole resolved config."""
    fp = config.fingerprint
    return {"format_version": FORMAT_VERSION, "minhash": {
        "library": "datasketch", "scheme": "affine32", "seed": fp.seed, "num_perm": fp.num_perm,
        "shingling": f"word {fp.shingle_size}-grams of normalize.tokens",
        "shingle_hash_probe": shingle_hashes(list(PROBE_WORDS), fp.shingle_size).tolist(),
        "lsh_bands": list(band_params(config.cluster.lsh_threshold, fp.num_perm)),
        "block_groups": {"char_gram": CHAR_GRAM, "num_perm": GRAM_PERM,
                         "lsh_bands": list(band_params(NEAR_LSH_THRESHOLD, GRAM_PERM))}}, "config": config.to_dict()}


def _differences(saved: Any, wanted: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    if isinstance(saved, dict) and isinstance(wanted, dict):
        found = []
        for key in sorted(set(saved) | set(wanted)):
            found += _differences(saved.get(key), wanted.get(key), f"{prefix}{key}.")
        return found
    return [] if saved == wanted else [f"{prefix[:-1]}: state has {saved!r}, this run has {wanted!r}"]


@dataclass
class Plan:
    """What a state run reads and keeps: which files are new, unchanged or replaced, and each path's run."""

    run: int
    read: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    run_of: dict[str, int] = field(default_factory=dict)


class State:
    """An open state database; use as a context manager (commits nothing unless ``save`` is called)."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self.db = db

    @classmethod
    def open(cls, path: Path, config: Config) -> "State":
        """Open or create the state at ``path``; refuse one made with other parameters."""
        if path.is_dir():
            raise StateError(f"{path}: is a folder; --state takes a database file path (e.g. state.sqlite)")
        try:
            db = sqlite3.connect(path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            state = cls(path, db)
            state._check(config)
        except sqlite3.DatabaseError as err:
            raise StateError(f"{path}: not a dedup state database ({err}); give a new path to start one") from err
        return state

    def __enter__(self) -> "State":
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def _check(self, config: Config) -> None:
        """Create the tables on first use; otherwise compare the saved parameters with this run's."""
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        wanted = parameters(config)
        if "meta" not in tables:
            self.db.executescript("BEGIN;" + SCHEMA + "COMMIT;")
            self.db.execute("INSERT INTO meta VALUES ('parameters', ?)", (json.dumps(wanted, sort_keys=True),))
            return
        row = self.db.execute("SELECT value FROM meta WHERE key='parameters'").fetchone()
        if row is None:
            raise StateError(f"{self.path}: has no saved parameters; it was not written by dedup")
        diff = _differences(json.loads(row[0]), wanted)
        if diff:
            raise StateError(f"{self.path}: made with other parameters, so its signatures and labels cannot be "
                             f"mixed with this run's ({'; '.join(diff[:6])}). Run with the state's config "
                             "(--config) or give a new --state path")

    @property
    def last_run(self) -> int:
        """Number of the last saved run (0 for a new state)."""
        return self.db.execute("SELECT COALESCE(MAX(run), 0) FROM runs").fetchone()[0]

    def merge_inputs(self, inputs: Iterable[Path], config: Config) -> tuple[Corpus, Plan]:
        """The corpus of every page seen so far plus the new inputs, in the order one combined run reads them."""
        plan = Plan(run=self.last_run + 1)
        known = {path: (run, sha) for path, run, sha in self.db.execute("SELECT path, run, sha256 FROM files")}
        for path in discover(inputs, config.ingest.suffixes):
            where = path.as_posix()
            if where in known and known[where][1] is not None and known[where][1] == _sha_or_none(path):
                plan.unchanged.append(where)
                continue
            (plan.replaced if where in known else plan.read).append(where)
        fresh = read_inputs([Path(p) for p in sorted(plan.read + plan.replaced)], config.ingest)
        earlier = self._load_corpus(exclude=set(plan.replaced))
        plan.run_of = {path: run for path, (run, _) in known.items() if path not in plan.replaced}
        plan.run_of.update({path: plan.run for path in fresh.files})
        return _merge(earlier, fresh), plan

    def _load_corpus(self, exclude: set[str]) -> Corpus:
        """Pages, files and skip records of earlier runs."""
        corpus = Corpus()
        for path, _run, sha, encoding in self.db.execute("SELECT path, run, sha256, encoding FROM files ORDER BY path"):
            if path in exclude:
                continue
            corpus.files.append(path)
            if sha is not None:
                corpus.digests[path] = sha
            if encoding is not None:
                corpus.encodings[path] = encoding
        for row in self.db.execute("SELECT path, record, title, record_id, encoding, lines, source_lines, meta "
                                   "FROM pages ORDER BY path, ordinal"):
            if row[0] not in exclude:
                corpus.pages.append(_page_from_row(len(corpus.pages), row))
        for path, line, reason in self.db.execute("SELECT path, line, reason FROM skipped ORDER BY path, ordinal"):
            if path not in exclude:
                corpus.skipped.append(Skipped(path, line, reason))
        return corpus

    def memo(self) -> "Memo":
        """Signatures saved by earlier runs, keyed by content digest, to seed this run's memo."""
        from .pipeline import Memo

        memo = Memo()
        for digest, sig, lead in self.db.execute("SELECT digest, signature, lead FROM signatures"):
            memo.signatures[digest] = np.frombuffer(sig, dtype=np.uint32).copy()
            memo.leads[digest] = np.frombuffer(lead, dtype=np.uint32).copy()
        return memo

    def save(self, plan: Plan, inputs: list[str], result: "Result", memo: "Memo",
             files: dict[str, list[dict[str, Any]]], fp: Fingerprinter, config: Config) -> None:
        """Record this run in one transaction: new files and pages, signatures, bands, groups, clusters."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            self._save_inputs(plan, result.corpus)
            self._save_signatures(memo, fp, config)
            self._save_groups(files["groups.jsonl"], fp, plan)
            self._save_clusters(files, _digests(result))
            db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                plan.run, json.dumps(inputs), len(plan.read) + len(plan.replaced), len(plan.unchanged),
                sum(1 for p in result.corpus.pages if plan.run_of.get(p.path) == plan.run),
                len(files["occurrences.jsonl"]), len(files["corpus.jsonl"]), _version(),
                datetime.now(timezone.utc).isoformat(timespec="seconds")))
            fault("state")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _save_inputs(self, plan: Plan, corpus: Corpus) -> None:
        """Files, pages and skip records read in this run (replacing earlier versions of the same paths)."""
        new = {path for path, run in plan.run_of.items() if run == plan.run}
        for table in ("files", "pages", "skipped"):
            self.db.executemany(f"DELETE FROM {table} WHERE path = ?", [(p,) for p in sorted(new)])
        self.db.executemany("INSERT INTO files VALUES (?, ?, ?, ?)", [
            (p, plan.run, corpus.digests.get(p), corpus.encodings.get(p)) for p in sorted(new)])
        ordinal: dict[str, int] = defaultdict(int)
        rows = []
        for page in corpus.pages:
            ordinal[page.path] += 1
            if page.path in new:
                rows.append(_page_row(page, ordinal[page.path]))
        self.db.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        ordinal.clear()
        skipped = []
        for item in corpus.skipped:
            ordinal[item.path] += 1
            if item.path in new:
                skipped.append((item.path, ordinal[item.path], item.line, item.reason))
        self.db.executemany("INSERT INTO skipped VALUES (?, ?, ?, ?)", skipped)

    def _save_signatures(self, memo: "Memo", fp: Fingerprinter, config: Config) -> None:
        """Signatures not saved before, and their LSH band keys."""
        have = {d for (d,) in self.db.execute("SELECT digest FROM signatures")}
        bands, rows = band_params(config.cluster.lsh_threshold, fp.num_perm)
        for digest in sorted(set(memo.signatures) - have):
            sig = memo.signatures[digest].astype(np.uint32)
            self.db.execute("INSERT INTO signatures VALUES (?, ?, ?)",
                            (digest, sig.tobytes(), memo.leads[digest].astype(np.uint32).tobytes()))
            self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?, ?)",
                                [(b, key, digest) for b, key in enumerate(band_keys(sig, bands, rows))])

    def _save_groups(self, group_rows: list[dict[str, Any]], fp: Fingerprinter, plan: Plan) -> None:
        """The current block groups, each with the run it was first seen in."""
        from .groups import gram_signatures
        from .normalize import skeleton

        first = dict(self.db.execute("SELECT group_id, first_run FROM block_groups"))
        self.db.execute("DELETE FROM block_groups")
        keys = [skeleton(row["representative"]) for row in group_rows]
        sigs = gram_signatures(keys, fp) if keys else []
        self.db.executemany("INSERT INTO block_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (row["group_id"], key, row["representative"], np.asarray(sig, dtype=np.uint32).tobytes(), row["label"],
             row["kind"], row["support"], row["blocks"], first.get(row["group_id"], plan.run))
            for row, key, sig in zip(group_rows, keys, sigs)])

    def _save_clusters(self, files: dict[str, list[dict[str, Any]]], digests: dict[str, str]) -> None:
        """Every occurrence's cluster and each story's canonical copy, replacing the previous run's view."""
        self.db.execute("DELETE FROM occurrences")
        self.db.execute("DELETE FROM stories")
        self.db.executemany("INSERT INTO occurrences VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (r["occurrence_id"], r["run"], r["path"], r["record"], r["start_line"], r["end_line"], r["cluster_id"],
             int(r["canonical"]), digests[r["occurrence_id"]]) for r in files["occurrences.jsonl"]])
        canonical = {r["cluster_id"]: r["occurrence_id"] for r in files["occurrences.jsonl"] if r["canonical"]}
        self.db.executemany("INSERT INTO stories VALUES (?, ?, ?, ?)", [
            (r["cluster_id"], canonical[r["cluster_id"]], r["copies"], r["first_run"]) for r in files["corpus.jsonl"]])

    def earlier_clusters(self) -> dict[str, str]:
        """occurrence id -> cluster id as the last saved run left them."""
        return dict(self.db.execute("SELECT occurrence_id, cluster_id FROM occurrences"))


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """The LSH band keys of one signature: the bytes of each band's ``rows`` values (as ``band_pairs`` groups)."""
    sig = np.ascontiguousarray(signature, dtype=np.uint32)
    return [sig[b * rows:(b + 1) * rows].tobytes() for b in range(bands)]


ROWS_READ = ("occurrences.jsonl", "corpus.jsonl", "groups.jsonl")  # rows ``annotate`` and ``State.save`` read


def annotate(files: dict[str, Any], summary: dict[str, Any], plan: Plan,
             earlier: dict[str, str], state_path: Path) -> None:
    """Add the nullable state fields to the output rows and a ``state`` section to the summary.

    occurrences.jsonl: ``run`` (the state run that read the copy) and ``earlier_copy`` (for a copy read in this
    run, the first copy of its story read in an earlier run). corpus.jsonl: ``first_run`` and ``previous_ids`` (cluster ids the story's copies had after the last run, when different).
    """
    occ_rows, corpus_rows = files["occurrences.jsonl"], files["corpus.jsonl"]
    by_cluster: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in occ_rows:
        row["run"] = plan.run_of.get(row["path"])
        by_cluster[row["cluster_id"]].append(row)
    for row in occ_rows:
        older = [r for r in by_cluster[row["cluster_id"]] if r["run"] is not None and r["run"] < plan.run]
        first = min(older, key=lambda r: (r["run"], r["path"], r["record"] or 0, r["start_line"]), default=None)
        row["earlier_copy"] = first["occurrence_id"] if first is not None and row["run"] == plan.run else None
    for row in corpus_rows:
        members = by_cluster[row["cluster_id"]]
        row["first_run"] = min(r["run"] for r in members)
        row["previous_ids"] = sorted({earlier[r["occurrence_id"]] for r in members
                                      if r["occurrence_id"] in earlier} - {row["cluster_id"]})
    new = [r for r in occ_rows if r["run"] == plan.run]
    summary["state"] = {
        "path": state_path.as_posix(), "run": plan.run, "files_read": sorted(plan.read),
        "files_replaced": sorted(plan.replaced), "files_unchanged": sorted(plan.unchanged),
        "new_occurrences": len(new), "new_copies_of_earlier_stories": sum(1 for r in new if r["earlier_copy"]),
        "new_stories": sum(1 for r in corpus_rows if r["first_run"] == plan.run)}


def _digests(result: "Result") -> dict[str, str]:
    """occurrence id -> digest of its cleaned content (the key of the signatures table)."""
    from .outputs import occurrence_ids

    return {oid: content.digest for oid, content in zip(occurrence_ids(result), result.contents)}


def _merge(earlier: Corpus, fresh: Corpus) -> Corpus:
    """Both corpora as one combined run would read them: files in sorted path order, pages renumbered."""
    pages: dict[str, list[Page]] = defaultdict(list)
    skipped: dict[str, list[Skipped]] = defaultdict(list)
    for part in (earlier, fresh):
        for page in part.pages:
            pages[page.path].append(page)
        for item in part.skipped:
            skipped[item.path].append(item)
    merged = Corpus(files=sorted(set(earlier.files) | set(fresh.files)))
    merged.encodings = dict(sorted({**earlier.encodings, **fresh.encodings}.items()))
    merged.digests = dict(sorted({**earlier.digests, **fresh.digests}.items()))
    for path in merged.files:
        for page in pages.pop(path, []):
            merged.pages.append(replace(page, index=len(merged.pages)))
        merged.skipped.extend(skipped.pop(path, []))
    for path in sorted(pages):  # pages whose path is not a file name (never expected): kept, not dropped
        for page in pages[path]:
            merged.pages.append(replace(page, index=len(merged.pages)))
    for path in sorted(skipped):
        merged.skipped.extend(skipped[path])
    return merged


def _page_row(page: Page, ordinal: int) -> tuple[Any, ...]:
    """One row of the pages table."""
    return (page.path, ordinal, page.record, page.title, page.record_id, page.encoding,
            json.dumps(list(page.lines), ensure_ascii=False),
            None if page.source_lines is None else json.dumps(list(page.source_lines)),
            json.dumps([list(kv) for kv in page.meta], ensure_ascii=False))


def _page_from_row(index: int, row: tuple[Any, ...]) -> Page:
    """A ``Page`` back from a row of the pages table."""
    path, record, title, record_id, encoding, lines, source_lines, meta = row
    return Page(index, path, record, tuple(json.loads(lines)), encoding, title, record_id,
                None if source_lines is None else tuple(json.loads(source_lines)),
                tuple((str(k), str(v)) for k, v in json.loads(meta)))


def _sha_or_none(path: Path) -> str | None:
    """SHA-256 of a file, or None when it cannot be read (the reader then records why)."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def _version() -> str:
    """This package's version."""
    try:
        return metadata.version("dedup")
    except metadata.PackageNotFoundError:
        return "unknown"


def iter_band_matches(db: sqlite3.Connection, digest: str) -> Iterator[str]:
    """Digests of saved contents sharing at least one LSH band with ``digest`` (the query the bands table serves)."""
    yield from (d for (d,) in db.execute(
        "SELECT DISTINCT b2.digest FROM bands b1 JOIN bands b2 ON b1.band = b2.band AND b1.key = b2.key "
        "WHERE b1.digest = ? AND b2.digest != ? ORDER BY b2.digest", (digest, digest)))
