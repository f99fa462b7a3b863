"""Optional experiment tracking: each published segmentation version logged to MLflow.

``cible publish --mlflow URI`` (or ``CIBLE_MLFLOW_TRACKING_URI``, or ``mlflow:`` in a refresh
file) logs one MLflow run per store version, named ``cible-v<N>``, with what the registry keeps
(:func:`cible.services.publish_lifecycle.registry_metadata`):

* **parameters**: the algorithm, the chosen candidate and its parameters (``param.<name>``), the
  selection rule, the segmentation features, the training window;
* **metrics**: every numeric entry of the registry's ``metrics`` (silhouette, Davies-Bouldin,
  sizes...); booleans are logged as 0/1;
* **tags**: ``cible.model_version``, the code versions that trained and published the model, the
  store's dialect (never its URL, which may hold a password);
* **artefacts**: ``metadata.json`` (the registry metadata whole) and the run files that exist among
  :data:`RUN_ARTEFACTS` (the model, selection, run metadata, migration matrix, report).

The extra is ``cible[mlflow]`` (``mlflow-skinny``: the client, no server). A local tracking store
is a SQLite file (``sqlite:///path/mlflow.db``; MLflow 3 no longer writes the old ``./mlruns``
folder store by default); a new experiment keeps its artefacts in ``mlartifacts/`` beside that file
rather than in the working directory.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cible.exceptions import OptionalDependencyError

RUN_ARTEFACTS = (
    "segment_model.joblib",
    "selection.json",
    "run.json",
    "migration.json",
    "report.html",
)
MAX_PARAM = 6000  # MLflow's limit on a parameter value (characters)


@dataclass(frozen=True)
class MlflowTarget:
    """Where to log: an MLflow tracking URI and the experiment name."""

    tracking_uri: str
    experiment: str = "cible"


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError as e:
        raise OptionalDependencyError("mlflow-skinny", "mlflow", "MLflow tracking") from e
    return mlflow


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= MAX_PARAM else text[: MAX_PARAM - 3] + "..."


def version_params(metadata: Mapping[str, Any]) -> dict[str, str]:
    """The MLflow parameters of a version's registry metadata (module docstring)."""
    p = metadata.get("parameters", {})
    params: dict[str, Any] = {
        "algorithm": p.get("algorithm"),
        "candidate": p.get("candidate"),
        "selection_rule": p.get("selection_rule"),
        "features": ",".join(p.get("features", [])),
    }
    params.update({f"param.{k}": v for k, v in (p.get("params") or {}).items()})
    params.update({f"window.{k}": v for k, v in metadata.get("training_window", {}).items()})
    return {k: _text(v) for k, v in params.items() if v is not None}


def version_metrics(metadata: Mapping[str, Any]) -> dict[str, float]:
    """The numeric registry metrics (booleans as 0/1; text and missing values left out)."""
    out: dict[str, float] = {}
    for key, value in metadata.get("metrics", {}).items():
        if isinstance(value, bool) or (isinstance(value, int | float) and value == value):
            out[key] = float(value)
    return out


def _experiment_id(client: Any, target: MlflowTarget) -> str:
    found = client.get_experiment_by_name(target.experiment)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if target.tracking_uri.startswith("sqlite:///"):
        db = Path(target.tracking_uri.removeprefix("sqlite:///"))
        location = (db.parent / "mlartifacts").resolve().as_uri()
    return str(client.create_experiment(target.experiment, artifact_location=location))


def log_version(
    target: MlflowTarget,
    version: int,
    metadata: Mapping[str, Any],
    run_dir: Path,
    *,
    dialect: str,
) -> str:
    """Log store version ``version`` as one MLflow run; its run id."""
    mlflow = _mlflow()
    client = mlflow.MlflowClient(tracking_uri=target.tracking_uri)
    run = client.create_run(_experiment_id(client, target), run_name=f"cible-v{version}")
    run_id = str(run.info.run_id)
    code = metadata.get("code_version", {})
    tags = {
        "cible.model_version": str(version),
        "cible.trained_by": str(code.get("trained_by")),
        "cible.published_by": str(code.get("published_by")),
        "cible.store_dialect": dialect,
    }
    entities = mlflow.entities
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[entities.Metric(k, v, now, 0) for k, v in version_metrics(metadata).items()],
        params=[entities.Param(k, v) for k, v in version_params(metadata).items()],
        tags=[entities.RunTag(k, v) for k, v in tags.items()],
    )
    with tempfile.TemporaryDirectory() as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata, indent=2, default=str) + "\n", "utf-8")
        client.log_artifact(run_id, str(meta))
    for name in RUN_ARTEFACTS:
        if (run_dir / name).is_file():
            client.log_artifact(run_id, str(run_dir / name))
    client.set_terminated(run_id)
    return run_id
