"""Deterministic assignment of customers to the arms of an experiment, with a holdout group.

Each customer gets a uniform number ``u = int(sha256("<experiment_id>:<customer_id>")[:16], 16)
/ 2**64`` in ``[0, 1)``: the same customer always lands in the same arm of the same experiment,
and two experiments are independent. ``u < holdout`` puts the customer in the holdout (never
contacted, never analysed as an arm); the rest of ``[holdout, 1)`` is cut in proportion to the
arm weights, in the order the arms are given.

Stratified (``strata`` given): within each stratum the customers are ranked by ``u`` and the
rank midpoint ``(r + 0.5) / n`` replaces ``u``, so every stratum (segment) is split as close to
the plan as whole customers allow. The assignment is still a pure function of the population and
the experiment id; a customer's arm can move only when the stratum's population changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cible.exceptions import ExperimentError

HOLDOUT = "holdout"


def hash_uniform(experiment_id: str, customer_ids: Sequence[str]) -> np.ndarray:
    """The uniform number in ``[0, 1)`` of each customer for ``experiment_id``."""
    out = np.empty(len(customer_ids), dtype=np.float64)
    for i, cid in enumerate(customer_ids):
        digest = hashlib.sha256(f"{experiment_id}:{cid}".encode()).hexdigest()
        out[i] = int(digest[:16], 16) / 2.0**64
    return out


@dataclass(frozen=True)
class AssignmentPlan:
    """Arms with their weights (any positive numbers; normalised) and the holdout share."""

    experiment_id: str
    arms: Mapping[str, float]
    holdout: float = 0.0

    def cutpoints(self) -> tuple[list[str], np.ndarray]:
        """Arm names and the upper bound of each arm's slice of ``[0, 1)``."""
        if not self.arms:
            raise ExperimentError(f"experiment {self.experiment_id!r}: no arm to assign to")
        if HOLDOUT in self.arms:
            raise ExperimentError(f"arm name {HOLDOUT!r} is reserved for the holdout group")
        bad = {k: v for k, v in self.arms.items() if not v > 0}
        if bad:
            raise ExperimentError(f"arm weights must be > 0, got {bad}")
        if not 0.0 <= self.holdout < 1.0:
            raise ExperimentError(f"holdout must be in [0, 1), got {self.holdout}")
        names = list(self.arms)
        w = np.array([self.arms[n] for n in names], dtype=np.float64)
        upper = self.holdout + (1.0 - self.holdout) * np.cumsum(w) / w.sum()
        upper[-1] = 1.0
        return names, upper


def assign(
    customer_ids: Sequence[str], plan: AssignmentPlan, strata: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per customer: ``customer_id``, ``stratum`` (or ``None``), ``u``, ``arm``.

    Repeated customer ids are refused (one customer, one arm)."""
    ids = [str(c) for c in customer_ids]
    seen: dict[str, int] = {}
    for row, cid in enumerate(ids, start=1):
        if cid in seen:
            raise ExperimentError(
                f"customer id repeated at rows {seen[cid]:,} and {row:,}: one arm per customer"
            )
        seen[cid] = row
    names, upper = plan.cutpoints()
    u = hash_uniform(plan.experiment_id, ids)
    position = u.copy()
    if strata is not None:
        if len(strata) != len(ids):
            raise ExperimentError(f"{len(strata):,} strata for {len(ids):,} customers")
        frame = pd.DataFrame({"s": [str(s) for s in strata], "u": u})
        rank = frame.groupby("s")["u"].rank(method="first").to_numpy() - 1.0
        size = frame.groupby("s")["u"].transform("size").to_numpy()
        position = (rank + 0.5) / size
    arm = np.where(
        position < plan.holdout,
        HOLDOUT,
        np.array(names, dtype=object)[np.searchsorted(upper, position, side="right")],
    )
    return pd.DataFrame(
        {
            "customer_id": ids,
            "stratum": list(strata) if strata is not None else [None] * len(ids),
            "u": u,
            "arm": arm,
        }
    )
