"""Small hand-made records shared by the dedup tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def people() -> pd.DataFrame:
    """Six records: r1/r2/r3 one person (formats and a typo), r4/r5 another, r6 alone."""
    return pd.DataFrame(
        {
            "id": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "first": ["Hélène", "HELENE", "Helene", "Jean", "Jean", "Marc"],
            "last": ["Dupont", "Dupond", "Dupont", "Martin", "Martin", "Petit"],
            "email": ["h.dupont@mail.fr", "H.Dupont@Mail.fr", None, "jm@mail.fr", None, None],
            "phone": ["06 12 34 56 78", "+33612345678", None, "0700000001", "0700000001", None],
            "dob": ["1980-03-12", "12/03/1980", "1980-12-03", "1975-01-01", "1975-01-01", None],
            "zip": ["75011", "75011", "75011", "69003", "69003", "75011"],
        }
    )
