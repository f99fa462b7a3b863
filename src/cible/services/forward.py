"""Use case: judge the segments by what they predict (``segmentation.forward``) in a batch run.

Three steps, around the segmentation step of :func:`cible.services.pipeline.run_pipeline`:

1. :func:`forward_data` (warehouse open): the features at the cutoff (``as_of - holdout_days``) and
   the next-period outcomes of the customers, or the reason the measure is skipped;
2. :func:`forward_preference` (only with ``use_in_selection: tiebreak | gate | best``): every candidate of
   the grid fitted before the cutoff and measured, for the selection to use;
3. :func:`forward_outcome`: the chosen candidate fitted before the cutoff beside the RFM segments
   (:func:`cible.segmentation.forward.compare_forward`), written as ``forward.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from cible.config import FEATURE_NAMES, SegmentationConfig
from cible.exceptions import FeatureError, SegmentationError
from cible.features import build_features
from cible.segmentation.forward import (
    Backtest,
    ForwardResult,
    backtest_candidates,
    compare_forward,
    future_outcomes,
    holdout_cutoff,
)
from cible.segmentation.segmentation_result import SegmentationResult
from cible.segmentation.selection import Candidate, candidate_grid
from cible.segmentation.selection_forward import ForwardPreference
from cible.warehouse.base import WarehouseReader


@dataclass(frozen=True)
class ForwardData:
    """The data of the holdout: features at ``cutoff`` and next-period outcomes (same index)."""

    as_of: date
    cutoff: date
    past: pd.DataFrame
    outcomes: pd.DataFrame


@dataclass(frozen=True)
class ForwardOutcome:
    """The comparison, or why there is none (``skipped``)."""

    result: ForwardResult | None
    skipped: str | None = None
    backtest: Backtest | None = None

    def to_dict(self) -> dict[str, object]:
        if self.result is None:
            return {"skipped": self.skipped}
        return self.result.to_dict()


def forward_data(
    warehouse: WarehouseReader, config: SegmentationConfig, as_of: date
) -> ForwardData | ForwardOutcome | None:
    """The holdout data, a skipped :class:`ForwardOutcome` saying why it cannot be measured, or
    ``None`` when ``forward.enabled`` is false."""
    fwd = config.forward
    if not fwd.enabled:
        return None
    cutoff = holdout_cutoff(as_of, fwd.holdout_days)
    computed_later = sorted(set(config.features) - set(FEATURE_NAMES))
    if computed_later:
        return ForwardOutcome(
            None, f"segmentation.features {computed_later} are not computed at the cutoff"
        )
    try:
        past = build_features(warehouse, cutoff)
    except FeatureError:
        return ForwardOutcome(
            None,
            f"no customer before the cutoff {cutoff.isoformat()}: the history is not longer "
            f"than holdout_days = {fwd.holdout_days}",
        )
    n_buyers = int((past["frequency"] > 0).sum())
    if n_buyers < config.k_min + 1:
        return ForwardOutcome(
            None,
            f"{n_buyers:,} customer(s) bought before the cutoff {cutoff.isoformat()}; the "
            f"measure needs at least k_min + 1 = {config.k_min + 1}",
        )
    outcomes = future_outcomes(warehouse, past.index, cutoff, as_of)
    return ForwardData(as_of, cutoff, past, outcomes)


def forward_preference(
    data: ForwardData,
    config: SegmentationConfig,
    n_buyers: int,
    on_candidate: Callable[[Candidate], None] | None = None,
) -> tuple[ForwardPreference, Backtest] | None:
    """With ``use_in_selection`` set: every candidate of today's grid (for ``n_buyers``) fitted
    before the cutoff, as the selection's tie-break or gate."""
    mode = config.forward.use_in_selection
    if mode == "none":
        return None
    backtest = backtest_candidates(
        data.past, data.outcomes, config, candidate_grid(config, n_buyers), on_candidate
    )
    return backtest.preference(mode), backtest


def forward_outcome(
    data: ForwardData | ForwardOutcome | None,
    config: SegmentationConfig,
    segmentation: SegmentationResult,
    backtest: Backtest | None = None,
) -> ForwardOutcome | None:
    """The chosen candidate of ``segmentation`` fitted before the cutoff beside the RFM
    segments; ``None`` when disabled, skipped outcomes as they are."""
    if data is None or isinstance(data, ForwardOutcome):
        return data
    if segmentation.science is None:
        return ForwardOutcome(None, "the segmentation kept no selection to refit")
    chosen = segmentation.science.selection.chosen.candidate
    try:
        result = compare_forward(
            data.past,
            data.outcomes,
            config,
            chosen,
            as_of=data.as_of,
            cutoff=data.cutoff,
            backtest=backtest,
        )
    except SegmentationError as e:
        return ForwardOutcome(None, f"{chosen.name} could not be fitted before the cutoff: {e}")
    return ForwardOutcome(result, backtest=backtest)
