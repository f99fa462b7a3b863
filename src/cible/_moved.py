"""Old import paths that still work, with a ``DeprecationWarning``, after a module moved.

``MOVED_MODULES`` maps an old module name to the module that now holds its code: importing the
old name warns once and hands back the new module itself (same object, so ``isinstance`` and
monkeypatching keep working). ``MOVED_PACKAGES`` maps an old package to its new home and the
public names it exported: the old package is a small stand-in whose module ``__getattr__`` warns
and forwards each name. :func:`install` puts the finder on ``sys.meta_path``; ``cible/__init__.py``
calls it, so every old path resolves as soon as ``cible`` is imported. The aliases go when the
deprecation period ends (one minor release).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

_DEDUP_NAMES = (
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
)
_GOLDEN_NAMES = (
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
)

MOVED_PACKAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cible.quality.dedup": ("cible.identity", _DEDUP_NAMES),
    "cible.quality.golden": ("cible.identity", _GOLDEN_NAMES),
}

MOVED_MODULES: dict[str, str] = {
    "cible.ingest.profile": "cible.ingest.source_measures",
    "cible.predict.clv.result": "cible.predict.clv.clv_result",
    "cible.predict.clv.service": "cible.predict.clv.clv_fit",
    "cible.predict.engine": "cible.predict.training",
    "cible.predict.explain": "cible.predict.model_explanations",
    "cible.predict.features": "cible.predict.predict_features",
    "cible.predict.preprocess": "cible.predict.model_inputs",
    "cible.predict.result": "cible.predict.training_result",
    "cible.quality.dedup.blocking": "cible.identity.blocking",
    "cible.quality.dedup.clustering": "cible.identity.clustering",
    "cible.quality.dedup.compare": "cible.identity.compare",
    "cible.quality.dedup.fellegi_sunter": "cible.identity.fellegi_sunter",
    "cible.quality.dedup.incremental": "cible.identity.incremental",
    "cible.quality.dedup.match": "cible.identity.match",
    "cible.quality.dedup.metrics": "cible.identity.pair_metrics",
    "cible.quality.dedup.prepare": "cible.identity.prepare",
    "cible.quality.dedup.scoring": "cible.identity.scoring",
    "cible.quality.golden.build": "cible.identity.golden",
    "cible.quality.golden.calibration": "cible.identity.calibration",
    "cible.quality.golden.events": "cible.identity.rekey",
    "cible.quality.golden.inputs": "cible.identity.golden_inputs",
    "cible.quality.golden.links": "cible.identity.links",
    "cible.quality.golden.merge_log": "cible.identity.merge_log",
    "cible.quality.golden.review": "cible.identity.review",
    "cible.quality.golden.survivorship": "cible.identity.survivorship",
    "cible.quality.golden.undo": "cible.identity.undo",
    "cible.quality.profile": "cible.quality.report_measures",
    "cible.segmentation.explain": "cible.segmentation.segment_explanations",
    "cible.segmentation.profile": "cible.segmentation.profiles",
    "cible.segmentation.result": "cible.segmentation.segmentation_result",
    "cible.segmentation.service": "cible.segmentation.customer_segments",
    "cible.segmentation.validation.result": "cible.segmentation.validation.suite",
    "cible.services.dedup": "cible.services.identity",
    "cible.synth.behaviour": "cible.synth.activity",
    "cible.synth.render": "cible.synth.text_arrays",
}


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"{old} moved to {new}; import {new} instead (the old path goes in the next minor release)",
        DeprecationWarning,
        stacklevel=3,
    )


def _stand_in(old: str, new: str, names: tuple[str, ...]) -> ModuleType:
    """A package ``old`` whose public ``names`` are forwarded, with a warning, to ``new``."""
    module = ModuleType(old, f"Deprecated: moved to {new}.")

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        _warn(f"{old}.{name}", f"{new}.{name}")
        return getattr(importlib.import_module(new), name)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__all__ = list(names)  # type: ignore[attr-defined]
    return module


class _AliasLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        if spec.name in MOVED_PACKAGES:
            new, names = MOVED_PACKAGES[spec.name]
            return _stand_in(spec.name, new, names)
        new = MOVED_MODULES[spec.name]
        _warn(spec.name, new)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was built (or already imported) by :meth:`create_module`."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED_MODULES and fullname not in MOVED_PACKAGES:
            return None
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(), is_package=fullname in MOVED_PACKAGES
        )


def install() -> None:
    """Put the finder of moved modules first on ``sys.meta_path`` (once per interpreter)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
