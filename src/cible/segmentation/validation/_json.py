"""JSON helpers shared by the validation results."""

from __future__ import annotations

import numpy as np


def json_float(value: float) -> float | None:
    """``None`` for NaN (JSON has no NaN), else a plain float."""
    return None if np.isnan(value) else float(value)
