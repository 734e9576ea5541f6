"""Readers for input formats beyond plain text and JSONL, by file suffix.

Each reader takes ``(path, config, corpus)`` and appends ``Page`` records (with ``source_lines`` mapping page lines
back into the original file, and ``meta`` for url/published/offset) or ``Skipped`` records to the corpus. A
format whose optional dependency is missing raises ``MissingExtra`` naming the extra to install.

    >>> reader_for(Path("feed.rss"))
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..config import IngestConfig
from ..records import Corpus

Reader = Callable[[Path, IngestConfig, Corpus], None]

READERS: dict[str, Reader] = {}


class MissingExtra(ImportError):
    """An optional dependency for a format is not installed; the message names the extra."""


def reader_for(path: Path) -> Reader | None:
    """The reader registered for the file's suffix (longest match, e.g. ``.warc.gz``), or None."""
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None
