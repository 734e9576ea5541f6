"""Stage 2a, blocks: ``Page`` lines -> ``Block`` s (paragraphs or line groups), before any article is known.

Blank lines always separate blocks. Inside a run of non-blank lines, text hard-wrapped at a fixed width (for
example 72 columns) is joined into one paragraph when the next line's first word would not have fitted on the
line before; every other line is a block of its own (feeds often print one paragraph per line). Every non-blank
line of a page ends up in exactly one block.

    >>> [b.text for b in split_blocks(page, 0, SegmentConfig())]
    ['Title', 'First paragraph ...']
"""

from __future__ import annotations

import re

from .config import SegmentConfig
from .records import Block, Page

_BULLET = re.compile(r"^\s*(?:[•*\-–—▪·►◦‣●■□+>]|\d{1,3}[.)])\s+\S")


def wrap_width(lines: tuple[str, ...], max_width: int) -> int | None:
    """The column a page is hard-wrapped at, or None when its lines are not wrapped."""
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if len(lengths) < 4:
        return None
    p90 = lengths[int(0.9 * (len(lengths) - 1))]
    if p90 > max_width or p90 < 30:
        return None
    longer = sum(1 for n in lengths if n > p90 + 10)
    if longer > 0.05 * len(lengths):
        return None
    return max(n for n in lengths if n <= p90 + 10)


def continues(prev: str, nxt: str, width: int | None) -> bool:
    """Whether ``nxt`` is a wrapped continuation of ``prev``."""
    if width is None or _BULLET.match(nxt):
        return False
    first = nxt.split(None, 1)[0]
    return len(prev.rstrip()) + 1 + len(first) > width


def split_blocks(page: Page, first_index: int, config: SegmentConfig) -> list[Block]:
    """Cut one page into blocks; block indices start at ``first_index``."""
    width = wrap_width(page.lines, config.max_wrap_width)
    return line_blocks(page, first_index) if width is None else wrapped_blocks(page, first_index, width)


def line_blocks(page: Page, first_index: int) -> list[Block]:
    """``wrapped_blocks`` of a page that is not hard-wrapped: every non-blank line is a block."""
    stripped = [(number, line.strip()) for number, line in enumerate(page.lines, start=1)]
    return [Block(first_index + n, page.index, number, number, text)
            for n, (number, text) in enumerate((number, text) for number, text in stripped if text)]


def wrapped_blocks(page: Page, first_index: int, width: int | None) -> list[Block]:
    """Cut one page into blocks, joining the lines that continue a line wrapped at ``width``."""
    blocks: list[Block] = []
    start: int | None = None
    for number, line in enumerate(page.lines, start=1):
        if not line.strip():
            if start is not None:
                blocks.append(_block(page, first_index + len(blocks), start, number - 1))
                start = None
            continue
        if start is not None and not continues(page.lines[number - 2], line, width):
            blocks.append(_block(page, first_index + len(blocks), start, number - 1))
            start = None
        if start is None:
            start = number
    if start is not None:
        blocks.append(_block(page, first_index + len(blocks), start, len(page.lines)))
    return blocks


def _block(page: Page, index: int, start: int, end: int) -> Block:
    """A block over lines ``start..end`` with its text reflowed to one line."""
    text = " ".join(line.strip() for line in page.lines[start - 1:end])
    return Block(index, page.index, start, end, text)
