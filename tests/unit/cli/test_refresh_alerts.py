"""``cible refresh`` alerts: the drift summary POSTed to ``alert_webhook`` (a local server)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cible.cli.main import app
from cible.config.refresh import load_refresh_config
from cible.exceptions import ConfigError
from cible.services.refresh import run_refresh
from tests.unit.activation.local_server import Behaviour, LocalServer
from tests.unit.cli.test_refresh_command import AS_OF, _config, project

__all__ = ["project"]  # the fixture, imported for these tests
runner = CliRunner()


def _with_webhook(path: Path, url: str, **policy: object) -> Path:
    body = yaml.safe_load(path.read_text())
    body["alert_webhook"] = url
    body["policy"] = {**body["policy"], **policy}
    out = path.with_name(f"hook_{path.name}")
    out.write_text(yaml.safe_dump(body))
    return out


def test_drift_posts_the_summary_once_with_an_idempotency_key(project: Path) -> None:
    behaviour = Behaviour()
    with LocalServer(behaviour) as server:
        path = _with_webhook(
            _config(project, "shifted"), f"{server.url}/hooks/drift", major_share=0.5
        )
        out = runner.invoke(app, ["refresh", "--config", str(path), "--as-of", "2024-04-01"])
    assert out.exit_code == 0, out.output
    assert "alert delivered to the webhook (HTTP 200)" in out.output
    [request] = behaviour.requests
    assert (request.method, request.path) == ("POST", "/hooks/drift")
    assert request.headers["Idempotency-Key"] == hashlib.sha256(request.body).hexdigest()
    body = request.json()
    assert (body["event"], body["action"], body["active_version"]) == (
        "cible.segment_drift",
        "alert",
        1,
    )
    assert body["watched_features"] == ["x0", "x1", "x2", "x3"]
    assert body["drifted_share"] == 0.25
    [x0] = body["drifted_features"]
    assert x0["feature"] == "x0" and x0["kind"] == "numeric"
    assert 0.4 < x0["effect"] < 0.6 and x0["q_value"] < 1e-6  # the planted 0.5 sd shift
    written = json.loads((project / "refresh" / "refresh.json").read_text())
    assert written["alert"] == {"sent": True, "status": 200, "error": None}


def test_a_retrain_decision_alerts_too_and_a_quiet_one_does_not(project: Path) -> None:
    behaviour = Behaviour()
    with LocalServer(behaviour) as server:
        body = yaml.safe_load(_config(project, "shifted").read_text())
        body.update(pipeline="cible.yaml", alert_webhook=server.url)
        body["policy"] = {"on_major_drift": "retrain", "major_share": 0.25}  # 1 of 4: exactly
        path = project / "retrain_hook.yaml"
        path.write_text(yaml.safe_dump(body))
        result = run_refresh(load_refresh_config(path), as_of=AS_OF, retrain=lambda cfg: 2)
        assert (result.decision.action, result.new_version) == ("retrain", 2)
        assert [r.json()["action"] for r in behaviour.requests] == ["retrain"]
        quiet = _with_webhook(_config(project, "same"), server.url)
        calm = run_refresh(load_refresh_config(quiet), as_of=AS_OF)
    assert calm.decision.action == "rescore" and calm.alert is None
    assert len(behaviour.requests) == 1  # nothing posted for the quiet refresh


def test_a_failing_webhook_is_retried_then_recorded_without_undoing_the_refresh(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    behaviour = Behaviour(fail_share=1.0)
    with LocalServer(behaviour) as server, caplog.at_level(logging.ERROR, "cible.refresh"):
        path = _with_webhook(_config(project, "shifted"), server.url, major_share=0.5)
        result = run_refresh(load_refresh_config(path), as_of=AS_OF)
    assert result.decision.action == "alert"
    assert len(behaviour.requests) == 5  # ALERT_RETRIES.attempts
    assert len({r.headers["Idempotency-Key"] for r in behaviour.requests}) == 1
    assert result.alert is not None and result.alert["sent"] is False
    assert "still failing after 5 attempts" in result.alert["error"]
    assert "alert not delivered" in caplog.text
    assert (project / "refresh" / "drift.html").is_file()


def test_an_alert_webhook_that_is_not_http_is_a_configuration_error(project: Path) -> None:
    path = _with_webhook(_config(project, "shifted"), "ftp://example.invalid/hook")
    with pytest.raises(ConfigError, match=r"alert_webhook='ftp://example.invalid/hook': give an"):
        load_refresh_config(path)
