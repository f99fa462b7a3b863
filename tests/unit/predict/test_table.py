from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cible.config.predict import TableConfig
from cible.exceptions import MissingColumnError, PredictError, SourceNotFoundError
from cible.predict import table_labelled_set
from cible.predict.table import label_from_column, numeric_text_columns, read_table

CSV = (
    "id;age;total;plan;email;outcome\n"
    "a1;30; ;basic;a@x.io;yes\n"
    "a2;41;120.5;pro;b@x.io;no\n"
    "a3;25;80;unknown;c@x.io;no\n"
    "a4;52;300;pro;d@x.io;yes\n"
)


def test_blank_strings_in_a_numeric_column_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    raw = read_table(path, TableConfig(path=path, delimiter=";"))
    before = raw.copy()
    out = numeric_text_columns(raw)
    assert out["total"].dtype == "float64"
    assert np.isnan(out.loc[0, "total"]) and out.loc[1, "total"] == 120.5
    assert not pd.api.types.is_numeric_dtype(out["plan"])
    pd.testing.assert_frame_equal(raw, before)  # the input is not modified


def test_table_labelled_set(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(CSV)
    table = TableConfig(
        path=path, delimiter=";", id_column="id", drop_columns=["email"], missing_values=["unknown"]
    )
    raw = read_table(path, table)
    s = table_labelled_set(raw, table, "outcome", None)
    assert list(s.X.columns) == ["age", "total", "plan"]
    assert list(s.X.index) == ["a1", "a2", "a3", "a4"]
    assert s.y.tolist() == [1, 0, 0, 1]
    assert pd.isna(s.X.loc["a3", "plan"])
    assert s.description == "'outcome' = yes/true/1"


def test_without_id_rows_are_numbered_and_unique_text_is_dropped() -> None:
    n = 30
    raw = pd.DataFrame(
        {
            "name": [f"person {i}" for i in range(n)],  # unique text: cannot generalise
            "x": np.arange(n, dtype=float),
            "y": ["Y" if i % 3 == 0 else "N" for i in range(n)],
        }
    )
    s = table_labelled_set(raw, TableConfig(path=Path("t.csv")), "y", "Y")
    assert list(s.X.columns) == ["x"]
    assert s.X.index[0] == "1" and s.X.index[-1] == "30"
    assert int(s.y.sum()) == 10


def test_label_spellings_and_errors() -> None:
    assert label_from_column(pd.Series(["Yes", "no", " TRUE", "0"]), None, "c").tolist() == [
        1,
        0,
        1,
        0,
    ]
    assert label_from_column(pd.Series([1, 0, 1]), None, "c").tolist() == [1, 0, 1]
    with pytest.raises(PredictError, match=r"values \['maybe'\] are not yes/no"):
        label_from_column(pd.Series(["yes", "maybe"]), None, "c")
    with pytest.raises(
        PredictError, match=r"no row has the positive value 'Y'; values seen: \['n', 'y'\]"
    ):
        label_from_column(pd.Series(["y", "n"]), "Y", "c")
    with pytest.raises(PredictError, match=r"empty on 1 row\(s\) \(first data rows \[3\]\)"):
        label_from_column(pd.Series(["yes", "no", None]), None, "c")


def test_missing_columns_and_files(tmp_path: Path) -> None:
    raw = pd.DataFrame({"x": [1.0, 2.0], "y": ["yes", "no"]})
    with pytest.raises(MissingColumnError, match=r"column\(s\) \['duration'\] not in the table"):
        table_labelled_set(
            raw, TableConfig(path=Path("t.csv"), drop_columns=["duration"]), "y", None
        )
    with pytest.raises(SourceNotFoundError, match="file not found"):
        read_table(tmp_path / "nope.csv", TableConfig(path=tmp_path / "nope.csv"))
    dup = pd.DataFrame({"id": ["a", "a"], "x": [1.0, 2.0], "y": ["yes", "no"]})
    with pytest.raises(PredictError, match="id column 'id' must be filled and unique"):
        table_labelled_set(dup, TableConfig(path=Path("t.csv"), id_column="id"), "y", None)


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [True, False, True]}).to_parquet(path)
    raw = read_table(path, TableConfig(path=path))
    s = table_labelled_set(raw, TableConfig(path=path), "y", None)
    assert s.y.tolist() == [1, 0, 1]


def test_the_split_column_is_the_clock_not_a_feature() -> None:
    raw = pd.DataFrame(
        {
            "signed": ["2024-01-03", "2024-01-01", "2024-01-02", "2024-01-01"],
            "x": [1.0, 2.0, 3.0, 4.0],
            "y": ["yes", "no", "no", "yes"],
        }
    )
    s = table_labelled_set(raw, TableConfig(path=Path("t.csv")), "y", None, "signed")
    assert list(s.X.columns) == ["x"]
    assert s.times is not None
    assert (np.argsort(s.times, kind="stable")).tolist() == [1, 3, 2, 0]
    with pytest.raises(MissingColumnError, match=r"column\(s\) \['when'\] not in the table"):
        table_labelled_set(raw, TableConfig(path=Path("t.csv")), "y", None, "when")
