"""``cible consume``: arguments refused before anything is opened."""

from __future__ import annotations

from typer.testing import CliRunner

from cible.cli.main import app


def _text(output: str) -> str:
    """The error panel's words, without its frame and line breaks."""
    return " ".join(output.replace("│", " ").split())


def test_an_unknown_bus_is_refused_with_the_choices() -> None:
    result = CliRunner().invoke(app, ["consume", "--store", "sqlite:///x.db", "--bus", "nats"])
    assert result.exit_code == 2
    assert "'nats' is not a bus: use one of inprocess, rabbitmq, kafka, redis" in _text(
        result.output
    )


def test_a_naive_or_malformed_as_of_is_refused() -> None:
    naive = CliRunner().invoke(app, ["consume", "--store", "s", "--as-of", "2026-04-20T00:00:00"])
    assert naive.exit_code == 2
    assert "has no time zone: add +00:00 for UTC" in _text(naive.output)
    bad = CliRunner().invoke(app, ["consume", "--store", "s", "--as-of", "20/04/2026"])
    assert bad.exit_code == 2 and "is not an ISO date-time" in _text(bad.output)


def test_batch_size_bounds() -> None:
    assert CliRunner().invoke(app, ["consume", "--store", "s", "--batch-size", "0"]).exit_code == 2
