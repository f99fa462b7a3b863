"""Propensity training speed and accuracy on Online Retail, against two baselines.

    python bench/predict.py [--extras]

Ingests ../shared/datasets/online_retail with examples/online_retail.yaml (the normal ingest path),
labels "a purchase in the 90 days after 2011-09-01" from the history before that date, runs the
full model comparison of `cible predict` (logistic regression, decision tree, random forest,
histogram gradient boosting, MLP; --extras adds LightGBM and XGBoost), scores the 4,372 customers
with their reasons, and prints per-model fit seconds, cross-validated and test ROC AUC, the total
and the peak RSS. In the same run and on the same test split it prints two baselines: a naive
recency-only score (the more recent the last purchase, the likelier the next one) and the textbook
single logistic regression (standardised features, no search, no class weights).
Last lines: one JSON object per measured configuration, {"bench": "predict", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config import load_config
from cible.config.predict import PredictConfig
from cible.features import default_as_of
from cible.predict import build_scoring_set, build_training_set, score_customers, train_models
from cible.predict.training import split_positions
from cible.services.ingest import ingest
from cible.warehouse.registry import open_warehouse

ROOT = Path(__file__).resolve().parents[1]
CUTOFF = date(2011, 9, 1)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extras", action="store_true", help="add LightGBM and XGBoost")
    args = parser.parse_args()
    models = ["logistic", "decision_tree", "random_forest", "hist_gradient_boosting", "mlp"]
    spec = PredictConfig(
        cutoff=CUTOFF,
        horizon_days=90,
        models=models + (["lightgbm", "xgboost"] if args.extras else []),
    )
    cfg = load_config(ROOT / "examples" / "online_retail.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        wh = open_warehouse(cfg.warehouse, Path(tmp))
        try:
            t0 = time.perf_counter()
            ingest(cfg, wh, Path(tmp))
            print(f"ingest (not part of training)   {time.perf_counter() - t0:6.1f}s")
            t0 = time.perf_counter()
            labelled = build_training_set(wh, spec, CUTOFF)
            to_score = build_scoring_set(wh, spec, default_as_of(wh))
            t_label = time.perf_counter() - t0
        finally:
            wh.close()
    n, rate = len(labelled.y), labelled.positive_rate
    print(
        f"label + features                {t_label:6.1f}s  ({n:,} customers at the cutoff, {rate:.1%} buy)"
    )
    t0 = time.perf_counter()
    result = train_models(labelled.X, labelled.y, spec)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = score_customers(result, to_score, spec.score_column())
    t_score = time.perf_counter() - t0
    print(f"{'model':<24} {'fit s':>7} {'cv AUC':>7} {'test AUC':>9} {'PR AUC':>7}")
    for r in result.reports:
        mark = " (chosen)" if r.name == result.best else ""
        print(
            f"{r.name:<24} {r.fit_seconds:7.1f} {r.cv_score:7.3f} {r.test.roc_auc:9.3f} "
            f"{r.test.pr_auc:7.3f}{mark}"
        )
    print(f"train (search, thresholds, test, importance) {t_train:6.1f}s")
    print(f"score {len(scores):,} customers with reasons   {t_score:6.1f}s")
    print(
        f"total label+train+score         {t_label + t_train + t_score:6.1f}s  (peak RSS {peak_mib():,.0f} MiB)"
    )

    train_pos, test_pos = split_positions(labelled.y, spec)
    X, y = labelled.X, labelled.y.to_numpy()
    recency = X["recency_days"].fillna(X["recency_days"].max() + 1).to_numpy()
    print(
        f"baseline recency-only score     test AUC {roc_auc_score(y[test_pos], -recency[test_pos]):.3f}"
    )
    t0 = time.perf_counter()
    textbook = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression()
    )
    textbook.fit(X.iloc[train_pos], y[train_pos])
    auc = roc_auc_score(y[test_pos], textbook.predict_proba(X.iloc[test_pos])[:, 1])
    print(
        f"baseline textbook logistic      test AUC {auc:.3f}  fit {time.perf_counter() - t0:.2f}s"
    )
    print(f"chosen model ({result.best})     test AUC {result.report().test.roc_auc:.3f}")
    for r in result.reports:
        emit(
            "predict",
            engine="cible",
            model=r.name,
            chosen=r.name == result.best,
            fit_s=r.fit_seconds,
            cv_auc=r.cv_score,
            test_auc=r.test.roc_auc,
            pr_auc=r.test.pr_auc,
        )
    emit("predict", engine="textbook", model="logistic", test_auc=auc)
    emit("predict", engine="recency-only", test_auc=roc_auc_score(y[test_pos], -recency[test_pos]))
    emit(
        "predict", engine="cible-total", seconds=t_label + t_train + t_score, peak_rss_mb=peak_mib()
    )


if __name__ == "__main__":
    main()
