"""Export a sample of candidate pairs around the match threshold for a human to label.

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
)
PAIR_COLUMNS: tuple[str, ...] = ("record_id_l", "record_id_r", "score", "rule")


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
) -> Path:
    """Write up to ``n`` pairs scored within ``band`` (or ``threshold +- width``), drawn at random
    with ``seed``, to ``path`` (CSV, UTF-8 with BOM for spreadsheets) and return the path.

    Columns: ``record_id_l``, ``record_id_r``, ``score``, ``rule``, ``source_l``, ``source_r``,
    then ``<field>_l``, ``<field>_r`` for each compared field (the matcher's ``sim_<field>``
    columns, else :data:`DEFAULT_REVIEW_FIELDS`, or ``fields``), then an empty ``label``.
    """
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise IdentityResolutionError(f"pairs have no column(s) {missing}; needed: {PAIR_COLUMNS}")
    if n < 1:
        raise IdentityResolutionError(f"n must be at least 1, got {n}")
    low, high = review_band(band, threshold, width)
    score = pd.to_numeric(pairs["score"], errors="coerce")
    candidates = pairs[(score >= low) & (score <= high)]
    if candidates.empty:
        raise IdentityResolutionError(
            f"no candidate pair has a score in [{low:.3f}, {high:.3f}] "
            f"({len(pairs)} pairs, scores {score.min():.3f} to {score.max():.3f}): widen the band"
        )
    rng = np.random.default_rng(seed)
    take = rng.choice(len(candidates), size=min(n, len(candidates)), replace=False)
    sample = candidates.iloc[take][list(PAIR_COLUMNS)].reset_index(drop=True)
    sample["record_id_l"] = sample["record_id_l"].astype(str)
    sample["record_id_r"] = sample["record_id_r"].astype(str)
    chosen = ["source", *(f for f in _fields(pairs, records, fields) if f != "source")]
    left = _side(records, sample["record_id_l"], chosen, "l")
    right = _side(records, sample["record_id_r"], chosen, "r")
    side_by_side = [c for f in chosen for c in (f"{f}_l", f"{f}_r")]
    out = pd.concat([sample, left, right], axis=1)[[*PAIR_COLUMNS, *side_by_side]]
    out["label"] = ""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(target, index=False, encoding="utf-8-sig")
    return target
