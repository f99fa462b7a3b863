"""The Python API's functions: a data frame in, a typed result out, without YAML.

Each function builds the same configuration model ``cible.yaml`` would hold for the step (the
keyword arguments are its fields), turns the frame into the pandas frame the pipeline reads
(:mod:`cible.facade.frames`), and calls the code the CLI calls:

* :func:`segment` -> :func:`cible.segmentation.segment_customers` (the segment step of
  ``cible run``);
* :func:`dedup` -> :func:`cible.services.table_dedup.resolve_records` (``cible dedup`` with
  ``dedup.input``);
* :func:`propensity` -> :func:`cible.services.predict.predict_from_frame` (``cible predict`` with
  ``predict.table``);
* :func:`run` -> :func:`cible.services.pipeline.run_configured` (``cible run``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from cible.exceptions import ConfigError

if TYPE_CHECKING:
    from cible.config import CibleConfig, DedupConfig, SegmentationConfig
    from cible.config.predict import PredictConfig
    from cible.facade.step_results import DedupResult, PropensityResult, RunResult, SegmentResult

Model = TypeVar("Model", bound=BaseModel)
SEGMENT, DEDUP, PREDICT = "cible.segment()", "cible.dedup()", "cible.propensity()"
#: the column of customer ids :func:`segment` reads by default (that of features.parquet)
CUSTOMER_ID = "customer_id"


def _validated(model: type[Model], data: Mapping[str, Any], what: str) -> Model:
    """``data`` as ``model``; a problem is a :class:`ConfigError` naming the argument."""
    from cible.config.project import format_validation_error

    try:
        return model.model_validate(dict(data))
    except ValidationError as e:
        raise ConfigError(format_validation_error(Path(what), e)) from e


def _settings(base: BaseModel | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``base`` (a configuration passed as ``config=``), ``given`` on top."""
    data = base.model_dump(exclude_unset=True) if base is not None else {}
    return {**data, **{k: v for k, v in given.items() if v is not None}}


def segment(
    frame: Any,
    features: Sequence[str] | None = None,
    *,
    id: str | None = CUSTOMER_ID,
    categories: Sequence[str] = (),
    config: SegmentationConfig | None = None,
    project: str = "cible",
    **settings: Any,
) -> SegmentResult:
    """Segment the customers of a feature table, as the segment step of ``cible run`` does.

    ``frame`` has one row per customer: ``id`` (customer ids, unique; ``None``: rows numbered
    from 1), ``frequency`` and ``monetary`` (customers with ``frequency`` 0 are prospects, not
    clustered) and the ``features`` to cluster on (default: ``segmentation.features``' default,
    the behaviour features of ``features.parquet``). ``categories`` are columns of the frame the
    representativeness tests compare segments on. ``config`` is a
    :class:`~cible.config.SegmentationConfig`; ``settings`` are its fields (``k_min=3``,
    ``selection={"algorithms": ["kmeans"]}``...), given ones winning.
    """
    from cible.config import SegmentationConfig
    from cible.facade.frames import check_columns, to_pandas
    from cible.facade.step_results import SegmentResult
    from cible.segmentation.customer_segments import segment_customers
    from cible.services.outputs import run_meta

    data = _settings(config, settings)
    if features is not None:
        data["features"] = list(features)
    cfg = _validated(SegmentationConfig, data, SEGMENT)
    table = to_pandas(frame, SEGMENT)
    check_columns(
        table,
        {
            "named in id": [id] if id is not None else [],
            "named in features": cfg.features,
            "needed by every segmentation: prospects have frequency 0": ["frequency", "monetary"],
            "named in categories": categories,
        },
        SEGMENT,
    )
    table = _indexed(table, id)
    cats = {c: table.pop(c) for c in categories}
    seg = segment_customers(table, cfg, categories=cats or None)
    return SegmentResult(seg, table, cfg, run_meta(project))


def _indexed(table: Any, id: str | None) -> Any:
    """The frame indexed by ``customer_id`` (text), from ``id`` or the row number."""
    import pandas as pd

    from cible.exceptions import SegmentationError

    if id is None:
        ids = pd.Index([str(i + 1) for i in range(len(table))], name=CUSTOMER_ID)
        return table.set_axis(ids)
    values = table.pop(id)
    if values.isna().any():
        row = int(values.isna().to_numpy().nonzero()[0][0]) + 1
        raise SegmentationError(f"{SEGMENT}: id column {id!r} is empty on row {row}")
    ids = values.astype(str)
    repeated = ids[ids.duplicated(keep=False)]
    if len(repeated):
        value = repeated.iloc[0]
        rows = [int(i) + 1 for i in (ids == value).to_numpy().nonzero()[0][:5]]
        raise SegmentationError(
            f"{SEGMENT}: id column {id!r} value {value!r} appears on rows "
            f"{', '.join(map(str, rows))}; customer ids must be unique "
            f"({repeated.nunique()} id(s) repeat)"
        )
    return table.set_axis(pd.Index(ids.to_numpy(dtype=object), name=CUSTOMER_ID))


def dedup(
    frame: Any,
    fields: Sequence[str | Mapping[str, Any]] = (),
    id: str = "record_id",
    *,
    blocking: Sequence[str | Sequence[str] | Mapping[str, Any]] = (),
    exact_keys: Sequence[str | Sequence[str]] = (),
    config: DedupConfig | None = None,
    name: str = "frame",
    **matching: Any,
) -> DedupResult:
    """Group the duplicate records of a table into entities, as ``cible dedup`` does with
    ``dedup.input``.

    ``id`` is the column identifying a record (filled, unique); ``fields`` the columns compared
    (needed unless ``config`` has them: a name, or a ``dedup.matching.fields`` mapping such as ``{"column": "email", "comparator":
    "exact"}``); ``blocking`` the candidate-pair rules (a column, a list of columns, or a
    ``dedup.matching.blocking`` mapping); ``exact_keys`` columns equal on duplicates. Further
    ``matching`` fields (``threshold=0.9``, ``method="fellegi_sunter"``) go to
    ``dedup.matching``; ``config`` is a whole :class:`~cible.config.DedupConfig` (its matching
    settings under the arguments given). Every cell is read as text, trimmed, as from a file.
    ``name`` names the table in errors and in ``dedup.json``.
    """
    from cible.config import DedupConfig
    from cible.facade.frames import to_pandas
    from cible.facade.step_results import DedupResult
    from cible.identity.table_input import check_records, records_as_text
    from cible.services.table_dedup import resolve_records

    base = config.model_dump(exclude_unset=True, exclude={"input"}) if config is not None else {}
    given: dict[str, Any] = {"id_column": id, **matching}
    if fields:
        given["fields"] = [{"column": f} if isinstance(f, str) else dict(f) for f in fields]
    if blocking:
        given["blocking"] = [_blocking_rule(b) for b in blocking]
    if exact_keys:
        given["exact_keys"] = [[k] if isinstance(k, str) else list(k) for k in exact_keys]
    base["matching"] = {**base.get("matching", {}), **given}
    base["input"] = {"path": name, "id_column": id}
    cfg = _validated(DedupConfig, base, DEDUP)
    assert cfg.input is not None
    where = Path(name)
    records = records_as_text(to_pandas(frame, DEDUP), cfg.input, where)
    check_records(records, where, cfg.matching)
    return DedupResult(resolve_records(records, where, cfg), cfg)


def _blocking_rule(rule: str | Sequence[str] | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(rule, str):
        return {"keys": [rule]}
    if isinstance(rule, Mapping):
        return dict(rule)
    return {"keys": list(rule)}


def propensity(
    frame: Any,
    label: str,
    *,
    positive: str | None = None,
    id: str | None = None,
    drop: Sequence[str] = (),
    config: PredictConfig | None = None,
    name: str = "frame",
    project: str = "cible",
    **settings: Any,
) -> PropensityResult:
    """Train, compare and choose models of ``label`` on a table, and score its rows, as
    ``cible predict`` does with ``predict.table``.

    ``label`` is the column of the outcome (yes/no, true/false, 1/0, or ``positive`` for the
    positive class); ``id`` the customer id column (``None``: rows numbered from 1); ``drop``
    columns never used as features. ``settings`` are fields of ``predict:`` (``models=
    ["logistic"]``, ``test_size=0.3``, ``split={"by": "time", "column": "signup"}``...);
    ``config`` a whole :class:`~cible.config.predict.PredictConfig` under them.
    """
    from cible.config import CibleConfig
    from cible.config.predict import PredictConfig
    from cible.facade.frames import to_pandas
    from cible.facade.step_results import PropensityResult
    from cible.services.predict import predict_from_frame

    data = _settings(config, settings)
    table = {"path": name, "id_column": id, "drop_columns": list(drop)}
    data |= {"target": "column", "label_column": label, "positive": positive, "table": table}
    spec = _validated(PredictConfig, data, PREDICT)
    raw = to_pandas(frame, PREDICT)
    whole = CibleConfig(project=project, predict=spec)
    return PropensityResult(predict_from_frame(whole, raw, name))


def run(config: CibleConfig | str | Path, out: str | Path | None = None) -> RunResult:
    """Run the whole pipeline of a configuration (a :class:`~cible.config.CibleConfig` or the
    path of a ``cible.yaml``), as ``cible run --out out`` does: the files land in ``out`` (default:
    a new temporary folder), the result holds the segmentation and the report's path. A failed
    run removes what it wrote in ``out``. A Spark session stays open for the next call (the CLI
    stops it at exit; :func:`cible.warehouse.sparksession.stop_spark` ends it)."""
    import tempfile

    from cible.config import CibleConfig, load_config
    from cible.facade.step_results import RunResult
    from cible.services.outputs import nothing_left_on_failure
    from cible.services.pipeline import run_configured

    cfg = config if isinstance(config, CibleConfig) else load_config(Path(config))
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="cible-run-"))
    with nothing_left_on_failure(folder):  # as the CLI: a failed run leaves the folder as it was
        return RunResult(run_configured(cfg, folder), cfg)
