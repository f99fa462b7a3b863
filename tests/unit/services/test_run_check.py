"""``cible check --out RUN``: each check at, under and over its threshold, missing figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cible.cli.main import app
from cible.exceptions import NotFoundError
from cible.services.run_check import CheckThresholds, check_run

runner = CliRunner()


def _run(
    tmp_path: Path,
    *,
    passed: bool = True,
    ari: float | None = 0.9,
    jaccards: tuple[float, ...] = (0.9, 0.8),
    smallest: float = 0.1,
) -> Path:
    gates = {"min_segment_share": passed, "at_least_2_segments": True}
    selection = {
        "chosen_passed_all_gates": passed,
        "candidates": [
            {"name": "kmeans(n_clusters=4)", "chosen": False, "smallest_share": 0.001},
            {
                "name": "kmeans(n_clusters=3)",
                "chosen": True,
                "smallest_share": smallest,
                "gates": gates,
            },
        ],
    }
    stability: dict[str, object] = {
        "segments": [{"segment": i, "mean_jaccard": j} for i, j in enumerate(jaccards)]
    }
    if ari is not None:
        stability["mean_ari"] = ari
    (tmp_path / "selection.json").write_text(json.dumps(selection))
    (tmp_path / "validation.json").write_text(json.dumps({"stability": stability}))
    return tmp_path


def test_a_sound_run_passes_every_check_and_writes_check_json(tmp_path: Path) -> None:
    result = check_run(_run(tmp_path))
    assert result.passed and [c.name for c in result.checks] == [
        "gates",
        "stability",
        "segment_stability",
        "smallest_share",
    ]
    written = json.loads((tmp_path / "check.json").read_text())
    assert written["passed"] is True
    assert written["checks"][1] == {
        "name": "stability",
        "value": 0.9,
        "threshold": 0.75,
        "passed": True,
        "reason": "mean bootstrap ARI 0.9000 >= 0.75",
    }
    assert written["checks"][2]["value"] == 0.8  # the lowest segment, not the mean


def test_each_figure_exactly_at_its_threshold_passes(tmp_path: Path) -> None:
    run = _run(tmp_path, ari=0.75, jaccards=(0.5, 0.9), smallest=0.02)
    assert check_run(run).passed


@pytest.mark.parametrize(
    ("kwargs", "failing"),
    [
        ({"ari": 0.7499}, "stability"),
        ({"jaccards": (0.9, 0.4999)}, "segment_stability"),
        ({"smallest": 0.0199}, "smallest_share"),
        ({"passed": False}, "gates"),
        ({"ari": None}, "stability"),
    ],
)
def test_a_figure_under_its_threshold_or_missing_fails_that_check_only(
    tmp_path: Path, kwargs: dict, failing: str
) -> None:
    result = check_run(_run(tmp_path, **kwargs))
    assert [c.name for c in result.failed()] == [failing]


def test_the_reasons_name_the_failed_gate_and_the_missing_figure(tmp_path: Path) -> None:
    result = check_run(_run(tmp_path, passed=False, ari=None))
    reasons = {c.name: c.reason for c in result.failed()}
    assert reasons == {
        "gates": "no candidate passed every gate; the chosen one failed ['min_segment_share']",
        "stability": "mean bootstrap ARI: not in the run's files",
    }


def test_thresholds_are_configurable(tmp_path: Path) -> None:
    run = _run(tmp_path, ari=0.6)
    assert not check_run(run).passed
    assert check_run(run, CheckThresholds(min_stability=0.6)).passed


def test_the_cli_exits_1_naming_the_failed_checks_and_0_when_all_pass(tmp_path: Path) -> None:
    bad = _run(tmp_path, ari=0.5)
    out = runner.invoke(app, ["check", "--out", str(bad)])
    assert out.exit_code == 1 and "the run fails stability: do not publish it" in out.output
    out = runner.invoke(app, ["check", "--out", str(bad), "--min-stability", "0.5"])
    assert out.exit_code == 0 and "every check passed" in out.output


def test_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"selection.json: not found; give the folder"):
        check_run(tmp_path)
    out = runner.invoke(app, ["check", "--out", str(tmp_path)])
    assert out.exit_code != 0 and "selection.json: not found" in out.output
