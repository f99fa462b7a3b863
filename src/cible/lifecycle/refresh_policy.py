"""The refresh policy: a drift report (and optionally the segment-size drift) -> one action.

* no watched feature drifted and the segment sizes did not drift -> ``on_quiet`` (default
  ``rescore``: recompute features and memberships with the active model);
* the share of drifted features is ``>= major_share`` (default 0.25), or the segment sizes
  drifted -> ``on_major_drift`` (default ``retrain``);
* otherwise (some drift) -> ``on_drift`` (default ``alert``: log and report, change nothing).

A pure function: the service (``cible refresh``) carries the action out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cible.exceptions import LifecycleError
from cible.lifecycle.drift.detector import DriftReport
from cible.lifecycle.drift.histogram import StatResult

Action = Literal["none", "alert", "rescore", "retrain"]
ACTIONS = ("none", "alert", "rescore", "retrain")


@dataclass(frozen=True)
class RefreshPolicy:
    on_quiet: Action = "rescore"
    on_drift: Action = "alert"
    on_major_drift: Action = "retrain"
    major_share: float = 0.25

    def __post_init__(self) -> None:
        for name in ("on_quiet", "on_drift", "on_major_drift"):
            if getattr(self, name) not in ACTIONS:
                raise LifecycleError(f"{name}={getattr(self, name)!r}: one of {list(ACTIONS)}")
        if not 0 < self.major_share <= 1:
            raise LifecycleError(f"major_share={self.major_share}: give a share in (0, 1]")


@dataclass(frozen=True)
class RefreshDecision:
    action: Action
    reason: str
    drifted: tuple[str, ...]
    drifted_share: float


def decide_action(
    report: DriftReport,
    policy: RefreshPolicy | None = None,
    segment_sizes: StatResult | None = None,
) -> RefreshDecision:
    """The action for ``report`` under ``policy`` (module docstring)."""
    policy = policy or RefreshPolicy()
    drifted = tuple(report.drifted_features)
    share = len(drifted) / len(report.features) if report.features else 0.0
    sizes = segment_sizes is not None and segment_sizes.drifted
    if share >= policy.major_share or sizes:
        why = [f"{len(drifted)} of {len(report.features)} features drifted ({share:.0%})"]
        if sizes and segment_sizes is not None:
            why.append(f"segment sizes drifted (PSI {segment_sizes.score:.3f})")
        return RefreshDecision(policy.on_major_drift, "; ".join(why), drifted, share)
    if drifted:
        reason = (
            f"drift on {', '.join(drifted)} ({share:.0%} of the features, under the major share)"
        )
        return RefreshDecision(policy.on_drift, reason, drifted, share)
    return RefreshDecision(policy.on_quiet, "no feature drifted", drifted, share)
