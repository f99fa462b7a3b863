"""Bytes of a text file -> UTF-8, each line decoded on its own when the file mixes encodings.

With ``encoding: auto`` a file is read as UTF-8 (a UTF-8 BOM is dropped) line by line: a line
that is not valid UTF-8 is decoded with one single-byte *fallback* encoding, chosen by
`charset-normalizer <https://charset-normalizer.readthedocs.io>`_ from the bytes of all such
lines. Among the candidates charset-normalizer ranks equally best (same mess and coherence
ratios, or the encodings it says give the same text) cp1252 is preferred, then latin-1; when it
proposes nothing that is a single-byte encoding decoding every such line, cp1252 is used when it
decodes them all, else latin-1 (which decodes any byte). The source option
``fallback_encoding`` names the codec instead (charset-normalizer can misjudge a few short
lines: it may rate cp1252 punctuation such as ``«`` and ``–`` as noise). When no line at all needed UTF-8 (the
others are plain ASCII), the file's encoding *is* the fallback and no line counts as a fallback.
A file starting with a UTF-16 BOM (Excel's "Unicode text") is decoded as UTF-16 LE/BE.

With an explicit encoding every line is decoded with it; bytes it cannot decode are kept as
backslash escapes (``\\xe9``) and the line is reported in :attr:`DecodedText.undecodable` so
the reader can quarantine the record it belongs to (never drop it).

The result is the file re-encoded as UTF-8 with the same lines (split on ``\\n`` only; a ``\\r``
before it is left for the reader, so that a ``\\r\\n`` inside a quoted CSV value is kept); a file
with ``\\r`` but no ``\\n`` (classic Mac) gets ``\\n`` line ends.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding

from cible.exceptions import SourceFormatError

PREFERRED_FALLBACKS: tuple[str, ...] = ("cp1252", "latin_1")
_BOMS_16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class DecodedText:
    """A file's text re-encoded as UTF-8 and how it was decoded.

    ``data`` holds the same lines as the file (a BOM dropped; lines end with ``\\n``).
    ``fallback_lines`` is the number of lines that were not UTF-8 and were decoded with
    ``fallback_encoding``; ``undecodable`` maps the 0-based index of each line holding bytes the
    encoding cannot decode to a message (those bytes are kept in ``data`` as ``\\xNN``)."""

    data: bytes
    encoding: str
    fallback_encoding: str | None = None
    fallback_lines: int = 0
    undecodable: dict[int, str] = field(default_factory=dict)


def decode_text(data: bytes, encoding: str = "auto", fallback: str = "auto") -> DecodedText:
    """Decode ``data`` as described in the module docstring; ``encoding`` is ``auto`` or a codec
    name, ``fallback`` (with ``auto`` only) ``auto`` or the codec for the lines that are not
    UTF-8. Raises :class:`SourceFormatError` for an unknown codec name."""
    if fallback != "auto":
        try:
            fallback = codecs.lookup(fallback).name
        except LookupError as e:
            raise SourceFormatError(f"unknown fallback encoding '{fallback}': {e}") from e
    if encoding == "auto":
        for bom, name in _BOMS_16:
            if data.startswith(bom):
                return _decode_strict(data[len(bom) :], name, name)
        if data.startswith(codecs.BOM_UTF8):
            return _decode_utf8_per_line(data[len(codecs.BOM_UTF8) :], "utf-8-sig", fallback)
        return _decode_utf8_per_line(data, "utf-8", fallback)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as e:
        raise SourceFormatError(f"unknown encoding '{encoding}': {e}") from e
    if codec in ("utf-8-sig", "utf-8") and data.startswith(codecs.BOM_UTF8):
        return _decode_strict(data[len(codecs.BOM_UTF8) :], "utf-8", encoding)
    if codec == "utf-16":
        for bom, name in _BOMS_16:
            if data.startswith(bom):
                return _decode_strict(data[len(bom) :], name, encoding)
        codec = "utf-16-le"
    return _decode_strict(data, "utf-8" if codec == "utf-8-sig" else codec, encoding)


def _mac_newlines(data: bytes) -> bytes:
    """A file with ``\\r`` but no ``\\n`` (classic Mac) gets ``\\n`` line ends."""
    return data.replace(b"\r", b"\n") if b"\n" not in data and b"\r" in data else data


def _decode_strict(data: bytes, codec: str, label: str) -> DecodedText:
    """Every line with ``codec``; undecodable bytes become ``\\xNN`` and their line is reported."""
    try:
        text = codecs.decode(data, codec)
    except UnicodeDecodeError:
        pass
    else:
        utf8 = data if codec == "utf-8" else text.encode("utf-8")
        return DecodedText(_mac_newlines(utf8), label)
    view = memoryview(data)
    parts: list[str] = []
    bad_offsets: list[int] = []  # character offsets (in the decoded text) of undecodable bytes
    size, pos = 0, 0
    while pos < len(data):
        try:
            parts.append(codecs.decode(view[pos:], codec))
            break
        except UnicodeDecodeError as e:
            good = codecs.decode(view[pos : pos + e.start], codec)
            escaped = "".join(f"\\x{b:02x}" for b in bytes(view[pos + e.start : pos + e.end]))
            parts += [good, escaped]
            bad_offsets.append(size + len(good))
            size += len(good) + len(escaped)
            pos += e.end
    text = "".join(parts)
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    undecodable: dict[int, str] = {}
    for offset in bad_offsets:
        i = text.count("\n", 0, offset)
        undecodable.setdefault(i, f"cannot be decoded as {label} (bytes kept as \\xNN)")
    return DecodedText(text.encode("utf-8"), label, undecodable=undecodable)


def _decode_utf8_per_line(data: bytes, label: str, fallback: str) -> DecodedText:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return DecodedText(_mac_newlines(data), label)
    spans = non_utf8_lines(data)
    if fallback == "auto":
        fallback = choose_fallback([data[a:b] for a, b in spans])
    utf8, undecodable = replace_lines(data, spans, fallback, label)
    utf8 = _mac_newlines(utf8)
    utf8_needed = any(not data[a:b].isascii() for a, b in _gaps(spans, len(data)))
    if not utf8_needed:  # only ASCII besides the fallback lines: the file is in that encoding
        return DecodedText(utf8, fallback, undecodable=undecodable)
    return DecodedText(utf8, label, fallback, len(spans), undecodable)


def replace_lines(
    data: bytes, spans: list[tuple[int, int]], fallback: str, label: str
) -> tuple[bytes, dict[int, str]]:
    """``data`` with the non-UTF-8 lines ``spans`` decoded with ``fallback``, and the 0-based
    index of each line ``fallback`` cannot decode either (its bytes kept as ``\\xNN``)."""
    parts: list[bytes] = []
    undecodable: dict[int, str] = {}  # only with a named fallback: "auto" decodes every line
    pos = 0
    for a, b in spans:
        line = data[a:b].decode(fallback, errors="backslashreplace")
        if not _decodes_all([data[a:b]], fallback):
            undecodable[data.count(b"\n", 0, a)] = (
                f"cannot be decoded as {label} nor {fallback} (bytes kept as \\xNN)"
            )
        parts += [data[pos:a], line.encode("utf-8")]
        pos = b
    parts.append(data[pos:])
    return b"".join(parts), undecodable


def _gaps(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    ends = [0] + [b for _, b in spans]
    starts = [a for a, _ in spans] + [size]
    return list(zip(ends, starts, strict=True))


def non_utf8_lines(data: bytes) -> list[tuple[int, int]]:
    """Byte spans ``[start, end)`` of the lines (without their newline) that are not UTF-8."""
    newline = b"\n" if b"\n" in data or b"\r" not in data else b"\r"
    view = memoryview(data)
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(data):
        try:
            codecs.utf_8_decode(view[pos:], "strict", True)
            break
        except UnicodeDecodeError as e:
            err = pos + e.start
            start = data.rfind(newline, 0, err) + 1
            end = data.find(newline, err)
            end = len(data) if end < 0 else end
            spans.append((start, end))
            pos = end
    return spans


def choose_fallback(lines: list[bytes]) -> str:
    """The single-byte encoding for ``lines`` (not UTF-8): see the module docstring."""
    payload = b"\n".join(lines)
    matches = list(from_bytes(payload))
    if matches:
        best = matches[0]
        tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
        candidates = [c for m in tied for c in [m.encoding, *m.could_be_from_charset]]
        ranked = [c for c in PREFERRED_FALLBACKS if c in candidates] + candidates
        for name in ranked:
            if not is_multi_byte_encoding(name) and _decodes_all(lines, name):
                return codecs.lookup(name).name
    return "cp1252" if _decodes_all(lines, "cp1252") else "iso8859-1"


def _decodes_all(lines: list[bytes], codec: str) -> bool:
    try:
        for line in lines:
            line.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True
