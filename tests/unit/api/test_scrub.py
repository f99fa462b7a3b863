"""The logging net: e-mail and phone shapes masked in any message; JSON lines with the fields."""

from __future__ import annotations

import io
import json
import logging

import pytest

from cible.api.logs import configure_logging, scrub


@pytest.mark.parametrize(
    "text",
    [
        "jane.doe+promo@example.co.uk",
        "+33 6 12 34 56 78",
        "+33612345678",
        "+1 (555) 123-4567",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "0612345678",
        "(555) 123-4567",
        "555-123-4567",
        "447911123456",
    ],
)
def test_personal_shapes_are_masked(text: str) -> None:
    out = scrub(f"customer wrote {text} today")
    assert text not in out
    assert out in ("customer wrote <email> today", "customer wrote <phone> today")


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-31T10:00:00+00:00",
        "C000123",
        "/v1/customers/{customer_id}/profile",
        "duration 12.345 ms",
        "123456789",  # 9 digits: below the 10 of a bare phone number
        "model version 12",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def test_json_lines_scrub_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging("info", stream)
    log = logging.getLogger("cible.api.test")
    log.info("upsert for %s", "ann@example.org")
    try:
        raise ValueError("bad phone +33 6 12 34 56 78")
    except ValueError:
        log.exception("failed")
    log.debug("below the level")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [x["msg"] for x in lines] == ["upsert for <email>", "failed"]
    assert lines[0]["level"] == "info" and lines[0]["logger"] == "cible.api.test"
    assert "<phone>" in lines[1]["exc"] and "12 34 56" not in lines[1]["exc"]


def test_configuring_twice_does_not_double_lines() -> None:
    stream = io.StringIO()
    configure_logging("info", io.StringIO())
    configure_logging("info", stream)
    logging.getLogger("cible").info("once")
    assert stream.getvalue().count('"once"') == 1


def test_clean_text_refuses_nul_and_lone_surrogates_anywhere() -> None:
    from cible.api.payloads import clean_text

    assert clean_text({"a": ["b", {"c": "d"}]}) == {"a": ["b", {"c": "d"}]}
    with pytest.raises(ValueError, match="contains a NUL character"):
        clean_text({"a": ["ok", "x\x00"]})
    with pytest.raises(ValueError, match="a lone surrogate"):
        clean_text({"k\udaa1": 1})
