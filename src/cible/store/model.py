"""What the store needs of a published segment model, and how its bytes are kept.

The store depends on no domain package: any object with this shape can be published
(:class:`cible.segmentation.model_artifact.SegmentModel` is the one the batch run writes)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from cible.store.errors import StoreError


@runtime_checkable
class ScoringModel(Protocol):
    """A fitted segmentation that scores behavioural features."""

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The behavioural features predict reads."""
        ...

    @property
    def segment_names(self) -> Mapping[int, str]:
        """Segment id -> name."""
        ...

    def predict(self, features: Any) -> Any:
        """Segment ids (one per row of the ``features`` DataFrame, index customer_id)."""
        ...

    def to_bytes(self) -> bytes: ...


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_model(data: bytes, expected_sha256: str, version: int) -> ScoringModel:
    """The model of stored ``data`` after checking its digest (joblib format)."""
    if sha256(data) != expected_sha256:
        raise StoreError(
            f"segment model version {version}: the artifact's sha256 does not match the one "
            "recorded at publish (the stored bytes are corrupt)"
        )
    import joblib

    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, ScoringModel):
        raise StoreError(
            f"segment model version {version}: the artifact is a {type(model).__name__}, "
            "not a model with predict, feature_names and segment_names"
        )
    return model
