"""``cible audience`` / ``export`` refuse an invalid plan with the path of the bad node (exit 2)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cible.cli.main import app

BAD = """
audiences:
  - {name: a, channels: [email], rule: {field: monetary, ">": 1}}
  - name: b
    channels: [sms]
    rule:
      and:
        - {field: frequency, ">=": 1}
        - {field: monetary, between: [10, 5]}
"""


def test_an_invalid_rule_is_refused_with_its_path(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(BAD, encoding="utf-8")
    for command in (["audience"], ["export", "--store", f"sqlite:///{tmp_path / 's.db'}"]):
        result = CliRunner().invoke(app, [*command, "--plan", str(plan), "--out", str(tmp_path)])
        assert result.exit_code == 2, result.output
        flat = " ".join(result.output.split())
        assert "audiences[1].rule.and[1].between: lower bound 10 > upper bound 5" in flat


def test_a_missing_run_is_named(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(BAD.split("  - name: b")[0], encoding="utf-8")
    result = CliRunner().invoke(app, ["audience", "--plan", str(plan), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "features.parquet is missing" in " ".join(result.output.split())
