"""Sniffing of CSV text encoding and delimiter."""

from __future__ import annotations

import codecs
from pathlib import Path

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
_CHUNK = 1 << 20


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` when the file starts with a UTF-8 BOM, ``utf-8`` when every byte decodes as
    UTF-8, else ``latin-1`` (which decodes any byte, so a Windows/Latin-1 export is never lost)."""
    with path.open("rb") as fh:
        head = fh.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def _count_outside_quotes(line: str, delim: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            n += 1
    return n


def detect_delimiter(sample_lines: list[str]) -> str | None:
    """The delimiter among ``, ; tab |`` that splits the header and the first lines into the same,
    largest number of fields; ``None`` when no candidate splits the header at all."""
    lines = [ln for ln in sample_lines if ln.strip()][:50]
    if not lines:
        return None
    best: tuple[float, str] | None = None
    for d in DELIMITERS:
        counts = [_count_outside_quotes(ln, d) for ln in lines]
        if counts[0] == 0:
            continue
        consistency = sum(c == counts[0] for c in counts) / len(counts)
        score = consistency * 1000 + counts[0]
        if best is None or score > best[0]:
            best = (score, d)
    return best[1] if best else None


def read_sample_lines(path: Path, encoding: str, n: int = 50) -> list[str]:
    with path.open("r", encoding=encoding, newline="") as fh:
        return [line for _, line in zip(range(n), fh, strict=False)]
