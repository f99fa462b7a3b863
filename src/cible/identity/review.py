"""Export a sample of candidate pairs for a human to label: across the score range, or around
the match threshold.

Stratified (``bins``): the score range [0, 1] is cut into ``bins`` equal bins and the sample takes
the same number of pairs from each bin that has pairs (a bin with fewer gives them all, the rest
goes to the others), so that sure matches, sure non-matches and the doubtful middle are all seen:
a threshold is then judged over the whole range, not only near the current one. Each row carries
its ``stratum`` (bin number) and ``weight`` (pairs of its bin / pairs sampled from it), so that
counts over the sample can be scaled back to all candidate pairs. Band (``band`` or ``threshold``
with ``width``): pairs within the band only, drawn at random (weight: pairs in the band / sampled).

The CSV is for a reviewer and holds the compared personal fields of both records side by side:
treat it as personal data (keep it where the records are, delete it after calibration) and never
log its content. Rows come in random order (the reviewer should not see them sorted by score) and
the ``label`` column is empty: write 1 when both records are the same person, 0 when they are not,
leave it empty to skip. :func:`~cible.identity.calibration.calibrate` reads it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cible.exceptions import IdentityResolutionError
from cible.identity.survivorship import RECORD_ID

DEFAULT_REVIEW_FIELDS: tuple[str, ...] = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "postal_code",
    "city",
    "country",
    "organisation",
    "address_line",
)
PAIR_COLUMNS: tuple[str, ...] = ("record_id_l", "record_id_r", "score", "rule")
SAMPLE_COLUMNS: tuple[str, ...] = (*PAIR_COLUMNS, "stratum", "weight")


def score_bins(score: np.ndarray, bins: int) -> np.ndarray:
    """Bin of every score: ``floor(score * bins)``, a score of 1 in the last bin."""
    return np.minimum((np.asarray(score, dtype=float) * bins).astype(np.int64), bins - 1)


def allocate(counts: np.ndarray, n: int) -> np.ndarray:
    """Pairs to take from each bin: equal shares of ``n``, a bin never giving more than it has,
    what a small bin cannot give shared among the others (bins in order for the remainder)."""
    take = np.zeros(len(counts), dtype=np.int64)
    remaining = int(min(n, counts.sum()))
    while remaining > 0:
        open_bins = np.flatnonzero(take < counts)
        share = max(1, remaining // len(open_bins))
        for b in open_bins:
            add = int(min(share, counts[b] - take[b], remaining))
            take[b] += add
            remaining -= add
            if remaining == 0:
                break
    return take


def stratified_positions(
    score: np.ndarray, n: int, bins: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions drawn per bin, their bin and their weight (bin pairs / pairs drawn from it)."""
    if bins < 1:
        raise IdentityResolutionError(f"bins must be at least 1, got {bins}")
    stratum = score_bins(score, bins)
    counts = np.bincount(stratum, minlength=bins)
    take = allocate(counts, n)
    chosen, strata, weights = [], [], []
    for b in np.flatnonzero(take):
        members = np.flatnonzero(stratum == b)
        picked = rng.choice(members, size=int(take[b]), replace=False)
        chosen.append(picked)
        strata.append(np.full(len(picked), b))
        weights.append(np.full(len(picked), counts[b] / take[b]))
    return np.concatenate(chosen), np.concatenate(strata), np.concatenate(weights)


def review_band(
    band: tuple[float, float] | None, threshold: float | None, width: float
) -> tuple[float, float]:
    """``band`` as given, or ``threshold +- width`` clipped to [0, 1]; exactly one is needed."""
    if band is not None and threshold is None:
        low, high = band
        if not 0.0 <= low <= high <= 1.0:
            raise IdentityResolutionError(
                f"band must be (low, high) with 0 <= low <= high <= 1, got ({low}, {high})"
            )
        return float(low), float(high)
    if threshold is not None and band is None:
        if not 0.0 <= threshold <= 1.0 or width < 0:
            raise IdentityResolutionError(
                f"threshold must be in [0, 1] and width >= 0, got {threshold} and {width}"
            )
        return max(0.0, threshold - width), min(1.0, threshold + width)
    raise IdentityResolutionError(
        "give either band=(low, high) or threshold (with width) for the review sample, not both"
    )


def _fields(pairs: pd.DataFrame, records: pd.DataFrame, fields: Sequence[str] | None) -> list[str]:
    if fields is not None:
        absent = [f for f in fields if f not in records.columns]
        if absent:
            raise IdentityResolutionError(
                f"review fields {absent} are not columns of the records; "
                f"columns: {list(records.columns)}"
            )
        return list(fields)
    compared = [c.removeprefix("sim_") for c in pairs.columns if c.startswith("sim_")]
    chosen = [f for f in compared if f in records.columns]
    return chosen or [f for f in DEFAULT_REVIEW_FIELDS if f in records.columns]


def _side(records: pd.DataFrame, ids: pd.Series, fields: list[str], suffix: str) -> pd.DataFrame:
    indexed = records.set_index(records[RECORD_ID].astype(str))
    unknown = pd.Index(ids.unique()).difference(indexed.index)
    if len(unknown):
        raise IdentityResolutionError(
            f"pairs name {len(unknown)} record id(s) absent from the records, e.g. {unknown[0]!r}"
        )
    side = indexed.loc[ids.to_numpy(), fields].reset_index(drop=True)
    return side.rename(columns={f: f"{f}_{suffix}" for f in fields})


def _draw(
    pairs: pd.DataFrame,
    n: int,
    rng: np.random.Generator,
    bins: int | None,
    band: tuple[float, float] | None,
    threshold: float | None,
    width: float,
) -> pd.DataFrame:
    """The sampled pairs (PAIR_COLUMNS + stratum + weight), in random order."""
    score = pd.to_numeric(pairs["score"], errors="coerce").to_numpy(dtype=float)
    if bins is not None:
        if band is not None or threshold is not None:
            raise IdentityResolutionError("give bins (stratified) or a band/threshold, not both")
        if len(pairs) == 0:
            raise IdentityResolutionError("no candidate pair to sample for review")
        take, stratum, weight = stratified_positions(np.nan_to_num(score), n, bins, rng)
    else:
        low, high = review_band(band, threshold, width)
        inside = np.flatnonzero((score >= low) & (score <= high))
        if not len(inside):
            raise IdentityResolutionError(
                f"no candidate pair has a score in [{low:.3f}, {high:.3f}] ({len(pairs)} pairs, "
                f"scores {np.nanmin(score):.3f} to {np.nanmax(score):.3f}): widen the band"
            )
        take = rng.choice(inside, size=min(n, len(inside)), replace=False)
        stratum = np.zeros(len(take), dtype=np.int64)
        weight = np.full(len(take), len(inside) / len(take))
    order = rng.permutation(len(take))
    sample = pairs.iloc[take[order]][list(PAIR_COLUMNS)].reset_index(drop=True)
    return sample.assign(stratum=stratum[order], weight=weight[order])


def export_review_sample(
    pairs: pd.DataFrame,
    records: pd.DataFrame,
    path: Path | str,
    *,
    n: int = 200,
    band: tuple[float, float] | None = None,
    threshold: float | None = None,
    width: float = 0.1,
    seed: int = 0,
    fields: Sequence[str] | None = None,
    bins: int | None = None,
) -> Path:
    """Write up to ``n`` pairs, stratified over ``bins`` score bins, or scored within ``band``
    (or ``threshold +- width``), drawn at random with ``seed``, to ``path`` (CSV, UTF-8 with BOM
    for spreadsheets) in random order, and return the path.

    Columns: ``record_id_l``, ``record_id_r``, ``score``, ``rule``, ``stratum``, ``weight``,
    ``source_l``, ``source_r``, then ``<field>_l``, ``<field>_r`` for each compared field (the
    matcher's ``sim_<field>`` columns, else :data:`DEFAULT_REVIEW_FIELDS`, or ``fields``), then an
    empty ``label``.
    """
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise IdentityResolutionError(f"pairs have no column(s) {missing}; needed: {PAIR_COLUMNS}")
    if n < 1:
        raise IdentityResolutionError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    sample = _draw(pairs, n, rng, bins, band, threshold, width)
    sample["record_id_l"] = sample["record_id_l"].astype(str)
    sample["record_id_r"] = sample["record_id_r"].astype(str)
    chosen = ["source", *(f for f in _fields(pairs, records, fields) if f != "source")]
    left = _side(records, sample["record_id_l"], chosen, "l")
    right = _side(records, sample["record_id_r"], chosen, "r")
    side_by_side = [c for f in chosen for c in (f"{f}_l", f"{f}_r")]
    out = pd.concat([sample, left, right], axis=1)[[*SAMPLE_COLUMNS, *side_by_side]]
    out["label"] = ""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(target, index=False, encoding="utf-8-sig")
    return target
