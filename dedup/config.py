"""One frozen configuration tree holding every default of a run.

Each pipeline stage receives only its own part (``config.fingerprint``, ``config.cluster`` ...). The resolved
tree is written into ``summary.json`` so a run can be reproduced from its outputs alone.

    >>> cfg = Config.from_dict({"cluster": {"near_threshold": 0.7}})
    >>> cfg.cluster.near_threshold
    0.7
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


class ConfigError(ValueError):
    """A configuration value is missing, unknown or out of range; the message says which and how to fix it."""


@dataclass(frozen=True)
class IngestConfig:
    """How input files are found and decoded."""

    text_keys: tuple[str, ...] = ("text", "content", "body")
    title_keys: tuple[str, ...] = ("title", "headline")
    id_keys: tuple[str, ...] = ("id", "doc_id")
    suffixes: tuple[str, ...] = (".txt", ".jsonl", ".html", ".htm", ".xml", ".rss", ".atom", ".warc", ".warc.gz",
                                 ".csv", ".tsv", ".parquet")
    max_line_chars: int = 1_000_000

    def validate(self) -> None:
        if not self.text_keys:
            raise ConfigError("ingest.text_keys is empty: name at least one JSONL key that holds article text")
        if self.max_line_chars < 1000:
            raise ConfigError(f"ingest.max_line_chars={self.max_line_chars} is too small: use 1000 or more")


@dataclass(frozen=True)
class SegmentConfig:
    """How pages are cut into blocks and articles."""

    max_title_words: int = 30
    max_wrap_width: int = 100
    long_paragraph_words: int = 40

    def validate(self) -> None:
        if self.max_title_words < 3:
            raise ConfigError("segment.max_title_words must be at least 3")


@dataclass(frozen=True)
class FingerprintConfig:
    """MinHash scheme: datasketch's ``affine32`` permutations drawn from ``seed``."""

    num_perm: int = 128
    seed: int = 1
    shingle_size: int = 5
    lead_tokens: int = 30

    def validate(self) -> None:
        if not 16 <= self.num_perm <= 1024:
            raise ConfigError(f"fingerprint.num_perm={self.num_perm}: use a value from 16 to 1024 (128 is usual)")
        if not 1 <= self.shingle_size <= 10:
            raise ConfigError(f"fingerprint.shingle_size={self.shingle_size}: use 1 to 10 words (5 is usual)")
        if self.lead_tokens < self.shingle_size * 2:
            raise ConfigError("fingerprint.lead_tokens must be at least twice fingerprint.shingle_size")


@dataclass(frozen=True)
class ClusterConfig:
    """Candidate thresholds (LSH, may only over-approximate) and the verdict thresholds of ``verify``."""

    lsh_threshold: float = 0.2
    lead_lsh_threshold: float = 0.4
    near_threshold: float = 0.6
    fuzzy_threshold: float = 0.85
    min_shingles: int = 8
    link_threshold: float = 0.5
    max_rounds: int = 3

    def validate(self) -> None:
        for name in ("lsh_threshold", "lead_lsh_threshold", "near_threshold", "fuzzy_threshold", "link_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"cluster.{name}={value}: must lie in (0, 1]")
        if self.lsh_threshold > self.near_threshold:
            raise ConfigError(
                "cluster.lsh_threshold must not exceed cluster.near_threshold: candidates may only over-approximate"
            )
        if self.max_rounds < 1:
            raise ConfigError("cluster.max_rounds must be at least 1")


@dataclass(frozen=True)
class BoilerplateConfig:
    """When a repeated block is boilerplate, and how near two wordings must be to form one group."""

    min_support: int = 2
    long_block_words: int = 30
    long_block_support: int = 3
    block_similarity: float = 0.85
    max_group_tokens: int = 120
    template_min_support: int = 3
    template_coverage: float = 0.5
    template_max_words: int = 25

    def validate(self) -> None:
        if self.min_support < 2:
            raise ConfigError("boilerplate.min_support must be at least 2 (a block must be shared to be boilerplate)")
        if not 0.5 <= self.block_similarity <= 1.0:
            raise ConfigError(f"boilerplate.block_similarity={self.block_similarity}: must lie in [0.5, 1]")
        if not 0.0 < self.template_coverage <= 1.0:
            raise ConfigError("boilerplate.template_coverage must lie in (0, 1]")


@dataclass(frozen=True)
class CanonicalConfig:
    """The canonical rule: most complete content, then preferred sources, then earliest input order."""

    preferred_sources: tuple[str, ...] = ()

    def validate(self) -> None:
        return None


@dataclass(frozen=True)
class Config:
    """Every default of a run; build with ``Config()``, ``Config.from_dict`` or ``Config.from_toml``."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    canonical: CanonicalConfig = field(default_factory=CanonicalConfig)

    def __post_init__(self) -> None:
        for f in fields(self):
            getattr(self, f.name).validate()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Config":
        """Build from a nested mapping; unknown sections or keys raise ``ConfigError`` listing the known ones."""
        known = {f.name: f for f in fields(cls)}
        parts = {}
        for section, values in data.items():
            if section not in known:
                raise ConfigError(f"unknown config section [{section}]; known sections: {sorted(known)}")
            parts[section] = _build_section(known[section].default_factory, section, values)  # type: ignore[misc]
        return cls(**parts)

    @classmethod
    def from_toml(cls, path: Path) -> "Config":
        """Read a TOML file whose tables are the config sections (``[cluster]``, ``[fingerprint]`` ...)."""
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: not valid TOML: {err}") from err
        except OSError as err:
            raise ConfigError(f"{path}: cannot read config file: {err.strerror}") from err
        try:
            return cls.from_dict(data)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from err

    def to_dict(self) -> dict[str, Any]:
        """The resolved tree as plain JSON-ready data."""
        return {f.name: _plain(dataclasses.asdict(getattr(self, f.name))) for f in fields(self)}


def _build_section(factory: type, section: str, values: Any) -> Any:
    """Instantiate one section from a mapping, coercing lists to tuples."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"config section [{section}] must be a table of keys, got {type(values).__name__}")
    allowed = {f.name: f for f in fields(factory)}
    clean = {}
    for key, value in values.items():
        if key not in allowed:
            raise ConfigError(f"unknown key {section}.{key}; known keys: {sorted(allowed)}")
        default = getattr(factory(), key)
        clean[key] = _coerce(section, key, value, default)
    return factory(**clean)


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    """Check a value against the type of its default."""
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{section}.{key} must be a list of strings")
        return tuple(value)
    if isinstance(default, bool) or isinstance(default, str):
        if type(value) is not type(default):
            raise ConfigError(f"{section}.{key} must be a {type(default).__name__}, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{section}.{key} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{section}.{key} must be an integer, got {value!r}")
        return value
    return value


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, for JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
