"""The automatic matching configuration: kinds, comparators, blocking choice, report."""

from __future__ import annotations

import pandas as pd
import pytest

from cible.config.matching import BlockingKey, BlockingRule, MatchingConfig
from cible.exceptions import DedupError
from cible.identity import pairwise_metrics
from cible.identity.auto_config import (
    auto_matching_config,
    find_duplicates_auto,
    parse_fields,
)
from cible.identity.field_kinds import (
    field_comparison,
    infer_kind,
    kind_from_name,
    kind_from_values,
)
from cible.synth.duplicates import planted_customers


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("date_of_birth", "date"),
        ("dob", "date"),
        ("phone", "phone"),
        ("mobileNumber", "phone"),
        ("email", "email"),
        ("e_mail", "email"),
        ("given_name", "name"),
        ("surname", "name"),
        ("site_name", "name"),
        ("zip", "postcode"),
        ("postal_code", "postcode"),
        ("suburb", "city"),
        ("city", "city"),
        ("street_number", "number"),
        ("address_1", "address"),
        ("street_address", "address"),
        ("soc_sec_id", "id"),
        ("state", "category"),
    ],
)
def test_kind_from_column_name(column: str, kind: str) -> None:
    assert kind_from_name(column) == kind


def test_column_name_without_known_word_says_nothing() -> None:
    assert kind_from_name("colour") is None
    assert kind_from_name("cuisine") is None


def test_kind_from_values() -> None:
    assert kind_from_values(pd.Series(["ann@x.org", "bob@y.com", None, "cy@z.net"])) == "email"
    assert kind_from_values(pd.Series(["1985-03-12", "12/03/1985", "19850312"])) == "date"
    assert kind_from_values(pd.Series(["06 12 34 56 78", "+33612345678", "0612345678"])) == "phone"
    assert kind_from_values(pd.Series(["7012345", "7012346", "7012347"])) == "id"
    assert kind_from_values(pd.Series(["12", "4", "118"])) == "number"
    assert kind_from_values(pd.Series(["a", "b"] * 50)) == "category"
    several_words = pd.Series([f"word{i} other{i} third{i}" for i in range(100)])
    assert kind_from_values(several_words) == "text"
    assert kind_from_values(pd.Series([f"name{i}" for i in range(100)])) == "name"
    assert kind_from_values(pd.Series([None, None], dtype=object)) == "text"


def test_email_share_boundary() -> None:
    """4 of 5 values (80 %) look like e-mails: e-mail; 3 of 5: not."""
    four = pd.Series(["a@x.org", "b@x.org", "c@x.org", "d@x.org", "not one"])
    three = pd.Series(["a@x.org", "b@x.org", "c@x.org", "not one", "nor this"])
    assert kind_from_values(four) == "email"
    assert kind_from_values(three) != "email"


def test_infer_kind_prefers_the_column_name() -> None:
    assert infer_kind("phone", pd.Series(["ann@x.org"] * 3)) == ("phone", "column name")
    assert infer_kind("contact", pd.Series(["ann@x.org"] * 3)) == ("email", "values")


def test_comparator_of_each_kind() -> None:
    date = field_comparison("dob", "date")
    assert (date.comparator, date.standardize, date.term_frequency) == ("date", "date", False)
    phone = field_comparison("tel", "phone")
    assert (phone.comparator, phone.standardize) == ("damerau_levenshtein", "phone_tail")
    assert phone.cut_offs == (1.0, 0.85, 0.7)
    address = field_comparison("addr", "address")
    assert (address.comparator, address.standardize) == ("jaro_winkler", "address")
    email = field_comparison("mail", "email")
    assert (email.comparator, email.standardize, email.cut_offs) == (
        "jaro_winkler",
        "email",
        (1.0, 0.88),
    )
    name = field_comparison("surname", "name")
    assert (name.comparator, name.standardize, name.term_frequency) == (
        "name_words",
        "name",
        True,
    )
    assert field_comparison("city", "city").term_frequency is True
    assert field_comparison("state", "category").comparator == "exact"


def test_unknown_kind_is_refused_with_the_known_ones() -> None:
    with pytest.raises(DedupError, match=r"field 'tel': unknown kind 'telephone'.*'phone'"):
        field_comparison("tel", "telephone")


def test_parse_fields_forms() -> None:
    assert parse_fields(["a", "b:phone", {"c": "date"}]) == [
        ("a", None),
        ("b", "phone"),
        ("c", "date"),
    ]
    with pytest.raises(DedupError, match="at least one field"):
        parse_fields([])


def _people(n: int = 400) -> tuple[pd.DataFrame, pd.Series]:
    planted = planted_customers(n, seed=3)
    return planted.records, planted.truth


def test_auto_config_reports_kinds_rules_and_counts() -> None:
    records, _ = _people()
    auto = auto_matching_config(
        records,
        ["first_name", "last_name", "birth_date", "email", "phone:phone", "city"],
        id_column="record_id",
    )
    kinds = {f.column: (f.kind, f.source) for f in auto.fields}
    assert kinds["phone"] == ("phone", "given")
    assert kinds["birth_date"] == ("date", "column name")
    assert auto.config.method == "fellegi_sunter" and auto.config.threshold == 0.9
    assert auto.config.em.u_from_random_pairs and auto.config.em.prior_over_all_pairs
    # first and last name compared crosswise too
    assert auto.config.fields[0].swap_with == "last_name"
    labels = [c.rule for c in auto.blocking]
    assert labels[:2] == ["nysiis(first_name)", "nysiis(last_name)"]
    assert "sorted(first_name+last_name, window=5)" in labels
    assert all(c.pairs > 0 for c in auto.blocking)
    text = str(auto)
    assert "birth_date: date (from column name) -> date" in text
    assert "blocking analysis on 400 records" in text


def test_too_wide_rule_is_tightened_or_dropped() -> None:
    """3,000 records, 20 pairs per record allowed (60,000): the city rule (over 60,000 pairs) is too
    wide: it is combined with another field or dropped, never kept alone."""
    records, _ = _people(3000)
    auto = auto_matching_config(
        records, ["first_name", "last_name", "city"], id_column="record_id", wide_factor=20.0
    )
    rules = [c.rule for c in auto.blocking]
    assert "city" not in rules
    assert all(c.pairs <= 60_000 for c in auto.blocking if not c.rule.startswith("sorted"))
    assert any(c.rule == "city" and c.warning.startswith("too_wide") for c in auto.dropped) or any(
        r.startswith("city+") for r in rules
    )


def test_find_duplicates_auto_puts_the_report_in_the_stats() -> None:
    records, truth = _people(1000)
    result, auto = find_duplicates_auto(
        records,
        ["first_name", "last_name", "birth_date", "email", "phone", "city", "postal_code"],
        id_column="record_id",
    )
    report = result.stats["auto_config"]
    assert [f["column"] for f in report["fields"]][:2] == ["first_name", "last_name"]
    assert report["blocking"][0]["pairs"] == auto.blocking[0].pairs
    metrics = pairwise_metrics(result.clusters, truth)
    assert metrics["precision"] >= 0.95 and metrics["recall"] >= 0.9


def test_unknown_field_names_the_columns() -> None:
    records, _ = _people(50)
    with pytest.raises(DedupError, match="field 'nope' is not a column"):
        auto_matching_config(records, ["nope"], id_column="record_id")


def test_linkage_counts_only_cross_source_pairs() -> None:
    """Three 'martin' in source a and two in b: 3 x 2 = 6 cross-source pairs, not 10."""
    records = pd.DataFrame(
        {
            "surname": ["martin"] * 5 + ["durand", "petit"],
            "dob": ["1990-01-0" + str(i) for i in range(1, 8)],
            "source": ["a", "a", "a", "b", "b", "a", "b"],
        },
        index=[f"r{i}" for i in range(7)],
    )
    auto = auto_matching_config(records, ["surname", "dob"], link_column="source")
    counts = {c.rule: c.pairs for c in auto.blocking}
    assert counts["nysiis(surname)"] == 6
    assert auto.config.link_column == "source"
    assert "dob" not in counts  # seven distinct dates: no pair, dropped
    assert [c.rule for c in auto.dropped] == ["dob"]


def test_the_same_key_set_is_kept_once() -> None:
    """800 records, 2 cities x 4 dates: city (159,600 pairs) and birth_date (79,600) are both
    over the 50,000-pair budget and both tighten to city + birth_date (39,600): kept once."""
    rows = [{"city": c, "birth_date": f"19{y}0-01-01"} for c in ("lyon", "paris") for y in range(4)]
    records = pd.DataFrame(rows * 100, index=[f"r{i:03d}" for i in range(800)])
    records["email"] = [f"p{i}@x.org" for i in range(800)]
    auto = auto_matching_config(records, ["city", "birth_date", "email"])
    assert [(c.rule, c.pairs) for c in auto.blocking] == [("city+birth_date", 39_600)]
    assert {c.rule: c.pairs for c in auto.dropped} == {"email": 0}


def test_a_date_word_in_the_name_needs_dates_in_the_values() -> None:
    places = pd.Series(["devon", "bristol", "london", None])
    assert infer_kind("birth_place", places) == ("city", "column name")
    assert infer_kind("birth_date", pd.Series(["1856-06-18", "1630-08-01"])) == (
        "date",
        "column name",
    )
    # exactly half of the values dates: still a date; below half: the values decide
    assert infer_kind("born", pd.Series(["1856-06-18", "x", "1630-08-01", "y"]))[0] == "date"
    assert infer_kind("born", pd.Series(["1856-06-18", "x", "y"])) == ("category", "values")


def _phones_table(near_pairs: int) -> pd.DataFrame:
    """40 records: phones 0102030400 + i (distinct) and a name each; ``near_pairs`` records share
    the first 8 digits with another one two edits away."""
    phones = [f"01{i:02d}{i:02d}{i:02d}00" for i in range(40)]
    for i in range(near_pairs):  # record 20 + i: two edits from record i (last two digits)
        phones[20 + i] = phones[i][:-2] + "99"
    return pd.DataFrame(
        {
            "record_id": [f"r{i:02d}" for i in range(40)],
            "name": [f"n{i}" for i in range(40)],
            "phone": phones,
        }
    )


def test_phone_near_level_dropped_where_random_pairs_are_near() -> None:
    """The phone's near level (two edits) stays when random pairs are seldom near (no near pair:
    levels 1, 0.85, 0.7) and is merged into disagreement when they are near at least half as
    often as equal and at least 10 times (20 near pairs, 0 equal: levels 1, 0.85)."""
    from cible.identity.auto_config import (
        NEIGHBOUR_MIN_PAIRS,
        NEIGHBOUR_SHARE,
        choose_fields,
        without_neighbour_levels,
    )
    from cible.identity.prepare import prepare

    assert (NEIGHBOUR_MIN_PAIRS, NEIGHBOUR_SHARE) == (10, 0.5)
    for near, expected in ((0, [1.0, 0.85, 0.7]), (20, [1.0, 0.85])):
        records = _phones_table(near)
        choices = choose_fields(records, ["name", "phone"])
        comparisons = [field_comparison(c.column, c.kind) for c in choices]
        probe = MatchingConfig(
            id_column="record_id",
            fields=comparisons,
            blocking=[BlockingRule(keys=[BlockingKey(column="phone")])],
            em={"random_pairs": 1000},
        )
        fields, picked = without_neighbour_levels(
            prepare(records, probe), probe, comparisons, choices
        )
        assert fields[1].cut_offs == tuple(expected), near
        assert list(picked[1].levels) == expected
        assert fields[0] == comparisons[0]  # a name keeps its levels
