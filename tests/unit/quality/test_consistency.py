"""Consistency findings and the reference tables they use."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cible.quality import standardize_gender
from cible.quality.consistency import ConsistencyInput, find_inconsistencies
from cible.quality.regions import country_code, region_code
from cible.quality.results import FindingGroup
from cible.schemas import GENDERS


def _groups(finding_groups: tuple[FindingGroup, ...]) -> dict[str | None, list[tuple[str, int]]]:
    return {g.canonical: [(v.value, v.count) for v in g.variants] for g in finding_groups}


@pytest.mark.parametrize(
    ("raw", "country", "code"),
    [
        ("New South Wales", "AU", "NSW"),
        ("nsw", "AU", "NSW"),
        ("VICTORIA", "AU", "VIC"),
        ("California", "US", "CA"),
        ("ca", "US", "CA"),
        ("Ile de France", "FR", "IDF"),
        ("Île-de-France", "FR", "IDF"),
        ("PACA", "FR", "PAC"),
        ("Provence-Alpes-Cote d'Azur", "FR", "PAC"),
        ("Texas", "AU", None),
    ],
)
def test_region_code(raw: str, country: str, code: str | None) -> None:
    assert region_code(raw, country) == code


def test_region_code_unknown_country() -> None:
    with pytest.raises(
        ValueError, match=r"no region table for 'DE'; available: \['AU', 'FR', 'US'\]"
    ):
        region_code("Bayern", "DE")


@pytest.mark.parametrize(
    ("raw", "code"),
    [("Australia", "AU"), ("uk", "GB"), ("France", "FR"), ("U.S.A.", "US"), ("Peru", None)],
)
def test_country_code(raw: str, code: str | None) -> None:
    assert country_code(raw) == code


def test_non_canonical_genders_grouped_by_what_they_stand_for() -> None:
    data = ConsistencyInput(
        column="gender",
        counts=[("female", 10), ("F", 3), ("Femal", 1), ("M", 2), ("U", 5), ("??", 1)],
        canonical=standardize_gender,
        canonical_values=frozenset(GENDERS),
    )
    [finding] = find_inconsistencies(data)
    assert finding.kind == "non_canonical"
    assert (finding.n_groups, finding.n_rows) == (4, 12)
    assert _groups(finding.groups) == {
        "unknown": [("U", 5)],
        "female": [("F", 3), ("Femal", 1)],
        "male": [("M", 2)],
        None: [("??", 1)],
    }
    assert [g.canonical for g in finding.groups] == ["unknown", "female", "male", None]
    assert finding.message == (
        "5 spelling(s) outside {female, male, other, unknown} in 4 group(s), 12 rows"
    )


def test_canonical_only_gives_no_finding() -> None:
    data = ConsistencyInput(
        "gender",
        [("female", 3), ("male", 2)],
        canonical=standardize_gender,
        canonical_values=frozenset(GENDERS),
    )
    assert find_inconsistencies(data) == []


def test_states_written_as_names_and_codes() -> None:
    data = ConsistencyInput(
        "state",
        [("NSW", 2054), ("New South Wales", 86), ("VIC", 939), ("Victoria", 82), ("QLD", 838)],
    )
    [finding] = find_inconsistencies(data)
    assert finding.kind == "same_entity"
    assert _groups(finding.groups) == {
        "NSW (New South Wales)": [("NSW", 2054), ("New South Wales", 86)],
        "VIC (Victoria)": [("VIC", 939), ("Victoria", 82)],
    }
    assert (finding.n_groups, finding.n_rows) == (2, 3161)
    assert finding.message == "4 spellings of AU regions in 2 group(s), 3,161 rows"


def test_us_states_and_french_regions() -> None:
    us = find_inconsistencies(ConsistencyInput("s", [("CA", 5), ("California", 2), ("TX", 4)]))
    assert _groups(us[0].groups) == {"CA (California)": [("CA", 5), ("California", 2)]}
    fr = find_inconsistencies(
        ConsistencyInput("r", [("IDF", 3), ("Île-de-France", 2), ("Bretagne", 4)])
    )
    assert _groups(fr[0].groups) == {"IDF (Île-de-France)": [("IDF", 3), ("Île-de-France", 2)]}


def test_regions_need_half_of_the_rows() -> None:
    # 'WA' and 'Western Australia' are 3 rows out of 10: not a region column
    data = ConsistencyInput("x", [("WA", 2), ("Western Australia", 1), ("other", 7)])
    assert [f.kind for f in find_inconsistencies(data)] == []


def test_country_column_is_not_read_as_regions() -> None:
    data = ConsistencyInput("country", [("CA", 5), ("California", 1)], role="country")
    assert find_inconsistencies(data) == []


def test_same_normalised_values_and_city_keys() -> None:
    [finding] = find_inconsistencies(
        ConsistencyInput("city", [("Paris", 5), ("PARIS", 2), ("paris ", 1), ("Lyon", 4)])
    )
    assert finding.kind == "same_normalised"
    assert _groups(finding.groups) == {"Paris": [("Paris", 5), ("PARIS", 2), ("paris ", 1)]}
    [city] = find_inconsistencies(
        ConsistencyInput("city", [("St Etienne", 2), ("Saint-Étienne", 3)], role="city")
    )
    assert _groups(city.groups) == {"Saint-Étienne": [("Saint-Étienne", 3), ("St Etienne", 2)]}


def test_personal_columns_report_counts_only() -> None:
    [finding] = find_inconsistencies(
        ConsistencyInput(
            "last_name", [("Dupont", 4), ("DUPONT", 1), ("Martin", 2), ("martin", 2)], personal=True
        )
    )
    assert finding.groups == ()
    assert (finding.n_groups, finding.n_rows) == (2, 9)
    assert "Dupont" not in finding.message and "Martin" not in finding.message


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["NSW", "nsw", "New South Wales", "VIC", "Vic", "QLD", "x"]),
            st.integers(1, 50),
        ),
        min_size=1,
        max_size=7,
        unique_by=lambda p: p[0],
    )
)
def test_every_listed_variant_is_a_real_value_listed_once(pairs: list[tuple[str, int]]) -> None:
    seen: list[str] = []
    for finding in find_inconsistencies(ConsistencyInput("state", pairs)):
        listed = [v for g in finding.groups for v in g.variants]
        assert {(v.value, v.count) for v in listed} <= set(pairs)
        assert finding.n_rows == sum(v.count for v in listed)
        assert all(len(g.variants) >= 2 for g in finding.groups)
        seen += [v.value for v in listed]
    assert len(seen) == len(set(seen))
