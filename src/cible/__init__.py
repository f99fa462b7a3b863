"""cible: advanced audience segmentation for marketing teams.

The Python API (docs/python-api.md): :func:`segment`, :func:`dedup`, :func:`propensity` take a
pandas, polars or Arrow frame and return a typed result; :func:`run` runs a configuration
(:func:`load_config`, :class:`CibleConfig`).
"""

from cible import _moved
from cible._version import __version__
from cible.config import CibleConfig, SegmentationConfig, load_config
from cible.exceptions import CibleError
from cible.facade import (
    DedupResult,
    PropensityResult,
    RunResult,
    SegmentResult,
    dedup,
    propensity,
    run,
    segment,
)

_moved.install()

__all__ = [
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
