"""The public API, pinned: a change here is a change for users."""

from __future__ import annotations

import pytest

import cible
import cible.predict
import cible.quality
import cible.schemas
import cible.segmentation
import cible.warehouse


def test_top_level() -> None:
    assert sorted(cible.__all__) == [
        "CibleConfig",
        "CibleError",
        "DedupResult",
        "PropensityResult",
        "RunResult",
        "SegmentResult",
        "SegmentationConfig",
        "__version__",
        "dedup",
        "load_config",
        "propensity",
        "run",
        "segment",
    ]
    for name in cible.__all__:
        assert hasattr(cible, name), name


def test_the_python_api_is_the_facade() -> None:
    """``cible.segment`` and the others are the facade's functions, their signatures pinned; the
    names do not clash with subpackages (``cible.predict`` is a package, hence ``propensity``)."""
    import inspect

    import cible.facade

    assert cible.facade.__all__ == [
        "DedupResult",
        "PropensityResult",
        "RunResult",
        "SegmentResult",
        "dedup",
        "propensity",
        "run",
        "segment",
    ]
    for name in cible.facade.__all__:
        assert getattr(cible, name) is getattr(cible.facade, name), name
    params = {
        name: list(inspect.signature(getattr(cible, name)).parameters)
        for name in ("segment", "dedup", "propensity", "run")
    }
    assert params == {
        "segment": ["frame", "features", "id", "categories", "config", "project", "settings"],
        "dedup": ["frame", "fields", "id", "blocking", "exact_keys", "config", "name", "matching"],
        "propensity": [
            "frame",
            "label",
            "positive",
            "id",
            "drop",
            "config",
            "name",
            "project",
            "settings",
        ],
        "run": ["config", "out"],
    }
    for result in ("SegmentResult", "DedupResult", "PropensityResult", "RunResult"):
        kind = getattr(cible, result)
        for method in ("_repr_html_", "to_pandas", "to_arrow", "save"):
            assert callable(getattr(kind, method)), f"{result}.{method}"
    assert not hasattr(cible.DedupResult, "report")  # `cible dedup` writes no HTML report


def test_subpackages() -> None:
    assert set(cible.segmentation.__all__) == {
        "PROSPECT_SEGMENT_ID",
        "PROSPECT_SEGMENT_NAME",
        "SegmentationResult",
        "name_segments",
        "profile_segments",
        "segment_customers",
    }
    assert sorted(cible.warehouse.__all__) == [
        "Dialect",
        "LoadCounts",
        "Warehouse",
        "open_warehouse",
    ]
    assert "EVENT_TYPES" in cible.schemas.__all__ and "CUSTOMERS_SCHEMA" in cible.schemas.__all__


def test_quality() -> None:
    assert set(cible.quality.__all__) == {
        "QualityReport",
        "Standardized",
        "city_match_key",
        "excel_serial_to_date",
        "match_key",
        "quality_report",
        "standardize_category",
        "standardize_city",
        "standardize_date",
        "standardize_email",
        "standardize_gender",
        "standardize_name",
        "standardize_phone",
        "standardize_postal_code",
        "standardize_series",
        "standardize_timestamp_utc",
    }


def test_predict() -> None:
    assert set(cible.predict.__all__) == {
        "PREDICT_FEATURE_NAMES",
        "BalancedClassifier",
        "LabelledSet",
        "ModelMetrics",
        "ModelReport",
        "PointInTimeView",
        "TrainingResult",
        "build_predict_features",
        "build_scoring_set",
        "build_training_set",
        "compute_metrics",
        "join_scores",
        "max_f1_threshold",
        "point_in_time_features",
        "score_customers",
        "table_labelled_set",
        "train_models",
    }
    for name in cible.predict.__all__:
        assert hasattr(cible.predict, name), name


def test_import_cible_needs_only_core_dependencies() -> None:
    """``import cible`` loads no CLI, web or optional package (checked in a fresh interpreter)."""
    import subprocess
    import sys

    code = (
        "import sys, cible; "
        "bad = sorted({'typer', 'rich', 'plotly', 'fastapi', 'pyspark', 'narwhals', 'sklearn', 'pandas', 'pyarrow'} "
        "& set(sys.modules)); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_predict_clv() -> None:
    import cible.predict.clv

    assert set(cible.predict.clv.__all__) == {
        "CDNOW_BGNBD",
        "CDNOW_GAMMA_GAMMA",
        "BetaGeoModel",
        "CLVConfig",
        "CLVResult",
        "GammaGammaModel",
        "ModelFit",
        "SimulatedLog",
        "bgnbd_log_likelihood",
        "clv_summary",
        "customer_lifetime_value",
        "fit_clv",
        "frequency_fit",
        "gamma_gamma_log_likelihood",
        "holdout_fit",
        "holdout_purchases",
        "rfm_summary",
        "score_clv",
        "simulate_transactions",
    }
    for name in cible.predict.clv.__all__:
        assert hasattr(cible.predict.clv, name), name


IDENTITY_MATCHING = {
    "BlockingKey",
    "BlockingRule",
    "EMSettings",
    "FellegiSunter",
    "FieldComparison",
    "IncrementalMatcher",
    "IncrementalResult",
    "MatchResult",
    "MatchingConfig",
    "find_duplicates",
    "load_matching_config",
    "pairwise_metrics",
    "parse_matching_config",
}
IDENTITY_GOLDEN = {
    "CONSENT_FIELDS",
    "CONSENT_RULE",
    "ID_MAP_COLUMNS",
    "MERGE_LOG_COLUMNS",
    "ORIGINAL_ID",
    "CalibrationReport",
    "GoldenResult",
    "SurvivorshipConfig",
    "build_golden",
    "calibrate",
    "export_review_sample",
    "rekey_events",
    "undo_entity",
    "undo_merge",
}


def test_identity() -> None:
    import cible.identity

    assert set(cible.identity.__all__) == IDENTITY_MATCHING | IDENTITY_GOLDEN
    for name in cible.identity.__all__:
        assert hasattr(cible.identity, name), name


@pytest.mark.parametrize(
    ("old", "names"),
    [("cible.quality.dedup", IDENTITY_MATCHING), ("cible.quality.golden", IDENTITY_GOLDEN)],
)
def test_old_identity_paths_keep_their_names_with_a_warning(old: str, names: set[str]) -> None:
    import importlib

    import cible.identity

    module = importlib.import_module(old)
    assert set(module.__all__) == names
    for name in sorted(names):
        with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} moved to cible\.identity"):
            value = getattr(module, name)
        assert value is getattr(cible.identity, name)


def test_api() -> None:
    import cible.api

    assert cible.api.__all__ == ["create_app"]
    assert callable(cible.api.create_app)


def test_stream() -> None:
    import cible.stream

    assert sorted(cible.stream.__all__) == [
        "BUSES",
        "BatchReport",
        "Bus",
        "ConsumerStats",
        "InProcessBus",
        "JsonLinesBus",
        "Message",
        "open_bus",
        "run_consumer",
    ]
    for name in cible.stream.__all__:
        assert hasattr(cible.stream, name), name


def test_store() -> None:
    import cible.store

    assert sorted(cible.store.__all__) == [
        "Aggregates",
        "ApplyResult",
        "AudienceNotification",
        "CustomerRecord",
        "InvalidEvent",
        "LiveEvent",
        "MembershipChange",
        "Notification",
        "Profile",
        "ProfileStore",
        "ScoringModel",
        "SegmentInfo",
        "StoreError",
        "features_at",
        "live_as_of",
    ]
    for name in cible.store.__all__:
        assert hasattr(cible.store, name), name
