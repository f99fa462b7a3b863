"""The shipped Online Retail example, end to end on the real UCI file."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cible.config import load_config
from cible.segmentation.forward import compare_forward
from cible.segmentation.selection import choose
from cible.services.forward import ForwardData, forward_data, forward_preference
from cible.services.pipeline import PipelineResult, run_pipeline
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import shared_dataset

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "online_retail.yaml"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> PipelineResult:
    shared_dataset("online_retail", "online_retail.parquet")
    out = tmp_path_factory.mktemp("online_retail")
    return run_pipeline(load_config(EXAMPLE), out)


def test_every_row_is_accounted_for(result: PipelineResult) -> None:
    (src,) = result.ingest.sources
    assert src.read == 541_909
    assert src.accepted + src.quarantined == 541_909
    assert src.quarantine_by_rule == {"duplicate_row": 5_268, "required:customer_id": 135_037}
    assert src.accepted == 401_604
    summary = json.loads((result.out_dir / "ingest_summary.json").read_text())
    assert summary["totals"]["read"] == 541_909
    quarantine = pd.read_csv(result.out_dir / "quarantine.csv", usecols=["rule"])
    assert len(quarantine) == src.quarantined


def test_customers_and_event_types(result: PipelineResult) -> None:
    con = duckdb.connect(str(result.out_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.sql("SELECT count(DISTINCT customer_id) FROM events").fetchall() == [(4_372,)]
        types = dict(con.sql("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall())
        assert types == {"purchase": 392_692, "refund": 8_872, "free_item": 40}
        assert con.sql(
            "SELECT count(*) FROM events WHERE starts_with(order_id, 'C') "
            "AND event_type <> 'refund'"
        ).fetchall() == [(0,)]
        buyers = {
            r[0]
            for r in con.sql(
                "SELECT DISTINCT customer_id FROM events WHERE event_type = 'purchase'"
            ).fetchall()
        }
    finally:
        con.close()
    assert len(buyers) == 4_338
    segments = pd.read_parquet(result.out_dir / "segments.parquet")
    assert segments["customer_id"].is_unique
    assert len(segments) == 4_372
    seg = segments.set_index("customer_id")
    assert (
        seg.loc[sorted(buyers), "segment_id"].gt(0).all()
    )  # every buyer in exactly one k-means segment
    others = seg.drop(index=sorted(buyers))
    refund_only = others["segment_name"] == "Refund only - no purchase recorded"
    assert (int(refund_only.sum()), int((~refund_only).sum())) == (33, 1)
    assert (others.loc[~refund_only, "segment_id"] == 0).all()  # free items only: a prospect
    assert set(others.loc[refund_only, "segment_id"]) == {seg["segment_id"].max()}


def test_forward_comparison_with_rfm(result: PipelineResult) -> None:
    forward = json.loads((result.out_dir / "forward.json").read_text())
    assert (forward["cutoff"], forward["customers"]) == ("2011-09-11", 3_370)
    assert forward["next_period_purchase_rate"] == pytest.approx(0.57003, abs=1e-5)
    assert forward["rfm"]["segments"] == 11
    assert forward["rfm"]["purchase_auc"] == pytest.approx(0.724009, abs=1e-6)
    assert forward["rfm"]["revenue_variance_explained"] == pytest.approx(0.046444, abs=1e-6)
    # measured on this data: the silhouette's 3 k-means segments predict less than RFM's 11
    assert forward["cible"]["purchase_auc"] == pytest.approx(0.6756, abs=0.01)
    assert forward["cible_beats_rfm_with_no_more_segments"] is False


def test_best_forward_selection_on_online_retail(result: PipelineResult) -> None:
    """``use_in_selection: best`` on the same run: every candidate fitted before the cutoff, the
    rule applied to today's scores (the fixture's selection): the best-predicting candidate with
    no more segments than RFM's 11 closes most of the AUC gap and explains more revenue."""
    base = load_config(EXAMPLE).segmentation
    cfg = base.model_copy(
        update={"forward": base.forward.model_copy(update={"use_in_selection": "best"})}
    )
    wh = DuckDBWarehouse(result.out_dir / "warehouse.duckdb")
    try:
        data = forward_data(wh, cfg, result.as_of)
    finally:
        wh.close()
    assert isinstance(data, ForwardData)
    assert result.segmentation.science is not None
    today = result.segmentation.science.selection
    got = forward_preference(data, cfg, today.n_rows)
    assert got is not None
    pref, backtest = got
    assert (pref.rfm_segments, round(pref.threshold, 6)) == (11, 0.724009)
    chosen, fallback = choose(today.candidates, pref)
    assert (chosen.candidate.name, fallback) == ("gmm(n_components=10)", False)
    outcome = compare_forward(
        data.past,
        data.outcomes,
        cfg,
        chosen.candidate,
        as_of=data.as_of,
        cutoff=data.cutoff,
        backtest=backtest,
    )
    assert outcome.cible.n_segments == 10
    assert outcome.cible.auc == pytest.approx(0.7213, abs=0.005)  # silhouette's k=3: 0.676
    assert outcome.cible.variance_explained == pytest.approx(0.0646, abs=0.01)  # RFM: 0.0464
    assert outcome.cible.variance_explained > outcome.rfm.variance_explained
    # measured: no candidate of the grid (k <= 10) reaches RFM's AUC on this data
    assert max(m.auc for m in backtest.measures.values()) < pref.threshold
    assert outcome.cible_wins is False


def test_outputs(result: PipelineResult) -> None:
    assert result.as_of.isoformat() == "2011-12-10"
    profiles = pd.read_csv(result.out_dir / "profiles.csv")
    assert profiles["size"].sum() == 4_372
    assert profiles["segment_name"].is_unique
    html = (result.out_dir / "report.html").read_text(encoding="utf-8")
    assert "541,909" in html


def test_selection_and_validation_files(result: PipelineResult) -> None:
    selection = json.loads((result.out_dir / "selection.json").read_text())
    algorithms = {c["algorithm"] for c in selection["candidates"]}
    assert algorithms == {"kmeans", "gmm", "agglomerative", "hdbscan", "dbscan"}
    assert len(selection["candidates"]) == 9 * 3 + 2 + 2
    keys = {
        "name",
        "n_segments",
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "gates",
        "passed_all_gates",
        "noise_share",
        "largest_share",
        "chosen",
    }
    for c in selection["candidates"]:
        assert keys <= set(c)
    chosen = [c for c in selection["candidates"] if c["chosen"]]
    assert len(chosen) == 1 and chosen[0]["name"] == selection["chosen"]
    assert chosen[0]["passed_all_gates"] is True
    assert selection["rule"].startswith("Among candidates passing every gate")

    segments = pd.read_parquet(result.out_dir / "segments.parquet")
    buyers = segments[segments["segment_id"] > 0]
    assert buyers["segment_id"].value_counts(normalize=True).max() <= 0.60

    validation = json.loads((result.out_dir / "validation.json").read_text())
    stability = validation["stability"]
    assert stability["n_boot"] == 20
    assert 0.0 < stability["mean_ari"] <= 1.0
    print(f"Online Retail: {selection['chosen']}, stability mean ARI {stability['mean_ari']:.3f}")
    assert {row["feature"] for row in validation["anova"]["features"]} >= {
        "recency_days",
        "monetary",
    }
    assert 0.0 < validation["rules"]["fidelity"] <= 1.0
