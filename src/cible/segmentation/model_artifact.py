"""The fitted segmentation of a batch run as one artifact, to score customers live.

:class:`SegmentModel` keeps what turns behavioural features into a segment id exactly as the batch
run did: the fitted preparation (imputation, winsorising, log, scaling, then the AHP
:class:`~cible.segmentation.weighting.FeatureWeighter`), the chosen estimator (every algorithm of
:mod:`cible.segmentation.algorithms` has ``predict``), the map from the estimator's labels to the
run's segment ids (noise ``-1`` -> the "Atypical" segment) and the segment names. Customers
without a purchase (``frequency == 0``) are segment 0, the prospects, as in
:func:`cible.segmentation.segment_customers`. ``to_bytes``/``from_bytes`` use joblib; the bytes
carry a sha256 checked on load.
"""

from __future__ import annotations

import copy
import hashlib
import io
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cible.config import FEATURE_NAMES
from cible.exceptions import SegmentationError
from cible.segmentation.segmentation_result import (
    NOISE_SEGMENT_NAME,
    PROSPECT_SEGMENT_ID,
    REFUND_ONLY_SEGMENT_NAME,
    SegmentationResult,
)

NOISE_LABEL = -1


class SegmentModel:
    """A fitted segmentation that scores a DataFrame of behavioural features (index customer_id)."""

    def __init__(
        self,
        *,
        preparation: Any,
        estimator: Any,
        label_map: Mapping[int, int],
        segment_names: Mapping[int, str],
        features: Sequence[str],
        cible_version: str,
        algorithm: str = "",
    ) -> None:
        self.preparation = preparation
        self.estimator = estimator
        self.label_map = {int(k): int(v) for k, v in label_map.items()}
        self.segment_names = {int(k): str(v) for k, v in segment_names.items()}
        self.features = tuple(features)
        self.cible_version = cible_version
        self.algorithm = algorithm
        atypical = [k for k, v in self.segment_names.items() if v == NOISE_SEGMENT_NAME]
        if NOISE_LABEL not in self.label_map and atypical:
            self.label_map[NOISE_LABEL] = atypical[0]

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The columns ``predict`` reads: the segmentation features and ``frequency``."""
        return tuple(dict.fromkeys([*self.features, "frequency"]))

    @classmethod
    def from_result(cls, seg: SegmentationResult, cible_version: str) -> SegmentModel:
        """The model of a batch segmentation (needs its science: the fitted preparation)."""
        science = seg.science
        if science is None or science.preparation is None:
            raise SegmentationError(
                "this segmentation kept no fitted preparation: it cannot be published"
            )
        names = dict(zip(seg.profiles["segment_id"], seg.profiles["segment_name"], strict=True))
        return cls(
            preparation=science.preparation,
            estimator=science.selection.estimator,
            label_map=seg.label_map,
            segment_names={int(k): str(v) for k, v in names.items()},
            features=seg.feature_names,
            cible_version=cible_version,
            algorithm=seg.algorithm,
        )

    def non_behavioural_features(self) -> list[str]:
        """Features the live store cannot compute (prediction scores, CLV...)."""
        return [f for f in self.features if f not in FEATURE_NAMES]

    def predict(self, features: pd.DataFrame) -> NDArray[np.int64]:
        """The segment id of each row of ``features`` (prospects: 0; without a purchase and with
        a negative ``monetary``, when that column is given, the refund-only segment if the
        segmentation had one)."""
        missing = [c for c in self.feature_names if c not in features.columns]
        if missing:
            raise SegmentationError(
                f"segment model: columns {missing} are missing; it reads {list(self.feature_names)}"
            )
        out = np.full(len(features), PROSPECT_SEGMENT_ID, dtype=np.int64)
        buyers = features["frequency"].to_numpy(dtype=np.float64) > 0
        refund_ids = [k for k, v in self.segment_names.items() if v == REFUND_ONLY_SEGMENT_NAME]
        if refund_ids and "monetary" in features.columns:
            refunds = ~buyers & (features["monetary"].to_numpy(dtype=np.float64) < 0)
            out[refunds] = refund_ids[0]
        if not buyers.any():
            return out
        data = features.loc[buyers, list(self.features)]
        prepared = self._prepare(data)
        labels = np.asarray(self.estimator.predict(prepared), dtype=np.int64)
        unknown = sorted(set(labels.tolist()) - set(self.label_map))
        if unknown:
            raise SegmentationError(
                f"segment model: the estimator gave labels {unknown} that map to no segment "
                f"(known: {sorted(self.label_map)})"
            )
        out[buyers] = np.vectorize(self.label_map.__getitem__, otypes=[np.int64])(labels)
        return out

    def _prepare(self, data: pd.DataFrame) -> NDArray[np.float64]:
        """The fitted preparation of ``data``. The live store calls this once per batch, so the
        usual shape of preparation runs as the same numpy operations, checked bit for bit
        against the fitted one when first built (:mod:`cible.segmentation.compiled_prep`);
        other shapes run the per-feature pipelines with numpy output (twice as fast as the
        pandas output they were fitted with, same numbers)."""
        fast = getattr(self, "_fast", None)
        if fast is None:
            fast = self._fast = _fast_preparation(self.preparation, self.features)
        if fast is False:
            return np.asarray(self.preparation.transform(data), dtype=np.float64)
        if callable(fast):
            return fast(data)
        return _numpy_prepare(fast, data)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_fast", None)  # rebuilt on first use
        return state

    def to_bytes(self) -> bytes:
        """The joblib bytes of the model (the store records their sha256 at publish)."""
        import joblib

        buf = io.BytesIO()
        joblib.dump(self, buf, compress=3)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, expected_sha256: str | None = None) -> SegmentModel:
        """The model of ``data``; with ``expected_sha256``, refused unless the digest matches."""
        import joblib

        if expected_sha256 is not None and hashlib.sha256(data).hexdigest() != expected_sha256:
            raise SegmentationError(
                "segment model: the sha256 of the bytes does not match the recorded one "
                f"({expected_sha256[:12]}...): the file is corrupt or was replaced"
            )
        model = joblib.load(io.BytesIO(data))
        if not isinstance(model, cls):
            raise SegmentationError(f"segment model bytes hold a {type(model).__name__}")
        return model

    def save(self, path: Path, digest_path: Path | None = None) -> Path:
        """Write the model to ``path`` and its sha256 to ``digest_path`` (default: ``path`` +
        ``.sha256``)."""
        data = self.to_bytes()
        path.write_bytes(data)
        digest = digest_path or Path(f"{path}.sha256")
        digest.write_text(hashlib.sha256(data).hexdigest() + "\n", "utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> SegmentModel:
        """The model of ``path``, checked against its ``.sha256`` file when there is one."""
        if not path.is_file():
            raise SegmentationError(f"segment model {path} does not exist: run `cible run` first")
        digest = Path(f"{path}.sha256")
        expected = digest.read_text("utf-8").strip() if digest.is_file() else None
        return cls.from_bytes(path.read_bytes(), expected)


def _numpy_preparation(preparation: Any) -> tuple[Any, Any] | Literal[False]:
    """(preprocessor with numpy output, weighter) of a ``Pipeline([prepare, weight])``; False
    for any other shape (then the preparation runs as fitted)."""
    steps = getattr(preparation, "steps", None)
    if not steps or len(steps) != 2 or not hasattr(steps[0][1], "set_output"):
        return False
    prepare = copy.deepcopy(steps[0][1]).set_output(transform="default")
    return prepare, steps[1][1]


def _numpy_prepare(fast: tuple[Any, Any], data: pd.DataFrame) -> NDArray[np.float64]:
    prepare, weight = fast
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        values = prepare.transform(data)
    named = pd.DataFrame(values, columns=prepare.get_feature_names_out(), index=data.index)
    return np.asarray(weight.transform(named), dtype=np.float64)


def _fast_preparation(preparation: Any, features: Sequence[str]) -> Any:
    """The compiled preparation when it is exact, else :func:`_numpy_preparation`'s."""
    from cible.segmentation.compiled_prep import compile_preparation

    slow = _numpy_preparation(preparation)

    def reference(data: pd.DataFrame) -> NDArray[np.float64]:
        if slow is False:
            return np.asarray(preparation.transform(data), dtype=np.float64)
        return _numpy_prepare(slow, data)

    compiled = compile_preparation(preparation, features, reference)
    return compiled if compiled is not None else slow


def write_segment_model(
    seg: SegmentationResult, path: Path, digest_path: Path, cible_version: str
) -> Path | None:
    """Write the model of ``seg`` to ``path``, its sha256 to ``digest_path`` (nothing when the
    segmentation kept no fitted preparation)."""
    if seg.science is None or seg.science.preparation is None:
        return None
    return SegmentModel.from_result(seg, cible_version).save(path, digest_path)
