"""The JSON Lines verdict judged in DuckDB is the one ``json.loads`` gives line by line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cible.ingest.jsonscan import judge_lines

# lines yyjson (DuckDB's json_valid) accepts and json.loads refuses, the other way round, and
# the ordinary cases
TRICKY = [
    '{"a": 1}',
    '{"a": 1,}',  # trailing comma: yyjson yes, Python no
    '{"a": [1, 2, ]}',
    '{"a": null,   }',
    '{"a": Inf}',  # yyjson yes, Python no
    '{"a": -inf}',
    '{"a": nan}',
    '{"a": NaN}',  # both
    '{"a": Infinity}',  # both
    '{"a": "\\ud800"}',  # lone surrogate: yyjson no, Python yes
    '{"a": "Nantes, info"}',  # "nan"/"inf" inside a string: judged by Python, still good
    '{"a": 1} x',
    '{"a": 1}{}',
    "[1, 2]",  # valid JSON, not an object
    '"text"',
    "  ",  # blank: skipped
    "",
    '   {"a": 2}   ',
    '{"a": 01}',
    '{"a": "x\ty"}',  # a raw tab inside a string
    "{'a': 1}",
    '{"é": "ü"}',
    '{"a": 1}\x0b',
]


def _reference(lines: list[str]) -> tuple[list[int], list[tuple[int, str]]]:
    """What the per-line reader did: numbers of the object lines, (number, message) of the bad."""
    good, bad = [], []
    for n, raw in enumerate(lines, start=1):
        line = raw.encode().removesuffix(b"\r")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            bad.append((n, f"not valid JSON: {e.msg} at char {e.pos}"))
            continue
        if isinstance(obj, dict):
            good.append(n)
        else:
            bad.append((n, "a JSON line must hold an object"))
    return good, bad


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_line_gets_the_verdict_of_json_loads(newline: str) -> None:
    data = newline.join(TRICKY).encode() + newline.encode()
    judged = judge_lines(data, 0, {})
    good, bad = _reference(TRICKY)
    assert judged.numbers.tolist() == good
    assert [(n, m) for n, m, _ in judged.bad] == bad
    assert [n for n, _ in bad] == [2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 19, 20, 21, 23]
    # the object lines, \r removed, joined by \n, in order
    expected = [TRICKY[n - 1] for n in good]
    assert judged.body.decode().split("\n") == expected


def test_numbers_start_at_first_line_and_undecodable_lines_keep_their_reason() -> None:
    data = b'{"a": 1}\n\n{"a": "caf?"}\n{"a": 3'
    judged = judge_lines(data, 10, {12: "not valid utf-8: byte 0xe9"})
    assert judged.numbers.tolist() == [11]
    assert judged.bad[0] == (13, "not valid utf-8: byte 0xe9", '{"a": "caf?"}')
    assert judged.bad[1][0] == 14
    assert judged.bad[1][1].startswith("not valid JSON: Expecting ',' delimiter")


def test_blank_text_has_no_rows() -> None:
    judged = judge_lines(b" \n\r\n\n", 0, {})
    assert judged.body == b""
    assert judged.numbers.tolist() == []
    assert judged.bad == []


def test_many_lines_agree_with_json_loads() -> None:
    rng = np.random.default_rng(3)
    lines = [TRICKY[i] for i in rng.integers(0, len(TRICKY), 3_000)]
    judged = judge_lines("\n".join(lines).encode(), 0, {})
    good, bad = _reference(lines)
    assert judged.numbers.tolist() == good
    assert [(n, m) for n, m, _ in judged.bad] == bad
