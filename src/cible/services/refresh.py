"""``cible refresh --config FILE``: measure drift, decide by the policy, act.

The steps: (1) drift of the watched features from the reference to the current population,
counted in the DuckDB warehouse, plus the segment-size drift of the active model (sizes at
publish against its members now); (2) :func:`cible.lifecycle.refresh_policy.decide_action`;
(3) the action: ``alert`` logs a warning (feature names and figures only, no customer data),
``rescore`` recomputes every stored profile and re-scores it with the active model (idempotent),
``retrain`` re-runs the pipeline of ``pipeline:`` and publishes it as a new version, ``none``
does nothing. On ``alert`` and ``retrain`` the drift summary is also POSTed to ``alert_webhook``
when set (:mod:`cible.services.refresh_alerts`), before any retrain. ``drift.json``, ``drift.html`` and ``refresh.json`` are written to ``out`` every
time, so a cron job leaves its evidence.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from cible.config.refresh import RefreshConfig
from cible.exceptions import ConfigError
from cible.lifecycle.drift import DriftPolicy, DriftReport, detect_drift, segment_size_test
from cible.lifecycle.drift.histogram import StatResult
from cible.lifecycle.refresh_policy import RefreshDecision, RefreshPolicy, decide_action
from cible.services.refresh_alerts import ALERT_ACTIONS, drift_summary, post_alert
from cible.store import ProfileStore
from cible.store.versions import VersionRegistry

log = logging.getLogger("cible.refresh")
Retrain = Callable[[RefreshConfig], int]


@dataclass(frozen=True)
class RefreshResult:
    decision: RefreshDecision
    drift: DriftReport
    segment_sizes: StatResult | None
    scored: int = 0
    changed: int = 0
    new_version: int | None = None
    alert: dict[str, Any] | None = None  # the webhook's outcome, when one was posted

    def to_dict(self) -> dict[str, object]:
        d = self.decision
        return {
            "action": d.action,
            "reason": d.reason,
            "drifted": list(d.drifted),
            "drifted_share": d.drifted_share,
            "segment_sizes": self.segment_sizes.to_dict() if self.segment_sizes else None,
            "scored": self.scored,
            "changed": self.changed,
            "new_version": self.new_version,
            "alert": self.alert,
        }


def _drift(cfg: RefreshConfig) -> DriftReport:
    from cible.warehouse.duckdb import DuckDBWarehouse

    t = cfg.drift
    policy = DriftPolicy(alpha=t.alpha, min_effect=t.min_effect, min_psi=t.min_psi, bins=t.bins)
    with DuckDBWarehouse(cfg.path(cfg.warehouse)) as wh:
        return detect_drift(
            wh,
            cfg.reference,
            cfg.current,
            numeric=cfg.numeric,
            categorical=cfg.categorical,
            policy=policy,
        )


def _segment_sizes(registry: VersionRegistry) -> StatResult | None:
    versions = registry.list()
    if not versions:
        return None
    active = versions[-1]
    published = {s.segment_id: s.size_at_publish for s in active.segments}
    now = {s.segment_id: s.current_members for s in active.segments}
    if sum(published.values()) == 0 or sum(now.values()) == 0:
        return None
    return segment_size_test(published, now)


def retrain_with_pipeline(cfg: RefreshConfig) -> int:
    """Re-run the pipeline of ``cfg.pipeline`` into ``out/run`` and publish it; the version."""
    from cible.config import load_config
    from cible.lifecycle.tracking import MlflowTarget
    from cible.services.pipeline import run_pipeline
    from cible.services.publish import publish_run

    assert cfg.pipeline is not None  # checked by RefreshConfig
    pipeline = load_config(cfg.path(cfg.pipeline))
    run_dir = cfg.path(cfg.out) / "run"
    run_pipeline(pipeline, run_dir)
    m = cfg.mlflow
    tracking = MlflowTarget(m.tracking_uri, m.experiment) if m is not None else None
    return publish_run(run_dir, cfg.store, config=pipeline, tracking=tracking).version


def rescore_day(as_of: datetime | None, now: datetime | None = None) -> datetime:
    """The UTC midnight profiles are re-scored at: ``as_of`` when given (it must be a midnight,
    as every profile of the store is), else the start of today in UTC (features over the
    whole days before it, the same at 03:00 as at 23:59: a cron run is repeatable)."""
    if as_of is None:
        current = (now or datetime.now(UTC)).astimezone(UTC)
        return current.replace(hour=0, minute=0, second=0, microsecond=0)
    at = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=UTC)
    if at.astimezone(UTC).time() != time(0):
        raise ConfigError(
            f"--as-of {as_of.isoformat()}: give a day (YYYY-MM-DD); profiles are computed at "
            "a UTC midnight"
        )
    return at.astimezone(UTC)


def run_refresh(
    cfg: RefreshConfig,
    *,
    as_of: datetime | None = None,
    retrain: Retrain = retrain_with_pipeline,
) -> RefreshResult:
    """The three steps of the module docstring; ``as_of`` (a UTC midnight; default: today's,
    the last whole day) for re-scoring."""
    as_of = rescore_day(as_of)
    report = _drift(cfg)
    p = cfg.policy
    policy = RefreshPolicy(p.on_quiet, p.on_drift, p.on_major_drift, p.major_share)
    with ProfileStore.open(cfg.store) as store:
        registry = VersionRegistry(store.engine, store.url)
        sizes = _segment_sizes(registry)
        decision = decide_action(report, policy, sizes)
        alert = None
        if decision.action in ALERT_ACTIONS:
            log.warning("segment drift: %s -> %s", decision.reason, decision.action)
            if cfg.alert_webhook is not None:
                active = store.health()["model_version"]
                summary = drift_summary(decision, report, sizes, active)
                alert = post_alert(cfg.alert_webhook, summary)
        scored = changed = 0
        new_version = None
        if decision.action == "rescore":
            scored, changed = registry.rescore(as_of)
    if decision.action == "retrain":
        new_version = retrain(cfg)
    result = RefreshResult(decision, report, sizes, scored, changed, new_version, alert)
    _write(cfg.path(cfg.out), report, result)
    return result


def _write(out: Path, report: DriftReport, result: RefreshResult) -> None:
    out.mkdir(parents=True, exist_ok=True)
    from cible.reporting.lifecycle import render_drift_page

    for name, payload in (("drift.json", report.to_dict()), ("refresh.json", result.to_dict())):
        tmp = out / f".{name}.tmp"
        tmp.write_text(json.dumps(payload, indent=2, allow_nan=False, default=str) + "\n")
        tmp.replace(out / name)
    render_drift_page(out / ".drift.html.tmp", report, title="cible refresh").replace(
        out / "drift.html"
    )
