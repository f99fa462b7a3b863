"""The file of ``cible refresh --config FILE``: where the reference and current features are,
which features to watch, the drift thresholds and the policy that turns drift into an action
(docs/lifecycle.md).

::

    store: sqlite:///out/store.db            # the profile store to re-score (and publish to)
    warehouse: out/warehouse.duckdb          # DuckDB file holding the two populations
    reference: reference_features            # a table or a parenthesised query
    current: "(SELECT * FROM features WHERE as_of = DATE '2026-12-01')"
    numeric: [frequency, monetary, recency_days]
    categorical: [country]
    drift: {alpha: 0.05, min_effect: 0.05, min_psi: 0.1, bins: 20}
    policy: {on_quiet: rescore, on_drift: alert, on_major_drift: retrain, major_share: 0.25}
    pipeline: cible.yaml                     # the run to repeat when the action is retrain
    out: refresh/                            # drift.json and refresh.json land here
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from cible.config.base import _Strict
from cible.config.files import read_yaml
from cible.exceptions import ConfigError

Action = Literal["none", "alert", "rescore", "retrain"]


class DriftThresholds(_Strict):
    alpha: float = Field(default=0.05, gt=0, lt=1)
    min_effect: float = Field(default=0.05, ge=0)
    min_psi: float = Field(default=0.1, ge=0)
    bins: int = Field(default=20, ge=2, le=1000)


class RefreshPolicyConfig(_Strict):
    """What to do: ``on_quiet`` when no feature drifted, ``on_drift`` when some did,
    ``on_major_drift`` when the drifted share of the watched features is ``>= major_share``."""

    on_quiet: Action = "rescore"
    on_drift: Action = "alert"
    on_major_drift: Action = "retrain"
    major_share: float = Field(default=0.25, gt=0, le=1)


class MlflowConfig(_Strict):
    """``mlflow:`` of a refresh file: a retrain's new version is logged there too."""

    tracking_uri: str
    experiment: str = "cible"


class RefreshConfig(_Strict):
    store: str
    warehouse: Path
    reference: str
    current: str
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    drift: DriftThresholds = Field(default_factory=DriftThresholds)
    policy: RefreshPolicyConfig = Field(default_factory=RefreshPolicyConfig)
    pipeline: Path | None = None
    out: Path = Path("refresh")
    alert_webhook: str | None = None  # POSTed the drift summary on alert / retrain
    mlflow: MlflowConfig | None = None  # log a retrain's version to MLflow (cible[mlflow])
    base_dir: Path = Path(".")

    @model_validator(mode="after")
    def _checks(self) -> RefreshConfig:
        if not self.numeric and not self.categorical:
            raise ValueError("name at least one feature under numeric or categorical")
        needs_pipeline = "retrain" in (
            self.policy.on_quiet,
            self.policy.on_drift,
            self.policy.on_major_drift,
        )
        if self.alert_webhook is not None and not self.alert_webhook.startswith(
            ("http://", "https://")
        ):
            raise ValueError(
                f"alert_webhook={self.alert_webhook!r}: give an http:// or https:// URL"
            )
        if needs_pipeline and self.pipeline is None:
            raise ValueError("the policy can retrain: give pipeline (the cible.yaml to re-run)")
        return self

    def path(self, p: Path) -> Path:
        """``p`` relative to the folder of the refresh file."""
        p = p.expanduser()
        return p if p.is_absolute() else self.base_dir / p


def load_refresh_config(path: Path) -> RefreshConfig:
    """Read and validate a refresh file; a :class:`ConfigError` naming the file and each key."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the refresh file must be a YAML mapping")
    try:
        cfg = RefreshConfig.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as e:
        lines = [f"{path}: invalid refresh configuration ({e.error_count()} problem(s))"]
        for err in e.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            lines.append(f"  - {loc}: {msg}")
        raise ConfigError("\n".join(lines)) from e
    return cfg
