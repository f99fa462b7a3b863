"""Comparators: specific similarities on hand-made values."""

from __future__ import annotations

import numpy as np
import pytest

from cible.identity import FieldComparison
from cible.identity.compare import compare_field
from cible.identity.prepare import Prepared


def similarities(left: list[str | None], right: list[str | None], **field: object) -> list[float]:
    values = np.array([*left, *right], dtype=object)
    prepared = Prepared(ids=np.arange(len(values)).astype(object), values={"v": values})
    n = len(left)
    spec = FieldComparison.model_validate({"column": "v", **field})
    sims = compare_field(prepared, spec, np.arange(n), np.arange(n, 2 * n))
    return [round(float(s), 4) for s in sims]


def test_exact() -> None:
    assert similarities(["a", "a"], ["a", "b"], comparator="exact") == [1.0, 0.0]
    sims = similarities(["a", None], ["a", "a"], comparator="exact")
    assert sims[0] == 1.0 and np.isnan(sims[1])


def test_string_comparators() -> None:
    assert similarities(["martha", "kitten"], ["marhta", "sitting"], comparator="jaro_winkler") == [
        0.9611,
        0.7460,
    ]
    assert similarities(["kitten", "abc"], ["sitting", "abc"], comparator="levenshtein") == [
        0.5714,
        1.0,
    ]
    # a swap of adjacent letters is one edit for Damerau-Levenshtein, two for Levenshtein
    assert similarities(["martha"], ["marhta"], comparator="damerau_levenshtein") == [0.8333]
    assert similarities(["martha"], ["marhta"], comparator="levenshtein") == [0.6667]
    assert similarities(["rue de la paix"], ["la paix rue"], comparator="token_set") == [1.0]


def test_repeated_value_pairs_are_computed_once_but_returned_everywhere() -> None:
    sims = similarities(
        ["ab", "ab", "ab", None], ["ab", "ac", "ab", "ab"], comparator="levenshtein"
    )
    assert sims[:3] == [1.0, 0.5, 1.0]
    assert np.isnan(sims[3])


def test_date_levels() -> None:
    left = ["1980-03-12", "1980-03-12", "1980-03-12", "1980-03-12", "1980-03-12", "1980-03-12"]
    right = ["1980-03-12", "1980-12-03", "1980-03-13", "1980-03-21", "1981-03-13", "1999-09-09"]
    assert similarities(left, right, comparator="date") == [1.0, 0.9, 0.8, 0.8, 0.6, 0.0]


def test_date_falls_back_to_exact_text() -> None:
    assert similarities(
        ["1980", "1980", "1980-03-12"], ["1980", "1981", "n/a"], comparator="date"
    ) == [
        1.0,
        0.0,
        0.0,
    ]


def test_numeric() -> None:
    assert similarities(["100", "0", "10"], ["90", "0", "x"], comparator="numeric")[:2] == [
        0.9,
        1.0,
    ]
    assert np.isnan(similarities(["10"], ["x"], comparator="numeric")[0])
    assert similarities(["100", "100"], ["97", "120"], comparator="numeric", scale=10) == [0.7, 0.0]


@pytest.mark.parametrize(
    ("code", "left", "right", "expected"),
    [
        ("soundex", "robert", "rupert", 1.0),
        ("metaphone", "smith", "smyth", 1.0),
        ("nysiis", "smith", "jones", 0.0),
    ],
)
def test_phonetic(code: str, left: str, right: str, expected: float) -> None:
    assert similarities([left], [right], comparator="phonetic", phonetic=code) == [expected]


def test_postcode_levels_follow_the_nesting_of_the_code() -> None:
    left = ["TQ138DF", "TQ138DF", "TQ138DF", "TQ138DF", "TQ138DF", "TQ138DF", "75011", None]
    right = ["TQ138DF", "TQ1W8DF", "TQ138HU", "TQ121AB", "TQ3", "BS20EL", "75012", "75011"]
    sims = similarities(left, right, comparator="postcode")
    # equal; one typo; same sector (5 of 7 characters); 3 of 7; same area (2 of 7); different;
    # one typo in a 5-digit code; a side missing
    assert sims[:7] == [1.0, 0.9, 0.5714, 0.3429, 0.2286, 0.0, 0.9]
    assert np.isnan(sims[7])
    # the default cut-offs put those in levels 0, 1, 2, 4, 4, 5 and 1
    levels = FieldComparison(column="v", comparator="postcode").cut_offs
    assert levels == (1.0, 0.9, 0.55, 0.4, 0.2)
    assert [sum(s < cut for cut in levels) for s in sims[:7]] == [0, 1, 2, 4, 4, 5, 1]


def test_name_words_rescues_a_word_more_less_or_moved() -> None:
    """A word added, dropped or moved is 0.9 (the token-set ratio is 1.0, scaled by 0.9): the
    fuzzy level of names (0.85 to 0.92), below one typo; otherwise plain Jaro-Winkler."""
    from cible.identity.compare import WORD_SET_SCALE

    assert WORD_SET_SCALE == 0.9
    sims = similarities(
        ["katsu", "hotel bel air", "lulu", "martha", "martin"],
        ["restaurant katsu", "bel air hotel", "lulu restaurant bis cafe", "marhta", "martin"],
        comparator="name_words",
    )
    assert sims == [0.9, 0.9, 0.9, 0.9611, 1.0]
    plain = similarities(
        ["katsu", "hotel bel air"], ["restaurant katsu", "bel air hotel"], comparator="jaro_winkler"
    )
    assert plain == [0.6, 0.5855]
    # two different names sharing one word stay apart: Jaro-Winkler 0.6774 beats 0.9 x 0.64
    assert similarities(["palace court"], ["empress court"], comparator="name_words") == [0.6774]
    missing = similarities([None], ["katsu"], comparator="name_words")
    assert np.isnan(missing[0])


def test_phone_levels_of_the_two_formats_a_typo_and_a_neighbour() -> None:
    """phone_tail digits, Damerau-Levenshtein, levels (1.0, 0.85, 0.7): the two formats of one
    number agree exactly, one typo is level 1 (0.889 on 9 digits, 0.857 on 7), two edits level 2
    (0.778: a neighbouring line of one switchboard looks the same), three edits disagree."""
    from cible.identity.field_kinds import field_comparison
    from cible.identity.prepare import standardizer
    from cible.identity.scoring import to_levels

    tail = standardizer("phone_tail")
    raw_l = ["310/246-1501", "310/246-1501", "702/891-7349", "555-1234", "702/731-7547"]
    raw_r = ["310-246-1501", "310-246-1510", "702-891-7374", "555-1243", "702-731-7110"]
    left = [tail(v) for v in raw_l]
    right = [tail(v) for v in raw_r]
    assert left[0] == right[0] == "102461501"
    phone = field_comparison("v", "phone")
    sims = similarities(left, right, **phone.model_dump(exclude={"column"}))
    assert sims == [1.0, 0.8889, 0.7778, 0.8571, 0.6667]
    levels = to_levels({phone.label: np.array(sims)}, [phone])
    assert levels[:, 0].tolist() == [0, 1, 2, 1, 3]
