"""How the automatic selection uses the forward-looking measure (``segmentation.forward``).

:mod:`cible.segmentation.forward` fits every candidate of the grid on the data before a holdout
cutoff and measures the ROC AUC of its segments on next-period purchase; the selection
(:func:`cible.segmentation.selection.select_segmentation`) takes that as a :class:`ForwardPreference`.

Three uses (``segmentation.forward.use_in_selection``):

* ``tiebreak``: candidates tied on the silhouette are ordered by that AUC first;
* ``gate``: the gate :data:`FORWARD_GATE`, the AUC at least the RFM-quintile segmentation's;
* ``best``: :meth:`ForwardPreference.prefer`; among the candidates that pass every gate and have
  no more segments than the RFM segmentation, the highest AUC wins (equal AUCs: the usual order).
  The silhouette then only ranks equal AUCs: the segments are chosen for what they predict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, TypeVar


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Scored(Protocol):
    @property
    def candidate(self) -> _Named: ...

    @property
    def gates(self) -> dict[str, bool]: ...

    @property
    def n_segments(self) -> int: ...


_S = TypeVar("_S", bound=_Scored)

FORWARD_GATE = "forward_auc_at_least_rfm"


@dataclass(frozen=True)
class ForwardPreference:
    """What each candidate's segments, fitted before the holdout cutoff, explain of next-period
    purchase (ROC AUC by candidate name), and how the selection uses it: ``tiebreak`` (tied
    candidates ordered by AUC first) or ``gate`` (AUC >= ``threshold``, the RFM segmentation's;
    a candidate without a measure fails)."""

    mode: Literal["tiebreak", "gate", "best"]
    auc: Mapping[str, float]
    threshold: float
    #: ``best``: segments of each candidate as measured before the cutoff (noise counts as one),
    #: and the RFM segmentation's count, the most a preferred candidate may have
    segments: Mapping[str, int] = field(default_factory=dict)
    rfm_segments: int | None = None

    def auc_of(self, candidate: _Named) -> float:
        return float(self.auc.get(candidate.name, math.nan))

    def gated(self, score: _S) -> _S:
        """``score`` (a :class:`~cible.segmentation.selection.CandidateScore`) with the forward
        gate added to its gates (``gate`` mode; unchanged otherwise)."""
        if self.mode != "gate":
            return score
        ok = bool(self.auc_of(score.candidate) >= self.threshold)
        return replace(score, gates={**score.gates, FORWARD_GATE: ok})  # type: ignore[type-var]

    def segments_of(self, score: _S) -> int:
        """The candidate's segments as measured before the cutoff (its own count otherwise)."""
        return int(self.segments.get(score.candidate.name, score.n_segments))

    def picked(self, score: _S) -> bool:
        """Whether ``score`` may be preferred by ``best``: measured, with at most
        :attr:`rfm_segments` segments."""
        limit = self.rfm_segments if self.rfm_segments is not None else math.inf
        return math.isfinite(self.auc_of(score.candidate)) and self.segments_of(score) <= limit

    def prefer(self, eligible: Sequence[_S], default: _S, order: Callable[[_S], Any]) -> _S:
        """``best``: the candidate of ``eligible`` (all passing every gate) with the highest
        AUC among those with at most :attr:`rfm_segments` segments, equal AUCs ordered by
        ``order`` (the selection's rank key); ``default`` (the silhouette's winner) in the other
        modes or when no candidate is measured and small enough."""
        if self.mode != "best":
            return default
        pool = [c for c in eligible if self.picked(c)]
        if not pool:
            return default
        return min(pool, key=lambda c: (-self.auc_of(c.candidate), order(c)))

    def to_dict(self) -> dict[str, Any]:
        rules = {
            "tiebreak": "tied candidates are ordered by the ROC AUC of their segments on "
            "next-period purchase (higher first) before noise, Davies-Bouldin and size",
            "gate": f"gate {FORWARD_GATE}: the candidate's next-period purchase ROC AUC must be "
            f"at least the RFM-quintile segmentation's ({self.threshold:.4f})",
            "best": "among the candidates that pass every gate and have no more segments than "
            f"the RFM-quintile segmentation ({self.rfm_segments}), the highest next-period "
            "purchase ROC AUC wins; equal AUCs follow the silhouette rule",
        }
        return {
            "mode": self.mode,
            "rule": rules[self.mode],
            "rfm_auc": _round(self.threshold),
            "rfm_segments": self.rfm_segments,
            "auc": {k: _round(v) for k, v in self.auc.items()},
        }


def _round(x: float) -> float | None:
    return round(float(x), 6) if math.isfinite(x) else None
