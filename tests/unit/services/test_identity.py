"""The identity-resolution use case: `cible dedup`, undo, calibration, and the warehouse state."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cible.config import load_config
from cible.exceptions import ConfigError, DedupError
from cible.features.behaviour import build_features
from cible.services.identity import (
    calibrate_threshold,
    duplicate_agreement,
    run_dedup,
    undo_identity,
)
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import WriteConfig

CUSTOMERS = (
    "id;prenom;nom;email;tel;cree\n"
    "C1;Marie;Dupont;marie.dupont@x.fr;06 12 34 56 78;01/01/2024\n"
    "C2;Jean;Martin;jean.martin@x.fr;0698765432;05/01/2024\n"
    "C3;Marie;Dupond;marie.dupont@x.fr;+33612345678;03/03/2024\n"
    "C4;Marie;Dupont;m.dupont@y.fr;+33 6 12 34 56 78;04/04/2024\n"
    "C5;Paul;Durand;paul@z.fr;;01/02/2024\n"
)
ORDERS = (
    "order_id,customer_id,order_date,amount\n"
    "O1,C1,2025-01-02 10:00:00,10\n"
    "O2,C2,2025-01-03 10:00:00,20\n"
    "O3,C3,2025-02-03 10:00:00,30\n"
    "O4,C3,2025-02-04 10:00:00,40\n"
    "O5,C4,2025-03-01 10:00:00,50\n"
)
MATCHING = {
    "method": "threshold",
    "threshold": 0.85,
    "exact_keys": [["email"]],
    "fields": [
        {"column": "first_name", "comparator": "jaro_winkler", "standardize": "name"},
        {"column": "last_name", "comparator": "jaro_winkler", "standardize": "name"},
        {"column": "email", "comparator": "jaro_winkler", "standardize": "email"},
        {"column": "phone", "comparator": "levenshtein", "standardize": "phone"},
    ],
    "blocking": [
        {"keys": ["phone"]},
        {"keys": [{"column": "last_name", "transform": "metaphone"}]},
    ],
}


def _config(write_config: WriteConfig, tmp_path: Path, **dedup: object) -> Path:
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(ORDERS, encoding="utf-8")
    return write_config(
        {
            "sources": [
                {
                    "name": "crm",
                    "kind": "customers",
                    "path": "customers.csv",
                    "fields": {
                        "customer_id": "id",
                        "first_name": "prenom",
                        "last_name": "nom",
                        "email": "email",
                        "phone": "tel",
                        "created_at": {"column": "cree", "format": "%d/%m/%Y"},
                    },
                },
                {
                    "name": "orders",
                    "kind": "events",
                    "path": "orders.csv",
                    "types": {"amount": "float"},
                    "fields": {
                        "customer_id": "customer_id",
                        "order_id": "order_id",
                        "timestamp": {"column": "order_date", "format": "%Y-%m-%d %H:%M:%S"},
                        "event_type": {"value": "purchase"},
                        "amount": "amount",
                    },
                },
            ],
            "dedup": {"matching": MATCHING, **dedup},
        }
    )


def _events_by_customer(out: Path) -> dict[str, int]:
    with DuckDBWarehouse(out / "warehouse.duckdb") as wh:
        rows = wh.fetch_arrow("SELECT customer_id, count(*) n FROM events GROUP BY 1").to_pylist()
    return {r["customer_id"]: r["n"] for r in rows}


def test_dedup_writes_clusters_golden_and_merge_log(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    out = tmp_path / "out"
    result = run_dedup(load_config(_config(write_config, tmp_path)), out)

    clusters = pd.read_csv(out / "clusters.csv", dtype=str)
    assert dict(zip(clusters["record_id"], clusters["entity_id"], strict=True)) == {
        "C1": "C1",
        "C2": "C2",
        "C3": "C1",
        "C4": "C1",
        "C5": "C5",
    }
    golden = pd.read_csv(out / "golden.csv", dtype=str)
    assert golden["customer_id"].tolist() == ["C1", "C2", "C5"]  # oldest record survives
    assert golden.set_index("customer_id").loc["C1", "n_records"] == "3"
    log = pd.read_csv(out / "merge_log.csv", dtype=str)
    assert set(log["merged_record_id"].dropna()) == {"C3", "C4"}
    assert "marie" not in (out / "merge_log.csv").read_text().lower()  # no personal values
    summary = json.loads((out / "dedup.json").read_text())
    assert summary["records"] == 5
    assert summary["entities"] == 3
    assert summary["records_merged_away"] == 2
    assert summary["events_rekeyed"] == 3
    assert summary["exact_pairs"] == 1  # C1-C3 share the e-mail
    assert result.outcome.golden.summary()["merged_entities"] == 1
    # events of C3 and C4 now count for C1; features see three customers
    assert _events_by_customer(out) == {"C1": 4, "C2": 1}
    with DuckDBWarehouse(out / "warehouse.duckdb") as wh:
        features = build_features(wh, date(2025, 6, 1))
    assert features.index.tolist() == ["C1", "C2", "C5"]
    assert features.loc["C1", "frequency"] == 4.0
    assert features.loc["C1", "monetary"] == 130.0


def test_dedup_twice_changes_nothing(tmp_path: Path, write_config: WriteConfig) -> None:
    out = tmp_path / "out"
    cfg = load_config(_config(write_config, tmp_path))
    run_dedup(cfg, out)
    again = run_dedup(cfg, out)
    assert again.outcome.events_rekeyed == 0
    assert _events_by_customer(out) == {"C1": 4, "C2": 1}


def test_undo_record_and_entity(tmp_path: Path, write_config: WriteConfig) -> None:
    out = tmp_path / "out"
    cfg = load_config(_config(write_config, tmp_path))
    run_dedup(cfg, out)

    undone = undo_identity(cfg, out, record_id="C4")
    assert undone.golden.summary()["entities"] == 4
    assert _events_by_customer(out) == {"C1": 3, "C2": 1, "C4": 1}
    clusters = pd.read_csv(out / "clusters.csv", dtype=str).set_index("record_id")
    assert clusters.loc["C4", "entity_id"] == "C4"
    assert clusters.loc["C3", "entity_id"] == "C1"
    log = pd.read_csv(out / "merge_log.csv", dtype=str)
    assert (log["action"] == "undo").sum() >= 1

    undo_identity(cfg, out, entity_id="C1")
    assert _events_by_customer(out) == {"C1": 1, "C2": 1, "C3": 2, "C4": 1}
    with DuckDBWarehouse(out / "warehouse.duckdb") as wh:
        assert wh.count("customer_identity") == 0


def test_undo_needs_exactly_one_target(tmp_path: Path, write_config: WriteConfig) -> None:
    cfg = load_config(_config(write_config, tmp_path))
    with pytest.raises(DedupError, match="exactly one"):
        undo_identity(cfg, tmp_path / "out", record_id="C1", entity_id="C1")
    with pytest.raises(DedupError, match=r"identity_golden\.parquet is missing"):
        undo_identity(cfg, tmp_path / "out", record_id="C1")


def test_review_sample_written_when_asked(tmp_path: Path, write_config: WriteConfig) -> None:
    out = tmp_path / "out"
    run_dedup(load_config(_config(write_config, tmp_path, review_sample=5, review_width=1.0)), out)
    sample = pd.read_csv(out / "review_sample.csv", dtype=str)
    # three candidate pairs exist (C1-C3 exact e-mail, C1-C4 and C3-C4 fuzzy); all are in the band
    assert sorted(zip(sample["record_id_l"], sample["record_id_r"], strict=True)) == [
        ("C1", "C3"),
        ("C1", "C4"),
        ("C3", "C4"),
    ]
    assert {"record_id_l", "record_id_r", "score", "label"} <= set(sample.columns)
    assert sample["label"].isna().all()


def test_identity_cleared_when_dedup_is_off(tmp_path: Path, write_config: WriteConfig) -> None:
    out = tmp_path / "out"
    run_dedup(load_config(_config(write_config, tmp_path)), out)
    with DuckDBWarehouse(out / "warehouse.duckdb") as wh:
        assert wh.clear_identity() == 3
        assert wh.count("customer_identity") == 0
        assert wh.clear_identity() == 0
    assert _events_by_customer(out) == {"C1": 1, "C2": 1, "C3": 2, "C4": 1}


def test_config_without_dedup_section(tmp_path: Path, write_config: WriteConfig) -> None:
    path = _config(write_config, tmp_path)
    cfg = load_config(path).model_copy(update={"dedup": None})
    with pytest.raises(ConfigError, match="no `dedup:` section"):
        run_dedup(cfg, tmp_path / "out")


def test_id_column_other_than_customer_id_is_refused(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    path = _config(write_config, tmp_path)
    data = path.read_text().replace("method: threshold", "method: threshold\n    id_column: email")
    path.write_text(data)
    with pytest.raises(ConfigError, match="identified by customer_id"):
        load_config(path)


def test_calibrate_threshold_writes_json(tmp_path: Path) -> None:
    reviewed = tmp_path / "reviewed.csv"
    pd.DataFrame(
        {
            "record_id_l": ["a", "b", "c", "d"],
            "record_id_r": ["e", "f", "g", "h"],
            "score": [0.95, 0.9, 0.8, 0.7],
            "rule": ["fuzzy"] * 4,
            "label": [1, 1, 0, 0],
        }
    ).to_csv(reviewed, index=False)
    report = calibrate_threshold(reviewed, tmp_path / "out", current_threshold=0.75)
    saved = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert saved["labelled"] == 4
    assert 0.8 < saved["suggested_threshold"] <= 0.9
    assert saved["at_suggested"]["precision"] == 1.0
    assert saved["at_suggested"]["recall"] == 1.0
    assert saved["at_current"]["precision"] == pytest.approx(2 / 3)
    assert report == saved


def test_duplicate_agreement_against_truth() -> None:
    truth = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "persona": ["a", "b", "a", "c"],
            "duplicate_of": [None, None, "C1", ""],
        }
    )
    clusters = pd.DataFrame(
        {"record_id": ["C1", "C2", "C3", "C4", "X9"], "entity_id": ["C1", "C2", "C1", "C2", "X9"]}
    )
    d = duplicate_agreement(clusters, truth)
    assert d["true_pairs"] == 1
    assert d["predicted_pairs"] == 2
    assert d["precision"] == 0.5
    assert d["recall"] == 1.0


def test_incremental_dedup_matches_only_new_records(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    out = tmp_path / "out"
    path = _config(write_config, tmp_path)
    full = (tmp_path / "customers.csv").read_text(encoding="utf-8")
    lines = full.splitlines()
    # first run without C4; then C4 and a new person C6 arrive
    (tmp_path / "customers.csv").write_text(
        "\n".join(line for line in lines if not line.startswith("C4;")) + "\n", encoding="utf-8"
    )
    cfg = load_config(path)
    run_dedup(cfg, out)
    (tmp_path / "customers.csv").write_text(
        full + "C6;Anne;Petit;anne.petit@w.fr;0711223344;05/05/2024\n", encoding="utf-8"
    )
    result = run_dedup(cfg, out, incremental=True)
    summary = json.loads((out / "dedup.json").read_text())
    assert summary["mode"] == "incremental"
    assert summary["new_records"] == 2
    assert summary["new_records_in_existing_customers"] == 1
    assert summary["entities"] == 4
    clusters = pd.read_csv(out / "clusters.csv", dtype=str).set_index("record_id")["entity_id"]
    assert clusters.to_dict() == {
        "C1": "C1",
        "C2": "C2",
        "C3": "C1",
        "C4": "C1",
        "C5": "C5",
        "C6": "C6",
    }
    # the same partition as a full re-run, from far fewer comparisons
    assert result.outcome.incremental is not None
    assert result.outcome.incremental.stats["pairs_compared"] == 2
    assert _events_by_customer(out) == {"C1": 4, "C2": 1}
    log = pd.read_csv(out / "merge_log.csv", dtype=str)
    assert set(log["merged_record_id"].dropna()) == {"C3", "C4"}


def test_incremental_needs_a_previous_resolution(tmp_path: Path, write_config: WriteConfig) -> None:
    with pytest.raises(DedupError, match=r"run `cible dedup` \(or `cible run`\) first"):
        run_dedup(load_config(_config(write_config, tmp_path)), tmp_path / "out", incremental=True)


def test_fellegi_sunter_model_round_trip() -> None:
    import numpy as np

    from cible.identity import FellegiSunter
    from cible.services.identity import model_from_dict, model_to_dict

    rng = np.random.default_rng(0)
    gamma = np.vstack([rng.integers(0, 2, size=(300, 3)), np.zeros((60, 3), dtype=int)])
    model = FellegiSunter(n_levels=(2, 2, 2)).fit(gamma)
    restored = model_from_dict(json.loads(json.dumps(model_to_dict(model))))
    np.testing.assert_allclose(restored.predict_proba(gamma), model.predict_proba(gamma))
    assert restored.n_levels_ == (2, 2, 2) and restored.n_features_in_ == 3


def test_fellegi_sunter_model_with_inferred_levels_round_trip() -> None:
    import numpy as np

    from cible.identity import FellegiSunter
    from cible.services.identity import model_from_dict, model_to_dict

    gamma = np.array([[0, 2], [1, 0], [0, 1], [-1, 2], [0, 2]])
    model = FellegiSunter(max_iter=20).fit(gamma)
    saved = json.loads(json.dumps(model_to_dict(model)))
    assert saved["params"]["n_levels"] is None
    restored = model_from_dict(saved)
    assert restored.n_levels_ == (2, 3) and restored.n_features_in_ == 2
    np.testing.assert_allclose(restored.predict_proba(gamma), model.predict_proba(gamma))
