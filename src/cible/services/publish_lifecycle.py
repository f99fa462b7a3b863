"""What ``cible publish`` adds for the segment lifecycle (docs/lifecycle.md):

* **stable ids**: when the store already scores with a version, the new segmentation's segments
  are matched to the active version's (:func:`cible.lifecycle.stable_ids.match_segments` on the
  centroids of both assignments over the run's standardised features and on the shared members)
  and the model is renumbered through its label map (no refit): a kept segment keeps its id, a
  new one gets an id no version of the store has used. The prospects (segment 0, customers
  without a purchase, fixed by the model) stay 0 and are left out of the matching;
* the **migration matrix** between the memberships before and after the publish
  (``migration.json`` in the run folder);
* the **registry metadata** of the version (``segment_models.metadata``): parameters and metrics
  of the chosen candidate (``selection.json``), feature schema, reference histograms of the
  features (the drift module's binning), training window, code version, the run's ``run.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cible.lifecycle.drift.binned_sql import DEFAULT_BINS, numeric_histograms
from cible.lifecycle.drift.histogram import Histogram
from cible.lifecycle.migration import migration_matrix
from cible.lifecycle.stable_ids import SegmentMatch, centroids_of, match_segments
from cible.segmentation.model_artifact import SegmentModel
from cible.segmentation.segmentation_result import PROSPECT_SEGMENT_ID
from cible.services.outputs import write_json

METRICS = (
    "n_segments",
    "silhouette",
    "noise_adjusted_silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "noise_share",
    "largest_share",
    "smallest_share",
    "inertia",
    "passed_all_gates",
)


@dataclass(frozen=True)
class StableIds:
    """The renumbered model, the new label -> stable id map and the match behind it."""

    model: SegmentModel
    ids: Mapping[int, int]
    match: SegmentMatch

    def summary(self, previous_names: Mapping[int, str]) -> dict[str, Any]:
        """kept / split / merged / new / vanished, under the stable ids, with names."""
        names = self.model.segment_names
        m = self.match
        kept_labels = set(m.kept.values()) | {PROSPECT_SEGMENT_ID}
        fresh = {self.ids[label] for label in self.ids if label not in kept_labels}
        return {
            "kept": [{"id": old, "name": names.get(old, "")} for old in sorted(m.kept)],
            "new": [{"id": s, "name": names.get(s, "")} for s in sorted(fresh)],
            "vanished": [{"id": s, "name": previous_names.get(s, "")} for s in m.vanished],
            "split": {str(k): [self.ids_of(v) for v in parts] for k, parts in m.split.items()},
            "merged": {str(self.ids_of(k)): list(v) for k, v in m.merged.items()},
        }

    def ids_of(self, matched_id: int) -> int:
        """The final id of an id given by the match (a fresh match id is renumbered)."""
        for label, final in self.ids.items():
            if self.match.ids.get(label) == matched_id:
                return final
        return matched_id


def standardised(features: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    data = features[columns].astype(float)
    spread = data.std(ddof=0).replace(0.0, 1.0)
    return (data - data.mean()) / spread


def stable_model(
    model: SegmentModel,
    batch: pd.DataFrame,
    features: pd.DataFrame,
    previous: Mapping[str, int],
    used_ids: set[int],
) -> StableIds | None:
    """The model renumbered onto the ids of ``previous`` (customer id -> segment id of the
    active version); ``None`` when there is nothing to match (no previous buyer in common).
    ``batch`` is the run's ``segments.parquet``, ``features`` its features (index customer id),
    ``used_ids`` every segment id the store has ever used."""
    prev = pd.Series(dict(previous), dtype="int64")
    prev = prev[prev != PROSPECT_SEGMENT_ID]
    cur = pd.Series(
        batch["segment_id"].astype("int64").to_numpy(), index=batch["customer_id"].astype(str)
    )
    cur = cur[cur != PROSPECT_SEGMENT_ID]
    if prev.empty or cur.empty or prev.index.intersection(cur.index).empty:
        return None
    columns = [c for c in model.features if c in features.columns]
    scaled = standardised(features, columns)
    prev_known = prev[prev.index.isin(scaled.index)]
    cur_known = cur[cur.index.isin(scaled.index)]
    match = match_segments(
        prev, cur, centroids_of(scaled, prev_known), centroids_of(scaled, cur_known)
    )
    ids = _final_ids(model, match, used_ids | set(prev.unique().tolist()))
    return StableIds(_renumbered(model, ids), ids, match)


def _final_ids(model: SegmentModel, match: SegmentMatch, used: set[int]) -> dict[int, int]:
    """Kept segments their old id; every other segment of the model (new, or empty in the
    batch) an id above every id ever used."""
    kept = {new: old for old, new in match.kept.items()}
    next_id = max(used | {PROSPECT_SEGMENT_ID} | set(kept.values())) + 1
    ids: dict[int, int] = {}
    for segment in sorted(model.segment_names):
        if segment == PROSPECT_SEGMENT_ID:
            ids[segment] = PROSPECT_SEGMENT_ID
        elif segment in kept:
            ids[segment] = kept[segment]
        else:
            ids[segment] = next_id
            next_id += 1
    return ids


def _renumbered(model: SegmentModel, ids: Mapping[int, int]) -> SegmentModel:
    """The same fitted model, its label map and names under ``ids`` (no refit)."""
    return SegmentModel(
        preparation=model.preparation,
        estimator=model.estimator,
        label_map={label: ids[seg] for label, seg in model.label_map.items()},
        segment_names={ids[seg]: name for seg, name in model.segment_names.items()},
        features=model.features,
        cible_version=model.cible_version,
        algorithm=model.algorithm,
    )


def write_migration(
    path: Path,
    before: Mapping[str, int],
    after: Mapping[str, int],
    versions: tuple[int | None, int],
    summary: dict[str, Any] | None,
) -> dict[str, Any]:
    """``migration.json``: who moved from which segment to which between the memberships before
    the publish and after it (customers only on one side in the ``None`` row/column)."""
    matrix = migration_matrix(
        pd.Series(dict(before), dtype="int64"), pd.Series(dict(after), dtype="int64")
    )
    data = {
        "from_version": versions[0],
        "to_version": versions[1],
        "segments": summary,
        "matrix": matrix.to_dict(),
    }
    write_json(path, data)
    return data


def _histogram_dict(h: Histogram) -> dict[str, Any]:
    return {
        "counts": list(h.counts),
        "edges": list(h.edges),
        "points": list(h.points),
        "scale": h.scale,
        "nulls": h.nulls,
    }


def reference_histograms(features_path: Path, columns: list[str]) -> dict[str, Any]:
    """The drift module's histograms (bins of the reference quantiles) of ``columns`` of the
    run's features, counted by DuckDB over the parquet file."""
    from cible.warehouse.duckdb import DuckDBWarehouse

    relation = "read_parquet('{}')".format(str(features_path).replace("'", "''"))
    with DuckDBWarehouse(":memory:") as wh:
        hists = numeric_histograms(wh, relation, relation, columns, bins=DEFAULT_BINS)
    return {c: _histogram_dict(ref) for c, (ref, _) in hists.items()}


def _chosen(out_dir: Path) -> dict[str, Any]:
    path = out_dir / "selection.json"
    if not path.is_file():
        return {}
    selection = json.loads(path.read_text("utf-8"))
    chosen: dict[str, Any] = next(
        (c for c in selection.get("candidates", []) if c.get("chosen")), {}
    )
    return {"rule": selection.get("rule"), "rows": selection.get("rows"), **chosen}


def registry_metadata(
    out_dir: Path, model: SegmentModel, window: Mapping[str, Any], published_by: str
) -> dict[str, Any]:
    """The ``segment_models.metadata`` of a run's version (module docstring)."""
    run = json.loads((out_dir / "run.json").read_text("utf-8"))
    chosen = _chosen(out_dir)
    features = pd.read_parquet(out_dir / "features.parquet")
    read = list(model.feature_names)
    numeric = [c for c in read if pd.api.types.is_numeric_dtype(features[c])]
    return {
        "parameters": {
            "algorithm": model.algorithm,
            "candidate": chosen.get("name"),
            "params": chosen.get("params", {}),
            "selection_rule": chosen.get("rule"),
            "features": list(model.features),
        },
        "metrics": {k: chosen[k] for k in METRICS if k in chosen},
        "feature_schema": [{"name": c, "dtype": str(features[c].dtype)} for c in read],
        "reference_distributions": {
            "bins": DEFAULT_BINS,
            "rows": len(features),
            "features": reference_histograms(out_dir / "features.parquet", numeric),
        },
        "training_window": {"as_of": run.get("as_of"), **window},
        "code_version": {"trained_by": model.cible_version, "published_by": published_by},
        "run": {k: v for k, v in run.items() if k != "seconds"},
    }
