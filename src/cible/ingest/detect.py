"""Sniffing of the CSV delimiter (the text encoding is decoded in :mod:`cible.ingest.decode`)."""

from __future__ import annotations

from collections.abc import Iterator

from cible.ingest.csvscan import parse_record

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


def _field_counts(lines: list[str], delim: str) -> Iterator[int]:
    """Fields per record, records parsed as the reader does (a quoted value may span lines); a
    damaged record counts as -1 and scanning resumes at the next line, as in the reader."""
    i = 0
    while i < len(lines):
        text, j = lines[i], i
        p = parse_record(text, delim)
        while p.status == "open" and j + 1 < len(lines):
            j += 1
            text = text + "\n" + lines[j]
            p = parse_record(text, delim)
        if p.status == "ok":
            yield len(p.fields)
            i = j + 1
        else:
            yield -1
            i += 1


def detect_delimiter(sample_lines: list[str]) -> str | None:
    """The delimiter among ``, ; tab |`` that splits the header and the first records into the
    same, largest number of fields; ``None`` when no candidate splits the header at all.

    Records are parsed with the reader's quoting rules, so a delimiter inside a quoted value
    (even one spanning lines) is not counted, and a damaged record only lowers the consistency
    of the candidates it breaks."""
    lines = [ln.rstrip("\r\n") for ln in sample_lines if ln.strip()][:50]
    if not lines:
        return None
    best: tuple[float, str] | None = None
    for d in DELIMITERS:
        counts = list(_field_counts(lines, d))
        if counts[0] < 2:
            continue
        consistency = sum(c == counts[0] for c in counts) / len(counts)
        score = consistency * 1000 + counts[0]
        if best is None or score > best[0]:
            best = (score, d)
    return best[1] if best else None
