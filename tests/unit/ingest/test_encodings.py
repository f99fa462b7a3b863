"""Encodings decoded per line: a UTF-8 file with a few Latin-1/cp1252 lines, UTF-16 with a BOM,
an explicit encoding that cannot decode a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cible.config import SourceConfig
from cible.ingest.decode import choose_fallback, decode_text
from cible.ingest.engine import map_source
from cible.ingest.readers import read_source

CITIES = ["Besançon", "Nîmes", "Sainte-Foy-lès-Lyon", "Orléans", "Saint-Étienne", "Metz"]


def _source(path: Path, **kw: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "crm",
            "kind": "customers",
            "path": str(path),
            "fields": {
                "customer_id": "id",
                "city": {"column": "ville", "standardize": "none"},
                "last_name": {"column": "nom", "standardize": "none"},
            },
            **kw,
        }
    )


def _mixed(path: Path) -> list[tuple[str, str, str]]:
    """A UTF-8 file where line 4 is Latin-1 and line 6 cp1252 (with the euro sign 0x80)."""
    rows = [(f"C{i}", CITIES[i % len(CITIES)], f"Nom{i}") for i in range(1, 9)]
    rows[2] = ("C3", "Besançon", "Lefèvre")
    rows[4] = ("C5", "Orléans", "Dupré 5€")
    out = b"id;ville;nom\n"
    for i, row in enumerate(rows):
        codec = {2: "latin-1", 4: "cp1252"}.get(i, "utf-8")
        out += ";".join(row).encode(codec) + b"\n"
    path.write_bytes(out)
    return rows


def test_utf8_file_with_latin1_and_cp1252_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    rows = _mixed(path)
    raw = read_source(path, _source(path))
    assert (raw.encoding, raw.fallback_encoding, raw.fallback_lines) == ("utf-8", "cp1252", 2)
    assert raw.malformed == []
    got = list(zip(*(raw.table.column(c).to_pylist() for c in ("id", "ville", "nom")), strict=True))
    assert got == rows
    result = map_source(_source(path), raw)
    assert result.read == result.accepted.num_rows == 8
    assert result.accepted.column("city").to_pylist() == [r[1] for r in rows]
    assert result.accepted.column("last_name").to_pylist() == [r[2] for r in rows]
    assert (result.fallback_encoding, result.fallback_lines) == ("cp1252", 2)


@pytest.mark.parametrize(
    ("codec", "label"), [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be")]
)
def test_utf16_with_bom(tmp_path: Path, codec: str, label: str) -> None:
    path = tmp_path / "c.txt"
    text = "id\tville\tnom\r\n" + "".join(f"C{i}\t{c}\tÉlodie 😀\r\n" for i, c in enumerate(CITIES))
    bom = "\ufeff".encode(codec)
    path.write_bytes(bom + text.encode(codec))
    raw = read_source(path, _source(path))
    assert (raw.encoding, raw.delimiter, raw.fallback_lines) == (label, "\t", 0)
    assert raw.table.column("ville").to_pylist() == CITIES
    assert raw.table.column("nom").to_pylist() == ["Élodie 😀"] * len(CITIES)
    result = map_source(_source(path), raw)
    assert result.accepted.column("city").to_pylist() == CITIES


def test_explicit_encoding_quarantines_the_line_it_cannot_decode(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("id;ville;nom\nC1;Nîmes;A\n".encode() + b"C2;Besan\xe7on;B\nC3;Metz;C\n")
    raw = read_source(path, _source(path, encoding="utf-8"))
    assert raw.encoding == "utf-8"
    assert raw.table.column("ville").to_pylist() == ["Nîmes", "Metz"]
    assert raw.table.column("__row").to_pylist() == [1, 3]
    [bad] = raw.malformed
    assert (bad.row, bad.line, bad.text) == (2, 3, "C2;Besan\\xe7on;B")
    assert bad.message == "cannot be decoded as utf-8 (bytes kept as \\xNN) (line 3)"
    result = map_source(_source(path, encoding="utf-8"), raw)
    assert result.read == 3
    assert result.quarantine.column("value").to_pylist() == ["C2;Besan\\xe7on;B"]


def test_explicit_single_byte_encoding(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"id;ville;nom\nC1;Besan\xe7on;5\x80\nC2;x\x81y;B\n")
    raw = read_source(path, _source(path, encoding="cp1252"))
    assert raw.table.column("nom").to_pylist() == ["5€"]
    assert [(m.row, m.text) for m in raw.malformed] == [(2, "C2;x\\x81y;B")]
    raw = read_source(path, _source(path, encoding="latin-1"))
    assert raw.table.column("nom").to_pylist() == ["5\x80", "B"]


def test_utf8_bom_and_an_unknown_encoding(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xef\xbb\xbfid;ville;nom\nC1;N\xc3\xaemes;A\n")
    raw = read_source(path, _source(path))
    assert (raw.encoding, raw.table.column_names) == ("utf-8-sig", ["id", "ville", "nom", "__row"])
    with pytest.raises(Exception, match=r"c\.csv: unknown encoding 'klingon'"):
        read_source(path, _source(path, encoding="klingon"))


def test_jsonl_lines_are_decoded_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(
        '{"id": "a", "ville": "Nîmes"}\n'.encode()
        + b'{"id": "b", "ville": "Besan\xe7on"}\n'
        + b'{"id": "c", "ville": '
        + b"x" * 300
        + b"\n"
    )
    raw = read_source(path, _source(path))
    assert (raw.encoding, raw.fallback_encoding, raw.fallback_lines) == ("utf-8", "cp1252", 1)
    assert raw.table.column("ville").to_pylist() == ["Nîmes", "Besançon"]
    [bad] = raw.malformed
    assert (bad.row, bad.line) == (3, 3)
    assert bad.text == '{"id": "c", "ville": ' + "x" * 300  # kept whole
    raw = read_source(path, _source(path, encoding="utf-8"))
    assert [m.row for m in raw.malformed] == [2, 3]
    assert raw.malformed[0].text == '{"id": "b", "ville": "Besan\\xe7on"}'


def test_pure_single_byte_file_is_read_in_that_encoding() -> None:
    decoded = decode_text("id;ville\n1;Besançon\n2;Metz\n".encode("latin-1"))
    assert (decoded.encoding, decoded.fallback_encoding, decoded.fallback_lines) == (
        "cp1252",
        None,
        0,
    )
    assert decoded.data == "id;ville\n1;Besançon\n2;Metz\n".encode()


def test_classic_mac_line_ends() -> None:
    assert decode_text(b"id,a\r1,x\r").data == b"id,a\n1,x\n"


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("Sainte-Foy-lès-Lyon;Françoise", "latin-1", "cp1252"),  # cp1250 ties, would give 'č'
        ("Łódź;Kraków;Świętokrzyskie;Gdańsk;Żółw", "cp1250", "cp1250"),
    ],
)
def test_choose_fallback(text: str, codec: str, expected: str) -> None:
    assert choose_fallback([text.encode(codec)]) == expected


def test_choose_fallback_when_cp1252_cannot_decode() -> None:
    # 0x81 and 0x8d are undefined in cp1252; charset-normalizer proposes only multi-byte codecs
    assert choose_fallback([b"\x81\x8dA"]) == "iso8859-1"


def test_named_fallback_encoding(tmp_path: Path) -> None:
    """charset-normalizer rates cp1252 quotes and dashes as noise on this short line (it picks
    cp1257, 'déją'); the source option names the fallback instead."""
    path = tmp_path / "c.csv"
    line = "C2;Besançon;« déjà » – 5€"
    path.write_bytes("id;ville;nom\nC1;Nîmes;A\n".encode() + line.encode("cp1252") + b"\n")
    raw = read_source(path, _source(path, fallback_encoding="cp1252"))
    assert (raw.encoding, raw.fallback_encoding, raw.fallback_lines) == ("utf-8", "cp1252", 1)
    assert raw.table.column("nom").to_pylist() == ["A", "« déjà » – 5€"]
    path.write_bytes("id;ville;nom\nC1;Nîmes;A\n".encode() + b"C2;x\x81y;B\n")
    raw = read_source(path, _source(path, fallback_encoding="cp1252"))
    assert [(m.row, m.text) for m in raw.malformed] == [(2, "C2;x\\x81y;B")]
    assert raw.malformed[0].message == (
        "cannot be decoded as utf-8 nor cp1252 (bytes kept as \\xNN) (line 3)"
    )
