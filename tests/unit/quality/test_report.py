"""The data-quality report of a frame: measures, privacy, thresholds, imputation shares."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from cible.config import QualityThresholds
from cible.quality import QualityReport, quality_report, standardize_email, standardize_series
from cible.quality.report import find_breaches, imputation_shares, with_imputation
from cible.quality.results import Breach, Example, ValueCount
from cible.segmentation.imputation import missing_report

REF = dt.date(2026, 1, 1)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "email": ["Jean.Dupont@Example.fr", "bad@localhost", None, "a@b.fr", "a@b.fr"],
            "phone": ["06 12 34 56 78", "0612345678", None, None, "+33612345678"],
            "gender": ["F", "Femal", "female", "M", None],
            "job": ["n/a", "Nurse", "NULL", "Nurse", " "],
            "birth_date": [
                dt.date(1843, 12, 21),
                dt.date(1905, 6, 1),
                dt.date(1990, 1, 1),
                dt.date(2030, 1, 1),
                None,
            ],
            "created_at": pd.to_datetime(
                ["1905-06-01", "2020-01-01", "2021-01-01", None, "2027-03-01"], utc=True
            ),
        }
    )


def test_counts_per_column(frame: pd.DataFrame) -> None:
    report = quality_report(frame, reference_date=REF)
    s = report.source("frame")
    assert s.n_rows == 5
    job = s.column("job")
    # ' ' is missing (blank); 'n/a' and 'NULL' are texts standing for a missing value
    assert (job.n_missing, job.n_missing_like, job.n_distinct) == (1, 2, 3)
    assert job.top_values == (ValueCount("Nurse", 2), ValueCount("NULL", 1), ValueCount("n/a", 1))
    assert job.missing_rate == pytest.approx(0.2)
    gender = s.column("gender")
    assert (gender.n_missing, gender.n_distinct, gender.kind) == (1, 4, "text")


def test_invalid_flags_from_standardisation(frame: pd.DataFrame) -> None:
    flags = standardize_series(frame["email"], standardize_email)["reason"]
    report = quality_report(frame, invalid={"email": flags}, reference_date=REF)
    email = report.source("frame").column("email")
    assert email.n_invalid == 1
    assert email.invalid_rate == pytest.approx(0.2)
    assert email.invalid_reasons == (ValueCount("not an e-mail", 1),)


def test_personal_columns_show_patterns_never_values(frame: pd.DataFrame) -> None:
    report = quality_report(frame, reference_date=REF)
    email = report.source("frame").column("email")
    phone = report.source("frame").column("phone")
    assert email.personal and phone.personal
    assert email.top_values == () and phone.top_values == ()
    assert email.top_patterns == (
        ValueCount("a@a.a", 2),
        ValueCount("Aa.Aa@Aa.a", 1),
        ValueCount("a@a", 1),
    )
    assert phone.top_patterns == (
        ValueCount("+99999999999", 1),
        ValueCount("99 99 99 99 99", 1),
        ValueCount("9999999999", 1),
    )
    dumped = json.dumps(report.to_dict(), ensure_ascii=False)
    for value in ("Jean.Dupont", "bad@localhost", "a@b.fr", "06 12 34 56 78", "1843-12-21"):
        assert value not in dumped


def test_extra_personal_columns(frame: pd.DataFrame) -> None:
    report = quality_report(frame, personal=["job"], reference_date=REF)
    job = report.source("frame").column("job")
    assert job.top_values == () and job.top_patterns[0] == ValueCount("Aa", 2)


def test_impossible_birth_dates_and_other_dates(frame: pd.DataFrame) -> None:
    s = quality_report(frame, reference_date=REF).source("frame")
    birth = s.column("birth_date").dates
    assert birth is not None
    assert (birth.future, birth.before_1900, birth.over_120, birth.total) == (1, 1, 1, 3)
    assert birth.examples == (
        Example(1, None, "before 1900"),
        Example(2, None, "age over 120"),
        Example(4, None, "in the future"),
    )
    assert birth.earliest is None  # personal: no value
    created = s.column("created_at").dates
    assert created is not None
    # not a birth date: 1905 is old but possible, no age rule
    assert (created.future, created.before_1900, created.over_120) == (1, 0, None)
    assert created.examples == (Example(5, "2027-03-01", "in the future"),)
    assert (created.earliest, created.latest) == ("1905-06-01", "2027-03-01")


def test_numeric_outliers_golden() -> None:
    frame = pd.DataFrame({"basket": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100]})
    numeric = quality_report(frame, reference_date=REF).source("frame").column("basket").numeric
    assert numeric is not None
    # quartiles 3.25 / 5.5 / 7.75; MAD 2.5: 100 is 25.5 robust z from the median
    assert (numeric.q1, numeric.median, numeric.q3, numeric.mad) == pytest.approx(
        (3.25, 5.5, 7.75, 2.5)
    )
    assert (numeric.robust_z, numeric.iqr, numeric.n_values) == (1, 1, 10)
    assert numeric.examples == (Example(10, "100", "far from the median"),)


def test_numbers_written_as_text_are_measured_as_numbers() -> None:
    frame = pd.DataFrame({"tenure": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "100"]})
    numeric = quality_report(frame, reference_date=REF).source("frame").column("tenure").numeric
    assert numeric is not None and numeric.iqr == 1


def test_consistency_findings_in_the_report(frame: pd.DataFrame) -> None:
    frame = frame.assign(state=["NSW", "New South Wales", "VIC", "Victoria", "VIC"])
    s = quality_report(frame, reference_date=REF).source("frame")
    [gender] = s.findings_for("gender")
    assert gender.kind == "non_canonical" and gender.n_rows == 3
    [state] = s.findings_for("state", "same_entity")
    assert [g.canonical for g in state.groups] == ["VIC (Victoria)", "NSW (New South Wales)"]


def test_roles_name_canonical_fields() -> None:
    frame = pd.DataFrame({"sexe": ["F", "Homme"], "mail": ["a@b.fr", "c@d.fr"]})
    s = quality_report(frame, roles={"sexe": "gender", "mail": "email"}).source("frame")
    assert s.column("mail").personal
    assert s.findings_for("sexe")[0].groups[0].variants == (ValueCount("F", 1),)


def test_input_frame_unchanged(frame: pd.DataFrame) -> None:
    before = frame.copy()
    quality_report(frame, reference_date=REF)
    pd.testing.assert_frame_equal(frame, before)


def test_unknown_columns_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"\['nope'\] are not columns of the frame"):
        quality_report(frame, personal=["nope"])


def test_thresholds_column_then_default(frame: pd.DataFrame) -> None:
    thresholds = QualityThresholds(
        max_missing_rate={"email": 0.1, "default": 0.5},
        max_invalid_rate={"default": 0.0},
    )
    flags = standardize_series(frame["email"], standardize_email)["reason"]
    report = quality_report(frame, invalid={"email": flags}, thresholds=thresholds)
    assert report.breaches == (
        Breach("frame", "email", "missing_rate", 0.2, 0.1, "email"),
        Breach("frame", "email", "invalid_rate", 0.2, 0.0, "default"),
    )
    assert report.breaches[0].message() == (
        "source 'frame' column 'email': missing rate 20.0% > allowed 10.0% "
        "(quality.thresholds.max_missing_rate.email)"
    )


def test_thresholds_out_of_range_refused() -> None:
    with pytest.raises(ValueError, match="rates must be between 0 and 1"):
        QualityThresholds(max_missing_rate={"email": 1.5})


def test_no_thresholds_no_breach(frame: pd.DataFrame) -> None:
    report = quality_report(frame)
    assert report.breaches == ()
    assert find_breaches(report.sources, None) == ()


def test_imputation_shares_from_missing_report() -> None:
    data = pd.DataFrame({"a": [1.0, np.nan, np.nan, 4.0], "b": [1.0, 2.0, np.nan, 4.0]})
    missing = missing_report(data, imputed_columns=["a"], methods={"a": "knn"})
    shares = imputation_shares(missing)
    assert [(s.feature, s.method, s.n_rows, s.n_imputed) for s in shares] == [
        ("a", "knn", 4, 2),
        ("b", "none", 4, 0),
    ]
    assert shares[0].share == pytest.approx(0.5)
    report = with_imputation(QualityReport(sources=()), missing)
    assert report.to_dict()["imputation"][0] == {
        "feature": "a",
        "method": "knn",
        "n_rows": 4,
        "n_imputed": 2,
        "share": 0.5,
    }
    assert with_imputation(report, None) is report


def test_json_is_complete(frame: pd.DataFrame) -> None:
    data = json.loads(json.dumps(quality_report(frame, reference_date=REF).to_dict()))
    assert data["reference_date"] == "2026-01-01"
    assert data["imputation"] is None
    columns = {c["name"]: c for c in data["sources"][0]["columns"]}
    assert columns["job"]["missing_rate"] == pytest.approx(0.2)
    assert columns["birth_date"]["dates"]["before_1900"] == 1
    assert data["sources"][0]["findings"][0]["kind"] == "non_canonical"


def test_numbers_as_text_are_not_spellings_of_each_other() -> None:
    frame = pd.DataFrame(
        {"price": ["-11062.06", "11062.06", "1.25", "1.25"], "sku": ["a", "A", "b", "b"]}
    )
    s = quality_report(frame).source("frame")
    assert s.findings_for("price") == []
    assert s.findings_for("sku")[0].kind == "same_normalised"
