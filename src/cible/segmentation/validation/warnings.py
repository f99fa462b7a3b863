"""Plain-language warnings about a segmentation, from the validation numbers.

Each check is a simple, documented rule of thumb:

* **tiny segment**: a segment holds less than ``min_share`` (default 2%) of the customers
  (noise included in the denominator): too small to act on and often an artefact;
* **unstable segment**: its bootstrap mean Jaccard is below ``config.unstable_jaccard`` (Hennig's
  0.6 by default): it does not come back when the data are resampled;
* **badly separated segment**: its mean silhouette is negative: its members are on average closer
  to another segment than to their own;
* **too many segments**: more segments than ``sqrt(n / 2)`` (the classic rule of thumb for the
  number of clusters), where ``n`` is the number of customers;
* **too few customers for the features**: fewer than 70 customers per segmentation feature
  (Dolnicar, Grün, Leisch & Schmidt, 2014, *Journal of Travel Research* 53(3)), checked when
  ``n_features`` is given;
* **much noise**: more than ``max_noise_share`` of the customers are labelled noise (-1) by a
  density-based algorithm.

Close segments are not checked separately: two segments that overlap give negative or near-zero
silhouettes and low Jaccards, which the checks above already report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from cible.config import ValidationConfig

CUSTOMERS_PER_FEATURE = 70


def segmentation_warnings(
    sizes: Mapping[int, int],
    jaccards: Mapping[int, float] | None,
    silhouettes: Mapping[int, float] | None,
    config: ValidationConfig,
    min_share: float = 0.02,
    n_features: int | None = None,
    n_noise: int = 0,
    max_noise_share: float = 0.25,
    names: Mapping[int, str] | None = None,
) -> list[str]:
    """Warnings, one sentence each, in the order of the checks in the module docstring.

    ``sizes`` maps each segment to its number of customers (noise excluded); ``jaccards`` and
    ``silhouettes`` map segments to their mean bootstrap Jaccard and mean silhouette (``None``:
    not computed; NaN values are ignored). ``names`` gives display names (default
    ``"segment <id>"``).
    """
    n = sum(sizes.values()) + n_noise
    if n == 0:
        return ["no customer to segment"]
    out = _segment_warnings(sizes, jaccards, silhouettes, config, min_share, n, names)
    limit = math.sqrt(n / 2)
    if len(sizes) > limit:
        out.append(
            f"too many segments: {len(sizes)} for {n:,} customers (rule of thumb: at most "
            f"sqrt(n/2) = {limit:.1f})"
        )
    if n_features is not None and n < CUSTOMERS_PER_FEATURE * n_features:
        out.append(
            f"few customers for {n_features} features: {n:,} "
            f"(at least {CUSTOMERS_PER_FEATURE} per feature = "
            f"{CUSTOMERS_PER_FEATURE * n_features:,} recommended)"
        )
    if n_noise / n > max_noise_share:
        out.append(
            f"{n_noise:,} customers ({n_noise / n:.1%}) are noise, in no segment "
            f"(above {max_noise_share:.0%})"
        )
    return out


def _segment_warnings(
    sizes: Mapping[int, int],
    jaccards: Mapping[int, float] | None,
    silhouettes: Mapping[int, float] | None,
    config: ValidationConfig,
    min_share: float,
    n: int,
    names: Mapping[int, str] | None,
) -> list[str]:
    """The warnings about single segments: tiny, unstable, badly separated."""

    def label(segment: int) -> str:
        return f"'{names[segment]}'" if names and segment in names else f"segment {segment}"

    out: list[str] = []
    for s, size in sorted(sizes.items()):
        if size / n < min_share:
            out.append(
                f"{label(s)} is tiny: {size:,} customers ({size / n:.1%}, below {min_share:.0%})"
            )
    for s, value in sorted((jaccards or {}).items()):
        if not math.isnan(value) and value < config.unstable_jaccard:
            out.append(
                f"{label(s)} is unstable: mean bootstrap Jaccard {value:.2f} "
                f"(below {config.unstable_jaccard:.2f})"
            )
    for s, value in sorted((silhouettes or {}).items()):
        if not math.isnan(value) and value < 0:
            out.append(
                f"{label(s)} is badly separated: mean silhouette {value:.2f} "
                "(its customers are closer to another segment)"
            )
    return out
