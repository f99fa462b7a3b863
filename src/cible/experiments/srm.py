"""Sample-ratio mismatch: are the arm sizes compatible with the planned split? Pearson's
goodness-of-fit chi-square of the observed counts against ``total x planned share``
(:func:`scipy.stats.chisquare`). A mismatch (``p <= threshold``, 0.001 by default as in most
experimentation platforms) means the assignment or the logging is broken and the effect estimates
cannot be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from cible.exceptions import ExperimentError
from cible.experiments import rejects
from cible.experiments._result import plain

DEFAULT_SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class SampleRatioCheck:
    observed: dict[str, int]
    expected: dict[str, float]
    statistic: float
    p_value: float
    threshold: float
    mismatch: bool

    def to_dict(self) -> dict[str, Any]:
        return {"test": "sample-ratio mismatch (scipy.stats.chisquare)", **plain(self)}


def sample_ratio_check(
    observed: Mapping[str, int],
    planned: Mapping[str, float],
    *,
    threshold: float = DEFAULT_SRM_THRESHOLD,
) -> SampleRatioCheck:
    """``observed`` counts per arm against ``planned`` weights (normalised) of the same arms."""
    if set(observed) != set(planned) or len(planned) < 2:
        raise ExperimentError(
            f"sample-ratio check: observed arms {sorted(observed)} must be the planned arms "
            f"{sorted(planned)} (at least 2)"
        )
    arms = list(planned)
    w = np.array([planned[a] for a in arms], dtype=np.float64)
    if (w <= 0).any():
        raise ExperimentError(f"planned shares must be > 0, got {dict(planned)}")
    obs = np.array([observed[a] for a in arms], dtype=np.float64)
    expected = obs.sum() * w / w.sum()
    res = stats.chisquare(obs, expected)
    p = float(res.pvalue)
    return SampleRatioCheck(
        observed={a: int(observed[a]) for a in arms},
        expected={a: float(e) for a, e in zip(arms, expected, strict=True)},
        statistic=float(res.statistic),
        p_value=p,
        threshold=threshold,
        mismatch=rejects(p, threshold),
    )
