"""How the automatic selection uses the forward-looking measure (``segmentation.forward``).

:mod:`cible.segmentation.forward` fits every candidate of the grid on the data before a holdout
cutoff and measures the ROC AUC of its segments on next-period purchase; the selection
(:func:`cible.segmentation.selection.select_segmentation`) takes that as a :class:`ForwardPreference`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeVar


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Scored(Protocol):
    @property
    def candidate(self) -> _Named: ...

    @property
    def gates(self) -> dict[str, bool]: ...


_S = TypeVar("_S", bound=_Scored)

FORWARD_GATE = "forward_auc_at_least_rfm"


@dataclass(frozen=True)
class ForwardPreference:
    """What each candidate's segments, fitted before the holdout cutoff, explain of next-period
    purchase (ROC AUC by candidate name), and how the selection uses it: ``tiebreak`` (tied
    candidates ordered by AUC first) or ``gate`` (AUC >= ``threshold``, the RFM segmentation's;
    a candidate without a measure fails)."""

    mode: Literal["tiebreak", "gate"]
    auc: Mapping[str, float]
    threshold: float

    def auc_of(self, candidate: _Named) -> float:
        return float(self.auc.get(candidate.name, math.nan))

    def gated(self, score: _S) -> _S:
        """``score`` (a :class:`~cible.segmentation.selection.CandidateScore`) with the forward
        gate added to its gates (``gate`` mode; unchanged otherwise)."""
        if self.mode != "gate":
            return score
        ok = bool(self.auc_of(score.candidate) >= self.threshold)
        return replace(score, gates={**score.gates, FORWARD_GATE: ok})  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        rule = (
            "tied candidates are ordered by the ROC AUC of their segments on next-period purchase "
            "(higher first) before noise, Davies-Bouldin and size"
            if self.mode == "tiebreak"
            else f"gate {FORWARD_GATE}: the candidate's next-period purchase ROC AUC must be at "
            f"least the RFM-quintile segmentation's ({self.threshold:.4f})"
        )
        return {
            "mode": self.mode,
            "rule": rule,
            "rfm_auc": _round(self.threshold),
            "auc": {k: _round(v) for k, v in self.auc.items()},
        }


def _round(x: float) -> float | None:
    return round(float(x), 6) if math.isfinite(x) else None
