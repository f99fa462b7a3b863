"""Thresholds judged on entities, after transitive closure, as users judge a resolution.

A pair scored below the threshold can still end up in one entity (``a-b`` and ``b-c`` match, so
``a`` and ``c`` are merged), and a pair above it drags its two whole groups together. So for
every threshold ``t`` of the grid the candidate pairs with ``score >= t`` (and every exact-key
pair, whatever ``t``) are clustered again exactly as the dedup run clusters them (connected
components, or ``clustering: evidence`` with the run's prior: the :class:`ClusteringRule` that
``dedup.json`` records, through the matcher's own
:func:`~cible.identity.clustering.resolve_entities`), and then:

* each labelled pair is judged by whether its two records are in the same entity (``closure_*``:
  counts, precision, recall, F1 over the labelled pairs; with the review sample's ``weight``
  column, ``weighted_*`` scale each stratum back to all candidate pairs);
* with a truth (record -> true entity), ``pairwise_*`` are the precision, recall and F1 over all
  record pairs implied by the entities (:func:`~cible.identity.pair_metrics.pairwise_metrics`)
  and ``cluster_*`` the share of predicted entities that are exactly a true entity (precision)
  and of true entities found exactly (recall), singletons included.

A pair whose score equals the threshold is a match (``score >= t``), as in the matcher.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cible.exceptions import ReviewFileError
from cible.identity.clustering import ClusteringRule, resolve_entities
from cible.identity.pair_metrics import pairwise_metrics

PAIRS_COLUMNS: tuple[str, ...] = ("record_id_l", "record_id_r", "score")


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def _f1(tp: float, fp: float, fn: float) -> float:
    return math.nan if tp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def cluster_scores(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Exact-entity precision, recall and F1 of two labelings of the same records."""
    pred = pd.factorize(predicted)[0]
    true = pd.factorize(actual)[0]
    pred_sizes, true_sizes = np.bincount(pred), np.bincount(true)
    joint = pd.Series(1, index=pd.MultiIndex.from_arrays([pred, true])).groupby(level=[0, 1]).size()
    p_idx = joint.index.get_level_values(0).to_numpy()
    t_idx = joint.index.get_level_values(1).to_numpy()
    counts = joint.to_numpy()
    exact = int(((counts == pred_sizes[p_idx]) & (counts == true_sizes[t_idx])).sum())
    precision, recall = exact / len(pred_sizes), exact / len(true_sizes)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"cluster_precision": precision, "cluster_recall": recall, "cluster_f1": f1}


def _check(pairs: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in PAIRS_COLUMNS if c not in pairs.columns]
    if missing:
        raise ReviewFileError(
            f"the candidate pairs have no column(s) {missing}; they need {list(PAIRS_COLUMNS)} "
            "(identity_pairs.parquet of the dedup run)"
        )
    return pairs


class ClosureGrid:
    """Re-clusters the candidate pairs at any threshold and judges the result."""

    def __init__(
        self,
        pairs: pd.DataFrame,
        labelled: pd.DataFrame,
        truth: pd.Series | None = None,
        clustering: ClusteringRule | None = None,
    ) -> None:
        pairs = _check(pairs)
        self.clustering = clustering or ClusteringRule()
        ids_l = pairs["record_id_l"].astype(str).to_numpy()
        ids_r = pairs["record_id_r"].astype(str).to_numpy()
        lab_l = labelled["record_id_l"].astype(str).to_numpy()
        lab_r = labelled["record_id_r"].astype(str).to_numpy()
        extra = [] if truth is None else [truth.index.astype(str).to_numpy()]
        every = np.concatenate([ids_l, ids_r, lab_l, lab_r, *extra])
        codes, self.ids = pd.factorize(every)
        n, k = len(ids_l), len(lab_l)
        self.left, self.right = codes[:n], codes[n : 2 * n]
        self.lab_left, self.lab_right = codes[2 * n : 2 * n + k], codes[2 * n + k : 2 * n + 2 * k]
        self.score = pd.to_numeric(pairs["score"], errors="coerce").to_numpy(dtype=float)
        rule = pairs["rule"].astype(str) if "rule" in pairs.columns else pd.Series([""] * n)
        self.exact = rule.str.startswith("exact").to_numpy()
        self.labels = labelled["label"].to_numpy(dtype=np.int64)
        weight = labelled["weight"] if "weight" in labelled.columns else None
        self.weight = None if weight is None else weight.to_numpy(dtype=float)
        self.truth = None
        if truth is not None:
            by_id = pd.Series(truth.to_numpy(), index=truth.index.astype(str))
            known = pd.Index(self.ids).isin(by_id.index)
            if not known.all():
                raise ReviewFileError(
                    f"{int((~known).sum())} record id(s) of the pairs have no true entity, e.g. "
                    f"{self.ids[~known][0]!r}"
                )
            self.truth = by_id.loc[self.ids].astype(str).to_numpy()

    def entities(self, threshold: float) -> np.ndarray:
        """Entity (smallest member position) of every record at ``threshold``, clustered as
        the dedup run did (:func:`~cible.identity.clustering.resolve_entities`)."""
        return resolve_entities(
            len(self.ids), self.left, self.right, self.score, self.exact, threshold, self.clustering
        )

    def at(self, threshold: float) -> dict[str, float | int]:
        entity = self.entities(threshold)
        same = entity[self.lab_left] == entity[self.lab_right]
        pos = self.labels == 1
        row: dict[str, float | int] = {"threshold": float(threshold)}
        tp, fp = int((same & pos).sum()), int((same & ~pos).sum())
        fn, tn = int((~same & pos).sum()), int((~same & ~pos).sum())
        row |= {"closure_tp": tp, "closure_fp": fp, "closure_fn": fn, "closure_tn": tn}
        row |= {
            "closure_precision": _ratio(tp, tp + fp),
            "closure_recall": _ratio(tp, tp + fn),
            "closure_f1": _f1(tp, fp, fn),
        }
        if self.weight is not None:
            w = self.weight
            wtp, wfp, wfn = (float(w[m].sum()) for m in (same & pos, same & ~pos, ~same & pos))
            row |= {
                "weighted_precision": _ratio(wtp, wtp + wfp),
                "weighted_recall": _ratio(wtp, wtp + wfn),
                "weighted_f1": _f1(wtp, wfp, wfn),
            }
        sizes = np.bincount(entity)
        row |= {"entities": int((sizes > 0).sum()), "largest_entity": int(sizes.max(initial=0))}
        if self.truth is not None:
            clusters = pd.DataFrame({"record_id": self.ids, "entity_id": entity.astype(str)})
            truth = pd.Series(self.truth, index=self.ids)
            m = pairwise_metrics(clusters, truth)
            row |= {f"pairwise_{k}": float(m[k]) for k in ("precision", "recall", "f1")}
            row |= cluster_scores(entity, self.truth)
        return row

    def grid(self, thresholds: Sequence[float]) -> pd.DataFrame:
        return pd.DataFrame([self.at(t) for t in thresholds])
