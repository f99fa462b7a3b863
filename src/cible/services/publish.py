"""Use case: publish the segmentation of a batch run to the profile store.

Reads the run folder (``segment_model.joblib``, ``run.json``, ``segments.parquet``) and the run's
warehouse, creates a new model version and loads, in bulk, every customer, alias (merged-away id
-> golden id), consent, the per-order and per-day aggregates of the events (computed in warehouse
SQL, so a million events move as a few hundred thousand rows), the processed event ids and each
customer's membership (re-scored with the model's own predict)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import cible
from cible.config import FEATURE_NAMES, CibleConfig, DuckDBWarehouseConfig
from cible.exceptions import SegmentationError
from cible.lifecycle.tracking import MlflowTarget, log_version
from cible.segmentation.model_artifact import SegmentModel
from cible.services.progress import NullProgress, Progress
from cible.services.publish_lifecycle import (
    StableIds,
    registry_metadata,
    stable_model,
    write_migration,
)
from cible.store import ProfileStore
from cible.store.versions import VersionRegistry
from cible.warehouse import Warehouse, open_warehouse

EPOCH = date(1970, 1, 1)
MICROS = "CAST(CAST(coalesce(amount, 0) AS DECIMAL(38, 6)) * 1000000 AS BIGINT)"
DAY = "CAST(floor(epoch(timestamp) / 86400) AS BIGINT)"
CHANNELS = ("email", "sms", "push")


@dataclass(frozen=True)
class PublishResult:
    version: int
    customers: int
    aliases: int
    events: int
    memberships: int
    differ_from_batch: int  # memberships whose re-scored segment is not the batch label
    as_of: date
    store_url: str
    previous_version: int | None = None
    segments: dict[str, Any] | None = None  # kept/new/vanished/split/merged (stable ids)
    migration_path: Path | None = None
    mlflow_run_id: str | None = None  # the MLflow run of this version, when tracking is on


def check_publishable(model: SegmentModel) -> None:
    extra = model.non_behavioural_features()
    if extra:
        raise SegmentationError(
            f"segmentation features {extra} are not behavioural features the live store "
            f"computes ({', '.join(FEATURE_NAMES)}): a segmentation on prediction scores, CLV "
            "or the demographic and contextual families cannot be published; segment on "
            "behavioural features only to publish"
        )


def run_as_of(out_dir: Path) -> date:
    path = out_dir / "run.json"
    if not path.is_file():
        raise SegmentationError(f"{path} does not exist: run `cible run --out {out_dir}` first")
    return date.fromisoformat(json.loads(path.read_text("utf-8"))["as_of"])


def check_run_files(out_dir: Path) -> Path:
    """``out_dir``, after checking the tables publish reads are there."""
    for name in ("segments.parquet", "features.parquet"):
        if not (out_dir / name).is_file():
            raise SegmentationError(
                f"{out_dir / name} does not exist: run `cible run --out {out_dir}` first"
            )
    return out_dir


def _rows(wh: Warehouse, sql: str, size: int = 50_000) -> Iterator[dict[str, Any]]:
    table = wh.fetch_arrow(sql)
    for batch in table.to_batches(max_chunksize=size):
        yield from batch.to_pylist()


def _day(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def order_rows(wh: Warehouse) -> Iterator[dict[str, Any]]:
    sql = (
        f"SELECT customer_id, coalesce(order_id, event_id) AS order_id, {DAY} AS day, "
        f"min(timestamp) AS first_ts, sum({MICROS}) AS amount_micros FROM events "
        "WHERE event_type = 'purchase' GROUP BY 1, 2, 3"
    )
    for r in _rows(wh, sql):
        yield {**r, "day": _day(r["day"]), "amount_micros": int(r["amount_micros"])}


def day_rows(wh: Warehouse) -> Iterator[dict[str, Any]]:
    sql = (
        f"SELECT customer_id, {DAY} AS day, count(*) AS events, "
        f"sum(CASE WHEN event_type = 'refund' THEN {MICROS} ELSE 0 END) AS refunded_micros, "
        "min(timestamp) AS first_ts, max(timestamp) AS last_ts FROM events GROUP BY 1, 2"
    )
    for r in _rows(wh, sql):
        yield {**r, "day": _day(r["day"]), "refunded_micros": int(r["refunded_micros"] or 0)}


def customer_rows(wh: Warehouse) -> list[dict[str, Any]]:
    """One row per golden customer: the earliest created_at of its records; the stored record
    holds no personal data (country and source only)."""
    sql = (
        "SELECT customer_id, min(source) AS source, min(created_at) AS created_at, "
        f"min(country) AS country FROM {wh.resolved_customers_sql()} rc GROUP BY 1"
    )
    out = []
    for r in _rows(wh, sql):
        record = {"customer_id": r["customer_id"], "source": r["source"], "country": r["country"]}
        out.append({**r, "record": record})
        del out[-1]["country"]
    return out


def consent_rows(wh: Warehouse, default_at: datetime) -> list[dict[str, Any]]:
    """Per customer and channel, the consent of its latest record (by created_at, then source)."""
    out: list[dict[str, Any]] = []
    for ch in CHANNELS:
        sql = (
            f"SELECT customer_id, consent_{ch} AS granted, created_at AS at, source FROM ("
            f"SELECT customer_id, consent_{ch}, created_at, source, row_number() OVER ("
            "PARTITION BY customer_id ORDER BY created_at DESC NULLS LAST, source DESC) AS r "
            f"FROM {wh.resolved_customers_sql()} rc WHERE consent_{ch} IS NOT NULL) x WHERE r = 1"
        )
        out += [
            {**r, "channel": ch, "granted": bool(r["granted"]), "at": r["at"] or default_at}
            for r in _rows(wh, sql)
        ]
    return out


def alias_pairs(wh: Warehouse) -> list[tuple[str, str]]:
    sql = "SELECT record_id, surviving_id FROM customer_identity"
    return [(r["record_id"], r["surviving_id"]) for r in _rows(wh, sql)]


def training_window(wh: Warehouse) -> dict[str, str | None]:
    """The first and last event the run was trained on (ISO timestamps)."""
    row = wh.fetch_arrow("SELECT min(timestamp) AS a, max(timestamp) AS b FROM events")
    a, b = row.column("a")[0].as_py(), row.column("b")[0].as_py()
    return {
        "first_event": a.isoformat() if a is not None else None,
        "last_event": b.isoformat() if b is not None else None,
    }


def open_run_warehouse(out_dir: Path, config: CibleConfig | None) -> Warehouse:
    wh_config = config.warehouse if config is not None else DuckDBWarehouseConfig()
    return open_warehouse(wh_config, out_dir)


def publish_run(
    out_dir: Path,
    store_url: str,
    *,
    config: CibleConfig | None = None,
    schema: str | None = None,
    progress: Progress | None = None,
    tracking: MlflowTarget | None = None,
) -> PublishResult:
    """Publish the run in ``out_dir`` as a new model version (also to MLflow with ``tracking``)."""
    import pandas as pd

    progress = progress or NullProgress()
    out_dir = out_dir.resolve()
    model = SegmentModel.load(out_dir / "segment_model.joblib")
    check_publishable(model)
    as_of = run_as_of(check_run_files(out_dir))
    at = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    store = ProfileStore.open(store_url, schema=schema)
    try:
        registry = VersionRegistry(store.engine, store.url)
        previous_version = store.health()["model_version"]
        before = store.memberships()
        progress.start("Loading customers, aliases, consents and event aggregates")
        counts, events, window = _load(store, out_dir, config, at)
        progress.done(f"{counts['customers']:,} customers, {events:,} events")
        progress.start(f"Computing profiles at {as_of.isoformat()}")
        n_profiles = store.refresh_profiles(at)
        progress.done(f"{n_profiles:,} profiles")
        progress.start("Scoring every customer with the published model")
        batch = pd.read_parquet(out_dir / "segments.parquet")
        stable = _stable(out_dir, model, batch, before, registry) if previous_version else None
        if stable is not None:
            model, batch = stable.model, batch.assign(segment_id=batch.segment_id.map(stable.ids))
        version = store.publish(model, cible_version=model.cible_version)
        summary = stable.summary(_names(registry, previous_version)) if stable else None
        metadata = registry_metadata(out_dir, model, window, cible.__version__)
        registry.set_metadata(version, {**metadata, "stable_ids": summary})
        migration = out_dir / "migration.json"
        versions = (previous_version, version)
        write_migration(migration, before, store.memberships(), versions, summary)
        differ = _differences(store, batch)
        progress.done(f"version {version}")
        run_id = _track(tracking, store, version, metadata, out_dir, progress)
        return PublishResult(
            version=version,
            customers=counts["customers"],
            aliases=counts["aliases"],
            events=events,
            memberships=n_profiles,
            differ_from_batch=differ,
            as_of=as_of,
            store_url=store.url,
            previous_version=previous_version,
            segments=summary,
            migration_path=migration,
            mlflow_run_id=run_id,
        )
    finally:
        store.close()


def _track(
    tracking: MlflowTarget | None,
    store: ProfileStore,
    version: int,
    metadata: dict[str, Any],
    out_dir: Path,
    progress: Progress,
) -> str | None:
    if tracking is None:
        return None
    progress.start(f"Logging version {version} to MLflow")
    run_id = log_version(tracking, version, metadata, out_dir, dialect=store.engine.dialect.name)
    progress.done(f"MLflow run {run_id}")
    return run_id


def _load(
    store: ProfileStore, out_dir: Path, config: CibleConfig | None, at: datetime
) -> tuple[dict[str, int], int, dict[str, str | None]]:
    """Bulk load of the run's warehouse: (counts, events, training window)."""
    wh = open_run_warehouse(out_dir, config)
    try:
        events = wh.count("events")
        counts = store.load_history(
            customer_rows=customer_rows(wh),
            alias_pairs=alias_pairs(wh),
            consent_rows=consent_rows(wh, at),
            order_rows=order_rows(wh),
            day_rows=day_rows(wh),
            event_ids=_rows(wh, "SELECT event_id, customer_id FROM events"),
        )
        return counts, events, training_window(wh)
    finally:
        wh.close()


def _stable(
    out_dir: Path,
    model: SegmentModel,
    batch: Any,
    before: dict[str, int],
    registry: VersionRegistry,
) -> StableIds | None:
    """The model renumbered onto the active version's segment ids (stable ids)."""
    import pandas as pd

    features = pd.read_parquet(out_dir / "features.parquet").set_index("customer_id")
    return stable_model(model, batch, features, before, registry.segment_ids_ever())


def _names(registry: VersionRegistry, version: int | None) -> dict[int, str]:
    if version is None:
        return {}
    return {s.segment_id: s.name for s in registry.show(version).segments}


def _differences(store: ProfileStore, batch: Any) -> int:
    """Customers whose store membership differs from the batch run's segments.parquet."""
    current = store.memberships()
    expected = dict(
        zip(batch["customer_id"].astype(str), batch["segment_id"].astype(int), strict=True)
    )
    return sum(1 for c, s in expected.items() if current.get(c) != s)
