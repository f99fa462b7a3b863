"""The machine-readable last lines of every bench: one JSON object per measured configuration."""

from __future__ import annotations

import json
import math

import numpy as np


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _round(value: object) -> object:
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def emit(bench: str, **figures: object) -> None:
    """Print ``{"bench": bench, ...figures}`` on one line."""
    print(
        json.dumps({"bench": bench, **{k: _round(v) for k, v in figures.items()}}, default=_plain)
    )
