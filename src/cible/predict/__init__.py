"""Predictive profiles: purchase propensity, churn risk, campaign response.

Labels come from the event history without leakage (features over the warehouse restricted to
events before a cutoff, the label from a window after it) or from a column of a plain table; one
engine trains, tunes and compares scikit-learn models, chooses a threshold on out-of-fold data,
reports test metrics, and scores customers with their top reasons. Customer lifetime value lives
in :mod:`cible.predict.clv`.
"""

from cible.predict.balance import BalancedClassifier
from cible.predict.labels import LabelledSet, build_scoring_set, build_training_set
from cible.predict.metrics import compute_metrics, max_f1_threshold
from cible.predict.pointintime import PointInTimeView
from cible.predict.predict_features import (
    PREDICT_FEATURE_NAMES,
    build_predict_features,
    point_in_time_features,
)
from cible.predict.scores import join_scores, score_customers
from cible.predict.table import table_labelled_set
from cible.predict.training import train_models
from cible.predict.training_result import ModelMetrics, ModelReport, TrainingResult

__all__ = [
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
]
