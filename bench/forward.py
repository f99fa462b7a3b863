"""Segments judged by what they predict: cible's segments vs the RFM-quintile segments.

    python bench/forward.py [--config examples/online_retail.yaml] [--demo]

Runs `cible run` on the configuration (or `cible demo` with --demo: 20,000 generated customers)
with the default `segmentation.forward` (last 90 days held out), reads `forward.json`, then fits
every candidate of the default grid on the same data before the cutoff to show the best
candidate with no more segments than RFM. Baseline in the same run and on the same customers:
the classic RFM-quintile segmentation (11 named R x F segments).
Last lines: one JSON object per segmentation, {"bench": "forward", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config import load_config
from cible.segmentation.forward import backtest_candidates
from cible.segmentation.selection import candidate_grid
from cible.services.forward import ForwardData, forward_data
from cible.warehouse.registry import open_warehouse

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "online_retail.yaml")
    parser.add_argument("--demo", action="store_true", help="the generated demo world instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t0 = time.perf_counter()
        if args.demo:
            from cible.services.demo import run_demo

            demo = run_demo(out)
            config, data_name = load_config(demo.config_path), "demo world 20,000"
        else:
            from cible.services.pipeline import run_pipeline

            config, data_name = load_config(args.config), args.config.stem
            run_pipeline(config, out)
        seconds = time.perf_counter() - t0
        forward = json.loads((out / "forward.json").read_text())
        seg = config.segmentation
        wh = open_warehouse(config.warehouse, out)
        try:
            data = forward_data(wh, seg, date.fromisoformat(forward["as_of"]))
        finally:
            wh.close()
        assert isinstance(data, ForwardData), data
        n_buyers = int((data.past["frequency"] > 0).sum())
        bt = backtest_candidates(data.past, data.outcomes, seg, candidate_grid(seg, n_buyers))
    rfm_k = forward["rfm"]["segments"]
    fair = [m for m in bt.measures.values() if m.n_segments <= rfm_k]
    best = max(fair, key=lambda m: m.auc)
    print(
        f"{data_name}: cutoff {forward['cutoff']}, {forward['customers']:,} customers, run {seconds:.1f}s"
    )
    for label, row in (("cible (chosen)", forward["cible"]), ("RFM quintiles", forward["rfm"])):
        print(
            f"  {label:<16} {row['segments']:>3} segments  AUC {row['purchase_auc']:.4f}  "
            f"revenue variance {row['revenue_variance_explained']:.4f}"
        )
    print(
        f"  best candidate <= {rfm_k} segments: {best.name} ({best.n_segments}) AUC {best.auc:.4f}"
        f" revenue variance {best.variance_explained:.4f}"
    )
    common = {"data": data_name, "cutoff": forward["cutoff"], "customers": forward["customers"]}
    emit(
        "forward",
        **common,
        segmentation="cible",
        candidate=forward["cible_candidate"],
        segments=forward["cible"]["segments"],
        purchase_auc=forward["cible"]["purchase_auc"],
        revenue_variance_explained=forward["cible"]["revenue_variance_explained"],
    )
    emit(
        "forward",
        **common,
        segmentation="rfm_quintiles",
        segments=rfm_k,
        purchase_auc=forward["rfm"]["purchase_auc"],
        revenue_variance_explained=forward["rfm"]["revenue_variance_explained"],
    )
    emit(
        "forward",
        **common,
        segmentation="best_candidate_no_more_segments",
        candidate=best.name,
        segments=best.n_segments,
        purchase_auc=best.auc,
        revenue_variance_explained=best.variance_explained,
    )


if __name__ == "__main__":
    main()
