"""Use case: resolve duplicate customers in the warehouse, write the identity outputs, undo.

``resolve_identities`` reads the ingested customers, finds duplicates
(:func:`cible.identity.find_duplicates`), builds golden records
(:func:`cible.identity.build_golden`), then, in one warehouse transaction, points every
event at its surviving customer and records the merges (so features count each person once).
``write_identity`` writes the user-facing files and the state an undo needs; ``undo_identity``
detaches a record or splits an entity and re-applies the result to the warehouse.

Files (all in the output folder): ``clusters.csv`` (record_id, entity_id), ``golden.csv``,
``merge_log.csv``, ``dedup.json`` (counts), optionally ``review_sample.csv`` (personal data, for
a human reviewer), and ``identity_*.parquet`` (typed state for undo).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from cible.config import CibleConfig, DedupConfig
from cible.exceptions import ConfigError, DedupError
from cible.identity import (
    FellegiSunter,
    GoldenResult,
    IncrementalMatcher,
    IncrementalResult,
    MatchResult,
    build_golden,
    find_duplicates,
    pairwise_metrics,
    undo_entity,
    undo_merge,
)
from cible.identity.guards import GuardReport, check_resolution, enforce
from cible.services.calibration import calibrate_threshold  # noqa: F401 - re-exported
from cible.services.identity_files import (
    MODEL_FILE,
    PAIRS_FILE,
    model_from_dict,
    model_to_dict,
    write_pairs,
    write_review,
)
from cible.services.ingest import IngestSummary, ingest
from cible.services.outputs import staged, write_json
from cible.services.progress import NullProgress, Progress
from cible.services.table_dedup import TableOutcome, run_table_dedup
from cible.warehouse.base import Warehouse
from cible.warehouse.registry import open_warehouse

STATE_FILES: tuple[str, ...] = ("golden", "id_map", "merge_log", "links")


@dataclass(frozen=True)
class IdentityOutcome:
    """A resolution (or an undo) applied to the warehouse."""

    golden: GoldenResult
    events_rekeyed: int
    match: MatchResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    incremental: IncrementalResult | None = None
    model: FellegiSunter | None = None
    records: pd.DataFrame | None = None  # the customer records resolved (for the review sample)
    guards: GuardReport | None = None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.golden.summary(), "events_rekeyed": self.events_rekeyed}
        if self.guards is not None:
            out |= self.guards.summary()
        if self.match is not None:
            stats = self.match.stats
            out |= {
                "threshold": self.match.threshold,
                "candidate_pairs": len(self.match.pairs),
                "matching_pairs": int(self.match.pairs["is_match"].sum()),
                "exact_pairs": int(self.match.pairs["rule"].str.startswith("exact").sum()),
                "matcher": {k: v for k, v in stats.items() if k != "records"},
            }
        if self.incremental is not None:
            stats = self.incremental.stats
            out |= {
                "mode": "incremental",
                "new_records": len(self.incremental.assignments),
                "new_records_in_existing_customers": int(
                    (~self.incremental.assignments["is_new_entity"]).sum()
                ),
                "entities_merged_by_new_records": len(self.incremental.merges),
                "matcher": {k: v for k, v in stats.items() if k != "records"},
            }
        return out | {"seconds": self.seconds}


def load_customer_records(wh: Warehouse) -> pd.DataFrame:
    """The ingested customers, one row per ``customer_id`` (checked: ids must not repeat across
    sources, since events name customers by ``customer_id`` alone)."""
    frame = wh.fetch_arrow("SELECT * FROM customers ORDER BY customer_id, source").to_pandas()
    repeated = frame["customer_id"][frame["customer_id"].duplicated()]
    if len(repeated):
        examples = ", ".join(repr(v) for v in sorted(set(repeated))[:3])
        raise DedupError(
            f"{len(repeated)} customer id(s) appear in several customer sources (e.g. {examples}); "
            "give each source its own ids (e.g. map customer_id with an expression that prefixes "
            "the source name) so that records can be told apart"
        )
    if frame.empty:
        raise DedupError("no customer record in the warehouse: ingest a customers source first")
    return frame


def resolve_identities(
    config: DedupConfig, wh: Warehouse, progress: Progress | None = None
) -> IdentityOutcome:
    """Match, merge and apply to ``wh`` (events re-keyed, merges recorded) in one transaction."""
    progress = progress or NullProgress()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    progress.start("Finding duplicate customers")
    records = load_customer_records(wh)
    match = find_duplicates(records, config.matching)
    report = guard(config, match.clusters, match.model, match.stats.get("em"))
    seconds["match"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    golden = build_golden(records, match.clusters, match.pairs, config.survivorship)
    seconds["golden"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rekeyed = apply_identity(wh, golden)
    seconds["apply"] = time.perf_counter() - t0
    s = golden.summary()
    progress.done(f"{s['records']:,} records -> {s['entities']:,} customers")
    return IdentityOutcome(
        golden, rekeyed, match, seconds, model=match.model, records=records, guards=report
    )


def guard(
    config: DedupConfig,
    clusters: pd.DataFrame,
    model: FellegiSunter | None,
    em: dict[str, Any] | None = None,
) -> GuardReport:
    """Check ``dedup.guards`` on a resolution; raises before anything is applied or written."""
    labels = [f.label for f in config.matching.fields]
    lam = None if em is None else em.get("lambda_candidates")
    report = check_resolution(clusters, config.guards, model, labels, lam)
    enforce(report, config.guards)
    return report


def resolve_new_records(
    config: DedupConfig, wh: Warehouse, out_dir: Path, progress: Progress | None = None
) -> IdentityOutcome:
    """Match only the customers ingested since the last resolution (saved in ``out_dir``)
    against the existing entities, without re-running the whole base; the trained model is
    reused. Entities keep their ids; a new record that bridges two entities merges them."""
    progress = progress or NullProgress()
    state = read_identity_state(out_dir, config)
    model_path = out_dir / MODEL_FILE
    model = _saved_model(out_dir)
    if config.matching.method == "fellegi_sunter" and model is None:
        raise DedupError(f"{model_path} is missing: run a full `cible dedup` first")
    records = load_customer_records(wh)
    known = records["customer_id"].isin(state.id_map["record_id"])
    gone = set(state.id_map["record_id"]) - set(records["customer_id"])
    if gone:
        raise DedupError(
            f"{len(gone)} record(s) of the saved resolution are no longer in the warehouse: "
            "run a full `cible dedup`"
        )
    t0 = time.perf_counter()
    progress.start(f"Matching {int((~known).sum()):,} new customer records")
    clusters = state.id_map[["record_id", "entity_id"]].assign(
        cluster_size=lambda f: f.groupby("entity_id")["record_id"].transform("size")
    )
    base = MatchResult(state.links.iloc[:0], clusters, config.matching.threshold, {}, model)
    matcher = IncrementalMatcher(config.matching).fit(records[known], base)
    inc = matcher.match(records[~known])
    report = guard(config, inc.clusters, None)
    seconds = {"match": time.perf_counter() - t0}
    t0 = time.perf_counter()
    links = pd.concat(
        [
            state.links.assign(is_match=True),
            inc.pairs.loc[
                inc.pairs["is_match"], ["record_id_l", "record_id_r", "score", "rule"]
            ].assign(is_match=True),
        ],
        ignore_index=True,
    )
    fresh = build_golden(records, inc.clusters, links, config.survivorship)
    touched = set(
        inc.clusters.loc[inc.clusters["record_id"].isin(inc.assignments["record_id"]), "entity_id"]
    )
    new_rows = fresh.merge_log[fresh.merge_log["entity_id"].isin(touched)]
    golden = replace(fresh, merge_log=pd.concat([state.merge_log, new_rows], ignore_index=True))
    seconds["golden"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rekeyed = apply_identity(wh, golden)
    seconds["apply"] = time.perf_counter() - t0
    progress.done(f"{len(inc.assignments):,} new, {len(inc.merges):,} entities merged")
    return IdentityOutcome(golden, rekeyed, None, seconds, inc, model, records, report)


def apply_identity(wh: Warehouse, golden: GoldenResult) -> int:
    """Re-key events to surviving ids and record the merges, all or nothing."""
    with wh.transaction():
        rekeyed = wh.rekey_customers(golden.id_map)
        wh.replace_identity(golden.id_map)
    return rekeyed


def write_identity(
    outcome: IdentityOutcome,
    path: Callable[[str], Path],
    *,
    config: DedupConfig,
) -> None:
    """User-facing files, the state for undo and, when configured, the review sample."""
    g = outcome.golden
    g.id_map[["record_id", "entity_id"]].to_csv(path("clusters.csv"), index=False)
    g.golden.to_csv(path("golden.csv"), index=False)
    g.merge_log.to_csv(path("merge_log.csv"), index=False)
    for name in STATE_FILES:
        getattr(g, name).to_parquet(path(f"identity_{name}.parquet"), index=False)
    write_json(path("dedup.json"), outcome.summary())
    if outcome.model is not None:
        write_json(path(MODEL_FILE), model_to_dict(outcome.model))
    if outcome.match is not None:
        write_pairs(outcome.match, path(PAIRS_FILE))
        if outcome.records is not None:
            write_review(config, outcome.match, outcome.records, path)


def read_identity_state(out_dir: Path, config: DedupConfig) -> GoldenResult:
    """The golden result saved by the last ``cible dedup``/``cible run`` in ``out_dir``."""
    frames = {}
    for name in STATE_FILES:
        p = out_dir / f"identity_{name}.parquet"
        if not p.exists():
            raise DedupError(f"{p} is missing: run `cible dedup` (or `cible run`) first")
        frames[name] = pd.read_parquet(p)
    return GoldenResult(config=config.survivorship, **frames)


@dataclass(frozen=True)
class DedupRun:
    """What `cible dedup` did: the ingestion (``None`` for a plain table) and the resolution."""

    ingest: IngestSummary | None
    outcome: IdentityOutcome | TableOutcome
    out_dir: Path


def _dedup_config(config: CibleConfig) -> DedupConfig:
    if config.dedup is None:
        raise ConfigError("the configuration has no `dedup:` section (see docs/dedup.md)")
    return config.dedup


def run_dedup(
    config: CibleConfig,
    out_dir: Path,
    progress: Progress | None = None,
    *,
    incremental: bool = False,
) -> DedupRun:
    """`cible dedup`: ingest, resolve duplicates (all records, or with ``incremental`` only
    those new since the last resolution in ``out_dir``), write the identity files."""
    dedup = _dedup_config(config)
    out_dir = out_dir.resolve()
    if dedup.input is not None:
        if incremental:
            raise DedupError(
                "--incremental works on ingested customers; with dedup.input the whole table is "
                "matched on each run"
            )
        return DedupRun(None, run_table_dedup(config, dedup, out_dir, progress), out_dir)
    wh = open_warehouse(config.warehouse, out_dir)
    try:
        summary = ingest(config, wh, out_dir, progress)
        if incremental:
            outcome = resolve_new_records(dedup, wh, out_dir, progress)
        else:
            outcome = resolve_identities(dedup, wh, progress)
    finally:
        wh.close()
    with staged(out_dir) as path:
        write_identity(outcome, path, config=dedup)
    return DedupRun(summary, outcome, out_dir)


def undo_identity(
    config: CibleConfig,
    out_dir: Path,
    *,
    record_id: str | None = None,
    entity_id: str | None = None,
) -> IdentityOutcome:
    """Detach one record (``record_id``) or split a whole entity (``entity_id``), re-apply the
    result to the warehouse and rewrite the identity files; the merge log keeps the undo."""
    if (record_id is None) == (entity_id is None):
        raise DedupError("give exactly one of a record id or an entity id to undo")
    dedup = _dedup_config(config)
    out_dir = out_dir.resolve()
    state = read_identity_state(out_dir, dedup)
    wh = open_warehouse(config.warehouse, out_dir)
    try:
        records = load_customer_records(wh)
        if record_id is not None:
            golden = undo_merge(state, records, record_id)
        else:
            assert entity_id is not None
            golden = undo_entity(state, records, entity_id)
        outcome = IdentityOutcome(golden, apply_identity(wh, golden), model=_saved_model(out_dir))
    finally:
        wh.close()
    with staged(out_dir) as path:
        write_identity(outcome, path, config=dedup)
    return outcome


def _saved_model(out_dir: Path) -> FellegiSunter | None:
    path = out_dir / MODEL_FILE
    return model_from_dict(json.loads(path.read_text())) if path.exists() else None


def duplicate_agreement(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Pairwise precision/recall/F1 of ``clusters`` against a truth table with ``customer_id``
    and ``duplicate_of`` (the generated world's ``truth.csv``); records absent from the truth
    are ignored."""
    ids = truth["customer_id"].astype(str)
    original = truth["duplicate_of"].astype("string").str.strip()
    person = pd.Series(original.where(original != "", ids).fillna(ids).to_numpy(), index=ids)
    known = clusters[clusters["record_id"].astype(str).isin(person.index)]
    return {k: float(v) for k, v in pairwise_metrics(known, person).items()}
