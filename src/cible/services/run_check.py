"""``cible check --out RUN``: the gate between a batch run and its publication.

A scheduled retrain (cron, Airflow, Prefect, Kubeflow: docs/operations.md) should publish only a
segmentation that holds. The checks read the run's own files and compare each figure with a
threshold:

| check | figure (file) | passes when |
|---|---|---|
| ``gates`` | ``chosen_passed_all_gates`` (selection.json): the chosen candidate passed every selection gate, it is not the fallback chosen when none did | true |
| ``stability`` | mean bootstrap ARI of the segmentation (validation.json, ``stability.mean_ari``) | ``>= min_stability`` (default 0.75) |
| ``segment_stability`` | the lowest per-segment mean Jaccard (validation.json; Hennig: < 0.5 is a dissolved cluster) | ``>= min_segment_jaccard`` (default 0.5) |
| ``smallest_share`` | the smallest segment's share of the segmented customers (selection.json) | ``>= min_segment_share`` (default 0.02) |

A figure exactly at its threshold passes. A run without one of the files, or whose file lacks the
figure (a run that skipped the stability bootstrap), fails that check with the reason, rather
than passing silently. The result is written to ``check.json`` in the run folder.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cible.exceptions import NotFoundError


@dataclass(frozen=True)
class CheckThresholds:
    min_stability: float = 0.75
    min_segment_jaccard: float = 0.5
    min_segment_share: float = 0.02


@dataclass(frozen=True)
class Check:
    name: str
    value: float | bool | None
    threshold: float | bool
    passed: bool
    reason: str


@dataclass(frozen=True)
class RunCheck:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "checks": [asdict(c) for c in self.checks]}


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise NotFoundError(f"{path}: not found; give the folder of a `cible run`")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _at_least(name: str, value: float | None, threshold: float, what: str) -> Check:
    if value is None:
        return Check(name, None, threshold, False, f"{what}: not in the run's files")
    ok = value >= threshold
    verb = ">=" if ok else "<"
    return Check(name, round(value, 6), threshold, ok, f"{what} {value:.4f} {verb} {threshold}")


def check_run(run_dir: Path, thresholds: CheckThresholds | None = None) -> RunCheck:
    """The checks of the module docstring on the run in ``run_dir``; writes ``check.json``."""
    t = thresholds or CheckThresholds()
    selection = _read(run_dir / "selection.json")
    validation = _read(run_dir / "validation.json")
    candidates: list[dict[str, Any]] = selection.get("candidates", [])
    chosen: dict[str, Any] = next((c for c in candidates if c.get("chosen")), {})
    gates = bool(selection.get("chosen_passed_all_gates", False))
    failed_gates = sorted(k for k, v in (chosen.get("gates") or {}).items() if not v)
    gate_reason = (
        "the chosen candidate passed every selection gate"
        if gates
        else f"no candidate passed every gate; the chosen one failed {failed_gates or 'some'}"
    )
    stability = validation.get("stability") or {}
    jaccards = [s["mean_jaccard"] for s in stability.get("segments", []) if "mean_jaccard" in s]
    checks = (
        Check("gates", gates, True, gates, gate_reason),
        _at_least("stability", stability.get("mean_ari"), t.min_stability, "mean bootstrap ARI"),
        _at_least(
            "segment_stability",
            min(jaccards) if jaccards else None,
            t.min_segment_jaccard,
            "lowest segment Jaccard",
        ),
        _at_least(
            "smallest_share",
            chosen.get("smallest_share"),
            t.min_segment_share,
            "smallest segment share",
        ),
    )
    result = RunCheck(checks)
    (run_dir / "check.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n", "utf-8")
    return result
