"""The typed results of the Python API: what a step computed, shown in a notebook, as tables, as
the CLI's files.

Every result holds the pipeline's own typed result (:class:`~cible.segmentation.SegmentationResult`,
the plain-table :class:`~cible.services.table_dedup.TableOutcome`, the
:class:`~cible.services.predict.PredictOutcome`) and offers:

* ``_repr_html_()``: the compact view of :mod:`cible.reporting.notebook` (Jupyter calls it);
* ``to_pandas()`` / ``to_arrow()``: the main table (assignments, clusters, scores), a new frame;
* ``save(folder)``: exactly the files the CLI writes for the same step, through the CLI's own
  writers, atomically (:func:`cible.services.outputs.staged`); returns the paths written;
* ``report(path)``: the self-contained HTML report, where the CLI writes one.

Rendering and writing modules are imported when called, so ``import cible`` stays light.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from cible.config import CibleConfig, DedupConfig, SegmentationConfig
    from cible.segmentation.segmentation_result import SegmentationResult
    from cible.segmentation.spark_selection import SparkSegmentation
    from cible.services.pipeline import PipelineResult
    from cible.services.predict import PredictOutcome
    from cible.services.spark_pipeline import SparkPipelineResult
    from cible.services.table_dedup import TableOutcome


def _arrow(frame: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


@dataclass(frozen=True)
class SegmentResult:
    """The segments of a customer feature table (:func:`cible.segment`)."""

    segmentation: SegmentationResult
    features: pd.DataFrame  # the feature table segmented, indexed by customer_id
    config: SegmentationConfig
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The segment names, in the order of the profiles (segment id)."""
        return [str(n) for n in self.segmentation.profiles["segment_name"]]

    @property
    def labels(self) -> pd.Series:
        """The segment id of every customer, indexed by customer_id."""
        a = self.segmentation.assignments
        return a.set_index("customer_id")["segment_id"].rename("segment_id")

    @property
    def profiles(self) -> pd.DataFrame:
        """The segment profiles (profiles.csv): id, name, size, share, feature means, medians."""
        return self.segmentation.profiles.copy()

    def to_pandas(self) -> pd.DataFrame:
        """customer_id, segment_id, segment_name: one row per customer (``segments.parquet``)."""
        return self.segmentation.assignments.copy()

    def to_arrow(self) -> pa.Table:
        """The table of :meth:`to_pandas` as a pyarrow Table."""
        return _arrow(self.segmentation.assignments)

    def save(self, folder: str | Path) -> list[Path]:
        """The segmentation files of ``cible run`` (features.parquet, segments.parquet,
        profiles.csv, selection.json, validation.json, segment_model.joblib and its .sha256) and
        its report.html; ``folder`` is created if absent."""
        from cible.reporting.html import render_report
        from cible.services.outputs import staged
        from cible.services.steps import write_segment_tables

        out = Path(folder).resolve()
        names: list[str] = []
        with staged(out) as path:

            def named(name: str) -> Path:
                names.append(name)
                return path(name)

            write_segment_tables(named, self.features, self.segmentation)
            render_report(named("report.html"), **self._report_parts())
        return [out / n for n in names]

    def report(self, path: str | Path) -> Path:
        """The self-contained HTML report of ``cible run`` (without ingestion: none was run)."""
        from cible.reporting.html import render_report

        return render_report(Path(path), **self._report_parts())

    def _report_parts(self) -> dict[str, Any]:
        return {"segmentation": self.segmentation, "ingest": [], "meta": self.meta}

    def _repr_html_(self) -> str:
        from cible.reporting.notebook import segment_view

        return segment_view(self.segmentation, self.meta)


@dataclass(frozen=True)
class DedupResult:
    """Duplicate records of a table grouped into entities (:func:`cible.dedup`)."""

    outcome: TableOutcome
    config: DedupConfig

    @property
    def clusters(self) -> pd.DataFrame:
        """record_id, entity_id: one row per record (``clusters.csv``)."""
        return self.outcome.match.clusters[["record_id", "entity_id"]].copy()

    @property
    def pairs(self) -> pd.DataFrame:
        """The candidate pairs compared, their score and whether they match."""
        return self.outcome.match.pairs.copy()

    def matched_pairs(self) -> set[tuple[str, str]]:
        """Every pair of records in the same entity, each as (smaller id, larger id)."""
        from itertools import combinations

        out: set[tuple[str, str]] = set()
        for _, ids in self.clusters.groupby("entity_id")["record_id"]:
            out.update(combinations(sorted(str(i) for i in ids), 2))
        return out

    def summary(self) -> dict[str, Any]:
        """The content of ``dedup.json``."""
        return self.outcome.summary()

    def to_pandas(self) -> pd.DataFrame:
        """The table of ``clusters.csv``: record_id, entity_id (as :attr:`clusters`)."""
        return self.clusters

    def to_arrow(self) -> pa.Table:
        """The table of :meth:`to_pandas` as a pyarrow Table."""
        return _arrow(self.clusters)

    def save(self, folder: str | Path) -> list[Path]:
        """The files of ``cible dedup`` on a plain table (clusters.csv, dedup.json,
        identity_pairs.parquet, identity_model.json for Fellegi-Sunter, review_sample.csv when
        ``review_sample`` is set). ``cible dedup`` writes no HTML report, so neither does this."""
        from cible.services.table_dedup import write_table_outcome

        return write_table_outcome(self.outcome, self.config, Path(folder).resolve())

    def _repr_html_(self) -> str:
        from cible.reporting.notebook import dedup_view

        return dedup_view(self.summary(), self.outcome.match.clusters)


@dataclass(frozen=True)
class PropensityResult:
    """Models trained on a labelled table, compared, and its rows scored (:func:`cible.propensity`)."""

    outcome: PredictOutcome

    @property
    def score_name(self) -> str:
        """The name of the score column (``<label>_propensity`` unless ``score_name`` was given)."""
        return self.outcome.score_name

    @property
    def scores(self) -> pd.Series:
        """The score of every row, indexed by customer_id."""
        return self.outcome.scores[self.outcome.score_name].copy()

    @property
    def best(self) -> str:
        """The chosen model (best cross-validated score on the training split)."""
        return self.outcome.training.best

    def metrics(self) -> dict[str, Any]:
        """The model comparison and every test metric (``metrics.json`` without the metadata)."""
        return self.outcome.training.to_dict()

    def to_pandas(self) -> pd.DataFrame:
        """The scores table of ``scores.parquet``: customer_id, score, flag, decile, reasons."""
        return self.outcome.scores.reset_index()

    def to_arrow(self) -> pa.Table:
        """The table of :meth:`to_pandas` as a pyarrow Table."""
        return _arrow(self.to_pandas())

    def save(self, folder: str | Path) -> list[Path]:
        """The files of ``cible predict`` (scores.parquet, scores.csv, metrics.json,
        predict_report.html, tree_rules.txt when a tree was trained)."""
        from cible.services.outputs import staged
        from cible.services.predict import write_predict_outputs

        out = Path(folder).resolve()
        with staged(out) as path:
            names = [p.name for p in write_predict_outputs(path, self.outcome)]
        return [out / n for n in names]

    def report(self, path: str | Path) -> Path:
        """The self-contained HTML report of ``cible predict`` (predict_report.html)."""
        return self.outcome.render_report(Path(path))

    def _repr_html_(self) -> str:
        from cible.reporting.notebook import predict_view

        o = self.outcome
        return predict_view(o.training, o.meta, o.scores, o.score_name, o.warnings)


@dataclass(frozen=True)
class RunResult:
    """A whole ``cible run`` (:func:`cible.run`): its files are in ``out_dir`` as the CLI wrote
    them; ``save`` copies them, ``report`` copies report.html. With ``warehouse.segment_in:
    spark`` the segmentation is the driver's aggregates
    (:class:`~cible.segmentation.spark_selection.SparkSegmentation`) and the assignments are
    read from the run's ``segments.parquet``."""

    pipeline: PipelineResult | SparkPipelineResult
    config: CibleConfig

    @property
    def out_dir(self) -> Path:
        """The folder the run wrote its files in (``out`` of :func:`cible.run`)."""
        return self.pipeline.out_dir

    @property
    def segmentation(self) -> SegmentationResult | SparkSegmentation:
        """The run's segmentation: a SegmentationResult, or the driver's aggregates of a Spark run."""
        return self.pipeline.segmentation

    @property
    def names(self) -> list[str]:
        """The segment names, in the order of the profiles (``segment_id``)."""
        return [str(n) for n in self.pipeline.segmentation.profiles["segment_name"]]

    def to_pandas(self) -> pd.DataFrame:
        """customer_id, segment_id, segment_name (``segments.parquet``)."""
        import pandas as pd

        from cible.segmentation.segmentation_result import SegmentationResult

        seg = self.pipeline.segmentation
        if isinstance(seg, SegmentationResult):
            return seg.assignments.copy()
        return pd.read_parquet(self.out_dir / "segments.parquet")

    def to_arrow(self) -> pa.Table:
        """The table of :meth:`to_pandas` as a pyarrow Table."""
        return _arrow(self.to_pandas())

    def save(self, folder: str | Path) -> list[Path]:
        """Copy every result of the run (not the warehouse, nor hidden files) to ``folder``."""
        out = Path(folder).resolve()
        out.mkdir(parents=True, exist_ok=True)
        copied = []
        for p in sorted(self.out_dir.iterdir()):
            if p.name.startswith(".") or p.name in _warehouse(self):
                continue
            if p.is_dir():  # a Parquet directory written by Spark
                copied.append(Path(shutil.copytree(p, out / p.name, dirs_exist_ok=True)))
            else:
                copied.append(Path(shutil.copy2(p, out / p.name)))
        return copied

    def report(self, path: str | Path) -> Path:
        """A copy of the run's report.html at ``path``."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(self.pipeline.report, target))

    def _repr_html_(self) -> str:
        from cible.reporting.notebook import profiles_view, segment_view
        from cible.segmentation.segmentation_result import SegmentationResult
        from cible.services.outputs import run_meta

        seg = self.pipeline.segmentation
        meta = run_meta(self.config.project, as_of=self.pipeline.as_of.isoformat())
        if isinstance(seg, SegmentationResult):
            return segment_view(seg, meta)
        return profiles_view(seg.profiles, meta)


def _warehouse(result: RunResult) -> set[str]:
    """The file names of a DuckDB warehouse in the output folder (kept out of ``save``)."""
    path = getattr(result.config.warehouse, "path", None)
    if path is None:
        return set()
    name = Path(path).name
    return {name, f"{name}.wal"}
