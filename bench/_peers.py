"""The three matchers of bench/dedup_peers.py on one task, each returning clusters.

Not a bench of its own (like _emit.py): bench/dedup_peers.py imports it, runs each matcher in a
child process and prints the figures as `{"bench": "dedup_peers", "data": ..., "tool": ...}`.

* cible: ``find_duplicates_auto`` with only the field names listed.
* recordlinkage (ECM): the union of exact blocks on several fields, a ``Compare`` with
  Jaro-Winkler >= 0.85 on names and addresses and exact on the rest, ``ECMClassifier``; matches
  clustered by connected components.
* Splink 5 (DuckDB): the settings of Splink's own Febrl3 / Febrl4 examples (comparisons from
  ``splink.comparison_library``, ``block_on`` rules), ``estimate_probability_two_random_records_
  match`` on deterministic rules, ``estimate_u_using_random_sampling(max_pairs=1e6)``, EM on two
  blocking rules; pairs at match probability >= 0.9 clustered by connected components.

The peers get what a careful user gives them: every text lower-cased, trimmed, spaces
collapsed, phones reduced to their digits. cible gets the raw table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cible.identity.clustering import cluster_frame, components

SPLINK_THRESHOLD = 0.9


@dataclass
class Task:
    """One data set: records (id in the index), truth, fields, peer settings."""

    name: str
    records: pd.DataFrame
    truth: pd.Series
    fields: list[str]
    link: bool = False  # two sources in column "source_dataset" ("a" / "b")
    peer: dict[str, Any] = field(default_factory=dict)


def clean_for_peers(
    records: pd.DataFrame, phones: tuple[str, ...] = (), dates: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Lower-cased, trimmed text; phones as their last 9 digits; dd/mm/yyyy dates in ISO."""
    out = records.copy()
    for column in out.columns:
        if column == "source_dataset":
            continue
        text = out[column].astype("string").str.strip().str.lower()
        text = text.str.replace(r"\s+", " ", regex=True)
        if column in phones:
            text = text.str.replace(r"\D", "", regex=True).str[-9:]
        if column in dates:
            text = text.str.replace(r"^(\d{2})/(\d{2})/(\d{4})$", r"\3-\2-\1", regex=True)
        out[column] = text.replace("", pd.NA).astype(object).where(text.notna(), None)
    return out


def _clusters(ids: np.ndarray, left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    order = np.argsort(ids.astype(str), kind="stable")
    ids = ids[order]
    position = pd.Series(np.arange(len(ids)), index=ids)
    a = position.loc[left].to_numpy()
    b = position.loc[right].to_numpy()
    return cluster_frame(ids, components(len(ids), np.minimum(a, b), np.maximum(a, b)))


def run_cible(task: Task) -> tuple[pd.DataFrame, dict[str, Any]]:
    from cible.identity.auto_config import find_duplicates_auto

    if task.link:
        result, auto = find_duplicates_auto(task.records, task.fields, link_column="source_dataset")
    else:
        result, auto = find_duplicates_auto(task.records, task.fields)
    print(auto)
    return result.clusters, {"candidate_pairs": result.stats["pairs_compared"]}


def _rl_compare(rl: Any, spec: dict[str, Any]) -> Any:
    compare = rl.Compare()
    for column in spec["fuzzy"]:
        compare.string(column, column, method="jarowinkler", threshold=0.85, label=column)
    for column in spec["exact"]:
        compare.exact(column, column, label=column)
    return compare


def run_recordlinkage(task: Task) -> tuple[pd.DataFrame, dict[str, Any]]:
    import jellyfish

    # recordlinkage 0.14 (the release that installs beside pandas 3) calls the jellyfish < 1
    # names of these two functions
    jellyfish.jaro_winkler = jellyfish.jaro_winkler_similarity  # type: ignore[attr-defined]
    jellyfish.jaro_distance = jellyfish.jaro_similarity  # type: ignore[attr-defined]
    import recordlinkage as rl

    spec = task.peer["recordlinkage"]()
    clean = clean_for_peers(task.records, tuple(spec.get("phones", ())))
    indexer = rl.Index()
    for column in spec["block"]:
        indexer.block(column)
    compare = _rl_compare(rl, spec)
    if task.link:
        a = clean[clean["source_dataset"] == "a"].drop(columns="source_dataset")
        b = clean[clean["source_dataset"] == "b"].drop(columns="source_dataset")
        pairs = indexer.index(a, b)
        vectors = compare.compute(pairs, a, b)
    else:
        pairs = indexer.index(clean)
        vectors = compare.compute(pairs, clean)
    matches = rl.ECMClassifier(binarize=0.5).fit_predict(vectors)
    left = matches.get_level_values(0).to_numpy(dtype=object)
    right = matches.get_level_values(1).to_numpy(dtype=object)
    ids = task.records.index.to_numpy(dtype=object)
    return _clusters(ids, left, right), {"candidate_pairs": len(pairs)}


def _splink_settings(task: Task, link_type: str) -> Any:
    from splink import SettingsCreator

    spec = task.peer["splink"]()
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=spec["blocking"](),
        comparisons=spec["comparisons"](),
        retain_intermediate_calculation_columns=False,
    )


def run_splink(task: Task) -> tuple[pd.DataFrame, dict[str, Any]]:
    from splink import DuckDBAPI, Linker

    spec = task.peer["splink"]()
    clean = clean_for_peers(
        task.records, tuple(spec.get("phones", ())), tuple(spec.get("dates", ()))
    )
    clean = clean.rename_axis("rec_id").reset_index()
    db_api = DuckDBAPI()
    if task.link:
        tables = [
            db_api.register(clean[clean["source_dataset"] == s].drop(columns="source_dataset"))
            for s in ("a", "b")
        ]
        linker = Linker(tables, _splink_settings(task, "link_only"), log_level="WARNING")
    else:
        table = db_api.register(clean.drop(columns="source_dataset", errors="ignore"))
        linker = Linker(table, _splink_settings(task, "dedupe_only"), log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        spec["deterministic"](), recall=spec["recall"]
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in spec["em"]():
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.2).as_pandas_dataframe()
    kept = predictions[predictions["match_probability"] >= SPLINK_THRESHOLD]
    ids = task.records.index.to_numpy(dtype=object)
    clusters = _clusters(
        ids,
        kept["rec_id_l"].to_numpy(dtype=object),
        kept["rec_id_r"].to_numpy(dtype=object),
    )
    return clusters, {"pairs_over_0_2": len(predictions), "threshold": SPLINK_THRESHOLD}


RUNNERS = {"cible": run_cible, "recordlinkage": run_recordlinkage, "splink": run_splink}
