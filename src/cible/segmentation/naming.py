"""Human-readable segment names from profile patterns.

A segment is named by the first archetype whose pattern it matches (the order of
:data:`ARCHETYPES` is the priority). Patterns compare the segment to the whole base through the
``<feature>_lift`` columns of :func:`cible.segmentation.profiles.profile_segments` (segment mean /
base mean) and, for "Champions", through its rank among segments. A segment that matches no
archetype is described by its two most distinctive features, e.g. "High frequency, low basket".

"At risk - lapsed" is anchored in the data's own purchase cycle: besides a recency lift of at least
1.5, the segment's mean recency must exceed :data:`LAPSED_CYCLE_MULTIPLE` (2) times the *purchase
cycle* of the data, the median ``mean_interpurchase_days`` of the customers with at least two
orders (:func:`purchase_cycle_days`). A customer is not lapsed for having waited a usual gap: 35
days since the last order is lapsed in a shop where customers come back weekly, not in one where
they come back every two months. A recency exactly at twice the cycle is not lapsed. When no
customer ordered twice (no cycle), the lift alone decides, as before.

Names never depend on segment ids, only on profile values: relabelling the segments gives each
profile the same name. Repeated names are numbered "Champions", "Champions (2)", ... in order of
decreasing mean monetary value (then size, then the other profile values).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Lift thresholds: "high" means at least 25% above the base mean, "low" at least 20% below.
HIGH = 1.25
LOW = 0.8
# A fallback feature must differ from the base by at least this factor to be mentioned.
DISTINCT = 1.15
AVERAGE_NAME = "Average customers"
#: "At risk - lapsed" needs a mean recency strictly above this multiple of the purchase cycle.
LAPSED_CYCLE_MULTIPLE = 2.0

_PHRASES: dict[str, tuple[str, str]] = {
    # feature: (phrase when above the base, phrase when below)
    "recency_days": ("long since last order", "recent orders"),
    "frequency": ("high frequency", "low frequency"),
    "monetary": ("high spend", "low spend"),
    "avg_basket": ("high basket", "low basket"),
    "tenure_days": ("long tenure", "short tenure"),
    "mean_interpurchase_days": ("long gaps between orders", "short gaps between orders"),
    "refund_rate": ("many refunds", "few refunds"),
    "events_30d": ("high recent activity", "low recent activity"),
    "events_90d": ("high activity", "low activity"),
}


@dataclass(frozen=True)
class _Segment:
    """One profile row seen through lifts (NaN when the feature is absent) and ranks."""

    lifts: dict[str, float]
    means: dict[str, float]
    rank_pct: dict[str, float]  # percentile rank among segments, 1.0 = highest value
    cycle_days: float = math.nan  # median inter-purchase days of the data (NaN: unknown)

    def lift(self, feature: str) -> float:
        return self.lifts.get(feature, math.nan)

    def mean(self, feature: str) -> float:
        return self.means.get(feature, math.nan)

    def activity_lift(self) -> float:
        lift = self.lift("events_90d")
        return self.lift("events_30d") if math.isnan(lift) else lift


# Patterns. NaN compares False, so a pattern needing an absent feature never matches.
def _returner(s: _Segment) -> bool:
    return s.lift("refund_rate") >= 2.0 and s.mean("refund_rate") >= 0.15


def _champion(s: _Segment) -> bool:
    return (
        s.lift("recency_days") <= 0.75
        and s.lift("frequency") >= HIGH
        and s.lift("monetary") >= HIGH
        and s.rank_pct.get("monetary", 0.0) >= 0.5  # in the top half of segments by spend
    )


def _new(s: _Segment) -> bool:
    return s.lift("tenure_days") <= 0.5 and s.lift("recency_days") <= 1.0


def _lapsed(s: _Segment) -> bool:
    """Recency well above the base and beyond twice the data's purchase cycle (when known)."""
    if not s.lift("recency_days") >= 1.5:
        return False
    if math.isnan(s.cycle_days):
        return True
    return s.mean("recency_days") > LAPSED_CYCLE_MULTIPLE * s.cycle_days


def _window_shopper(s: _Segment) -> bool:
    """Browse about as much as the base (or more) but buy at most half as often."""
    return s.activity_lift() >= 0.7 and s.lift("frequency") <= 0.5


def _big_spender(s: _Segment) -> bool:
    return s.lift("avg_basket") >= 1.5 and s.lift("frequency") <= 1.0


def _bargain_hunter(s: _Segment) -> bool:
    """Buy at least as often as the base, in baskets well under half the usual size."""
    return s.lift("avg_basket") <= 0.4 and s.lift("frequency") >= 1.0


def _loyal(s: _Segment) -> bool:
    """Buy about as often as the base or more, recently, and have been customers a long time."""
    return (
        s.lift("frequency") >= 0.9
        and s.lift("recency_days") <= 0.75
        and s.lift("tenure_days") >= 1.0
    )


# In priority order: a segment takes the first name whose pattern it matches. Window shoppers
# come before lapsed customers (they buy rarely, so their last order is old too, but they are
# still browsing); bargain hunters before loyal regulars (both buy often, baskets tell them apart).
ARCHETYPES: tuple[tuple[str, Callable[[_Segment], bool]], ...] = (
    ("Frequent returners", _returner),
    ("Champions", _champion),
    ("New customers", _new),
    ("Window shoppers", _window_shopper),
    ("At risk - lapsed", _lapsed),
    ("Big spenders - occasional", _big_spender),
    ("Bargain hunters", _bargain_hunter),
    ("Loyal regulars", _loyal),
)


def purchase_cycle_days(features: pd.DataFrame) -> float | None:
    """The purchase cycle of the data: the median ``mean_interpurchase_days`` of the customers
    with at least two orders (``frequency >= 2``); ``None`` without such customers or columns."""
    if not {"frequency", "mean_interpurchase_days"} <= set(features.columns):
        return None
    repeat = features["frequency"].to_numpy(dtype=np.float64) >= 2
    gaps = features.loc[repeat, "mean_interpurchase_days"].to_numpy(dtype=np.float64)
    gaps = gaps[np.isfinite(gaps)]
    return float(np.median(gaps)) if gaps.size else None


def name_segments(profiles: pd.DataFrame, *, cycle_days: float | None = None) -> dict[int, str]:
    """A unique, deterministic name for every ``segment_id`` of ``profiles``.

    ``profiles`` is the output of :func:`~cible.segmentation.profiles.profile_segments` (any subset
    of the features); it is not modified. ``cycle_days`` is the purchase cycle of the data
    (:func:`purchase_cycle_days`) that "At risk - lapsed" is anchored in; ``None``: lift only.
    """
    if "segment_id" not in profiles.columns:
        raise ValueError("name_segments: profiles need a 'segment_id' column")
    if profiles["segment_id"].duplicated().any():
        raise ValueError("name_segments: profiles have repeated segment_id values")
    features = [c.removesuffix("_lift") for c in profiles.columns if str(c).endswith("_lift")]
    ranks = {
        f: profiles[f"{f}_mean"].rank(pct=True, method="average")
        for f in features
        if f"{f}_mean" in profiles.columns
    }
    base_names: dict[int, str] = {}
    for pos, (_, row) in enumerate(profiles.iterrows()):
        seg = _Segment(
            lifts={f: _float(row[f"{f}_lift"]) for f in features},
            means={f: _float(row.get(f"{f}_mean", math.nan)) for f in features},
            rank_pct={f: _float(r.iloc[pos]) for f, r in ranks.items()},
            cycle_days=math.nan if cycle_days is None else float(cycle_days),
        )
        base_names[int(row["segment_id"])] = _base_name(seg, features)
    return _disambiguate(profiles, base_names)


def _base_name(seg: _Segment, features: list[str]) -> str:
    for name, matches in ARCHETYPES:
        if matches(seg):
            return name
    return _describe(seg, features)


def _describe(seg: _Segment, features: list[str]) -> str:
    """ "High frequency, low basket": the two features whose lift is furthest from 1 (log scale)."""
    scored: list[tuple[float, int, str]] = []
    for order, f in enumerate(features):
        lift = seg.lift(f)
        if math.isnan(lift):
            continue
        distance = abs(math.log(max(lift, 1 / 32)))
        if distance >= math.log(DISTINCT):
            scored.append((-distance, order, f))
    if not scored:
        return AVERAGE_NAME
    phrases = []
    for _, _, f in sorted(scored)[:2]:
        high, low = _PHRASES.get(f, (f"high {f}", f"low {f}"))
        phrases.append(high if seg.lift(f) > 1.0 else low)
    text = ", ".join(phrases)
    return text[0].upper() + text[1:]


def _disambiguate(profiles: pd.DataFrame, base_names: dict[int, str]) -> dict[int, str]:
    """Number repeated names in an order that depends on profile values only."""
    keys = {int(row["segment_id"]): _content_key(row) for _, row in profiles.iterrows()}
    names: dict[int, str] = {}
    for name in sorted(set(base_names.values())):
        ids = sorted((i for i, n in base_names.items() if n == name), key=lambda i: keys[i])
        for rank, seg_id in enumerate(ids, start=1):
            names[seg_id] = name if rank == 1 else f"{name} ({rank})"
    return {seg_id: names[seg_id] for seg_id in base_names}


def _content_key(row: pd.Series) -> tuple[tuple[bool, float], ...]:
    """Sort key: decreasing monetary mean, then size, then every other value; NaN last."""
    first = [c for c in ("monetary_mean", "size") if c in row.index]
    rest = [c for c in row.index if c not in first and c != "segment_id"]
    key = []
    for col in first + rest:
        value = _float(row[col])
        key.append((math.isnan(value), 0.0 if math.isnan(value) else -value))
    return tuple(key)


def _float(value: object) -> float:
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return math.nan
