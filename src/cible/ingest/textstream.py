"""A text file read in blocks of whole lines, decoded as :mod:`cible.ingest.decode` decodes it whole.

Streaming needs the decoding decided before the first block is used: with ``encoding: auto`` the
fallback encoding is chosen from *all* the lines that are not UTF-8. So a file is read twice:
:func:`plan_decoding` validates every block as UTF-8 (C speed) and keeps only the bytes of the
lines that are not, then :func:`decoded_blocks` yields the blocks re-encoded as UTF-8, each with
the index of its first line and the lines that could not be decoded (file-wide 0-based indices),
exactly as :func:`~cible.ingest.decode.decode_text` would number them for the whole file.

Files this cannot cut into lines the same way are decoded whole (``plan_decoding`` returns
``None``): an explicit ``encoding``, a UTF-16 byte-order mark, or ``\\r`` line ends without any
``\\n`` (classic Mac).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cible.exceptions import SourceFormatError
from cible.ingest.decode import (
    _BOMS_16,
    _gaps,
    choose_fallback,
    non_utf8_lines,
    replace_lines,
)

BLOCK_BYTES = 1 << 24


@dataclass(frozen=True)
class DecodePlan:
    """How every block of a file is decoded: ``label`` is the file's encoding as reported,
    ``codec`` the fallback for lines that are not UTF-8 (``None``: every line is UTF-8), and
    ``fallback_encoding`` / ``fallback_lines`` what the summary reports."""

    label: str
    codec: str | None
    skip: int  # bytes of a UTF-8 byte-order mark
    fallback_encoding: str | None = None
    fallback_lines: int = 0
    read_as: str = "utf-8"  # the encoding tried first, named when a line fails the fallback too


def raw_blocks(path: Path, size: int = BLOCK_BYTES, skip: int = 0) -> Iterator[bytes]:
    """The bytes of ``path`` after ``skip`` in blocks of about ``size`` bytes, each ending with a
    ``\\n`` (the last one may not)."""
    with path.open("rb") as f:
        f.seek(skip)
        rest = b""
        while True:
            data = f.read(size)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            rest = data[cut:]
            yield data[:cut]
        if rest:
            yield rest


def plan_decoding(path: Path, encoding: str, fallback: str) -> DecodePlan | None:
    """Read ``path`` once to decide its decoding (see the module docstring)."""
    if encoding != "auto":
        return None
    if fallback != "auto":
        try:
            fallback = codecs.lookup(fallback).name
        except LookupError as e:
            raise SourceFormatError(f"{path}: unknown fallback encoding '{fallback}': {e}") from e
    with path.open("rb") as f:
        head = f.read(4)
    if any(head.startswith(bom) for bom, _ in _BOMS_16):
        return None
    skip = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    label = "utf-8-sig" if skip else "utf-8"
    bad: list[bytes] = []
    utf8_needed, newline, cr = False, False, False
    for block in raw_blocks(path, skip=skip):
        newline = newline or b"\n" in block
        cr = cr or (not newline and b"\r" in block)
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            spans = non_utf8_lines(block)
            bad += [block[a:b] for a, b in spans]
            gaps = _gaps(spans, len(block))
            utf8_needed = utf8_needed or any(not block[a:b].isascii() for a, b in gaps)
        else:
            utf8_needed = utf8_needed or not block.isascii()
    if cr and not newline:
        return None
    if not bad:
        return DecodePlan(label, None, skip)
    codec = choose_fallback(bad) if fallback == "auto" else fallback
    if not utf8_needed:
        return DecodePlan(codec, codec, skip, read_as=label)
    return DecodePlan(label, codec, skip, codec, len(bad), read_as=label)


@dataclass(frozen=True)
class TextBlock:
    """Whole lines of a file as UTF-8: ``first_line`` is the file-wide 0-based index of the
    first, ``undecodable`` maps file-wide line indices to why they could not be decoded."""

    data: bytes
    first_line: int
    undecodable: dict[int, str]


def decoded_blocks(
    path: Path,
    plan: DecodePlan,
    size: int = BLOCK_BYTES,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[TextBlock]:
    """The blocks of ``path`` decoded as ``plan`` says; ``on_bytes`` gets each block's size in
    the file (for a progress bar)."""
    line = 0
    for block in raw_blocks(path, size, plan.skip):
        if on_bytes is not None:
            on_bytes(len(block))
        data, undecodable = block, {}
        if plan.codec is not None:
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                data, local = replace_lines(block, non_utf8_lines(block), plan.codec, plan.read_as)
                undecodable = {line + i: why for i, why in local.items()}
        yield TextBlock(data, line, undecodable)
        line += block.count(b"\n")
