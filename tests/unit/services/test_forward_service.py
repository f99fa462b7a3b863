"""The forward use case on a small warehouse: data at the cutoff, skip reasons, the comparison,
forward.json content and the report section."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from cible.config import SegmentationConfig
from cible.features import build_features
from cible.reporting.forward import forward_section
from cible.reporting.render import template_environment
from cible.schemas.events import EVENTS_SCHEMA
from cible.segmentation import segment_customers
from cible.services.forward import ForwardData, ForwardOutcome, forward_data, forward_outcome
from cible.warehouse.duckdb import DuckDBWarehouse

AS_OF = date(2025, 7, 1)
CUTOFF = datetime(2025, 4, 2, tzinfo=UTC)  # AS_OF - 90 days


def _warehouse() -> DuckDBWarehouse:
    """60 customers: 30 'regulars' buying every ~10 days through the holdout, 30 'one-offs'
    with one order long before the cutoff, of whom 3 come back in the holdout."""
    rng = np.random.default_rng(0)
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}

    def add(cid: str, ts: datetime, amount: float) -> None:
        row = {
            "event_id": f"e{len(cols['event_id'])}",
            "source": "t",
            "customer_id": cid,
            "event_type": "purchase",
            "timestamp": ts,
            "amount": amount,
        }
        for name in cols:
            cols[name].append(row.get(name))

    for i in range(30):
        for d in range(0, 360, int(rng.integers(8, 12))):
            add(f"R{i:02d}", datetime(2024, 7, 1, tzinfo=UTC) + timedelta(days=d), 40.0)
    for i in range(30):
        add(f"O{i:02d}", CUTOFF - timedelta(days=int(rng.integers(150, 250))), 15.0)
        if i < 3:
            add(f"O{i:02d}", CUTOFF + timedelta(days=5), 15.0)
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(pa.table(cols, schema=EVENTS_SCHEMA))
    return wh


CONFIG = SegmentationConfig(
    k_min=2,
    k_max=3,
    n_init=2,
    silhouette_sample=200,
    selection={"algorithms": ["kmeans"]},
    validation={"bootstrap": 0},
    maps={"tsne": False},
)


def test_data_at_the_cutoff_and_skip_reasons() -> None:
    wh = _warehouse()
    data = forward_data(wh, CONFIG, AS_OF)
    assert isinstance(data, ForwardData)
    assert data.cutoff == date(2025, 4, 2)
    assert len(data.past) == 60
    assert int(data.outcomes["purchased"].sum()) == 33  # 30 regulars + 3 returning one-offs
    long = CONFIG.model_copy(
        update={"forward": CONFIG.forward.model_copy(update={"holdout_days": 800})}
    )
    skipped = forward_data(wh, long, AS_OF)
    assert isinstance(skipped, ForwardOutcome) and skipped.result is None
    assert skipped.to_dict() == {
        "skipped": "no customer before the cutoff 2023-04-23: the history is not longer than "
        "holdout_days = 800"
    }
    off = CONFIG.model_copy(
        update={"forward": CONFIG.forward.model_copy(update={"enabled": False})}
    )
    assert forward_data(wh, off, AS_OF) is None


def test_the_comparison_and_its_section() -> None:
    wh = _warehouse()
    data = forward_data(wh, CONFIG, AS_OF)
    seg = segment_customers(build_features(wh, AS_OF), CONFIG)
    outcome = forward_outcome(data, CONFIG, seg)
    assert outcome is not None and outcome.result is not None
    r = outcome.result
    assert r.candidate == seg.science.selection.chosen.candidate.name  # type: ignore[union-attr]
    assert r.n_customers == 60
    # regulars and one-offs fall in different segments: 30/30 buy vs 3/30
    assert r.cible.auc == pytest.approx((30 * 27 + 0.5 * 3 * 27) / (33 * 27))
    d = outcome.to_dict()
    assert d["used_in_selection"] == "none"
    assert d["cible"]["purchase_auc"] == pytest.approx(0.954545, abs=1e-6)
    section = forward_section(r)
    html = template_environment().get_template("forward.html.j2").render(forward=section)
    assert "The last 90 days were held out" in html
    assert section.rows[0][:3] == [f"cible ({r.candidate})", str(r.cible.n_segments), "0.955"]
    skipped = (
        template_environment()
        .get_template("forward.html.j2")
        .render(forward=forward_section(None, "too short"))
    )
    assert "Not measured: too short." in skipped
