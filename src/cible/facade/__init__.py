"""The Python API: a small facade over the pipeline for notebooks and scripts.

``cible.segment``, ``cible.dedup``, ``cible.propensity`` take a pandas, polars or Arrow frame and
return a typed result (:mod:`cible.facade.step_results`) that shows itself in Jupyter, converts to
pandas or Arrow, saves the CLI's files and writes the CLI's HTML report; ``cible.run`` runs a
whole configuration. See docs/python-api.md.
"""

from cible.facade.functions import dedup, propensity, run, segment
from cible.facade.step_results import DedupResult, PropensityResult, RunResult, SegmentResult

__all__ = [
    "DedupResult",
    "PropensityResult",
    "RunResult",
    "SegmentResult",
    "dedup",
    "propensity",
    "run",
    "segment",
]
