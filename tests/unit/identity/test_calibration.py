"""Review sample export and threshold calibration, with hand-computed values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cible.exceptions import IdentityResolutionError, ReviewFileError
from cible.identity import calibrate, export_review_sample
from tests.unit.identity.frames import customers, pairs

# P = 4 positives. Best F1 = 8/9 (tp 4, fp 1) for t in (0.5, 0.6].
SCORES = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
LABELS = [1, 1, 1, 0, 1, 0, 0, 0]


def _labelled(scores: list[float], labels: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"record_id_l": "x", "score": scores, "label": labels})


def test_metrics_on_the_grid_and_the_suggestion() -> None:
    report = calibrate(_labelled(SCORES, LABELS))
    assert (report.n_rows, report.n_labelled, report.n_unlabelled) == (8, 8, 0)
    assert (report.n_positive, report.n_negative) == (4, 4)
    assert len(report.grid) == 101
    grid = report.grid.set_index("threshold")
    assert grid.loc[0.55, ["tp", "fp", "fn", "tn"]].tolist() == [4, 1, 0, 3]
    assert grid.loc[0.55, "precision"] == pytest.approx(0.8)
    assert grid.loc[0.55, "recall"] == pytest.approx(1.0)
    assert grid.loc[0.55, "f1"] == pytest.approx(8 / 9)
    assert grid.loc[0.75, ["precision", "recall", "f1"]].tolist() == pytest.approx(
        [1.0, 0.75, 6 / 7]
    )
    assert grid.loc[0.65, "f1"] == pytest.approx(0.75)
    assert pd.isna(grid.loc[1.0, "precision"]) and grid.loc[1.0, "f1"] == 0.0
    # plateau 0.51..0.60 (10 grid points) -> its middle
    assert report.suggested_threshold == pytest.approx(0.55)
    assert report.score_range == (0.3, 0.95)


def test_f1_ties_go_to_the_higher_precision() -> None:
    """F1 = 2/3 both for t in (0.6, 0.85] (precision 1) and for t in (0.3, 0.4] (precision .5)."""
    scores = [0.9, 0.85, 0.6, 0.55, 0.5, 0.45, 0.42, 0.4, 0.3]
    labels = [1, 1, 0, 0, 0, 1, 0, 1, 0]
    report = calibrate(_labelled(scores, labels))
    grid = report.grid.set_index("threshold")
    assert grid.loc[0.35, "f1"] == pytest.approx(2 / 3) and grid.loc[0.35, "precision"] == 0.5
    assert grid.loc[0.7, "f1"] == pytest.approx(2 / 3) and grid.loc[0.7, "precision"] == 1.0
    assert report.suggested_threshold == pytest.approx(0.73)  # middle of 0.61..0.85


def test_to_dict_is_json_ready_and_reports_the_current_threshold() -> None:
    report = calibrate(_labelled(SCORES, LABELS), current_threshold=0.75)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["suggested_threshold"] == pytest.approx(0.55)
    assert data["at_suggested"]["f1"] == pytest.approx(8 / 9)
    assert data["at_current"] == {
        "threshold": 0.75,
        "tp": 3,
        "fp": 0,
        "fn": 1,
        "tn": 4,
        "precision": 1.0,
        "recall": 0.75,
        "f1": pytest.approx(6 / 7),
    }
    assert data["grid"][-1]["precision"] is None
    assert "relative to the pairs labelled 1" in data["note"]
    assert (data["labelled"], data["positive"]) == (8, 4)


def test_a_custom_grid() -> None:
    report = calibrate(_labelled(SCORES, LABELS), thresholds=[0.5, 0.65, 0.85])
    assert report.grid["threshold"].tolist() == [0.5, 0.65, 0.85]
    assert report.grid["f1"].tolist() == pytest.approx([0.8, 0.75, 2 / 3])
    assert report.grid["precision"].tolist() == pytest.approx([2 / 3, 0.75, 1.0])
    assert report.suggested_threshold == 0.5


def test_unlabelled_rows_are_ignored_and_counted() -> None:
    report = calibrate(_labelled([*SCORES, 0.99, 0.1], [*LABELS, None, ""]))
    assert (report.n_rows, report.n_labelled, report.n_unlabelled) == (10, 8, 2)
    assert report.suggested_threshold == pytest.approx(0.55)


def test_no_positive_label_gives_no_suggestion() -> None:
    report = calibrate(_labelled([0.9, 0.2], [0, 0]))
    assert report.suggested_threshold is None
    assert report.grid["recall"].isna().all()
    assert report.to_dict()["at_suggested"] is None


def test_labels_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "reviewed.csv"
    path.write_text(
        "record_id_l,record_id_r,score,label\n"
        "a,b,0.9,1\nc,d,0.8, 1 \ne,f,0.7,0\ng,h,0.6,1.0\ni,j,0.5,\n",
        encoding="utf-8",
    )
    report = calibrate(path)
    assert report.source == "reviewed.csv"
    assert (report.n_labelled, report.n_unlabelled, report.n_positive) == (4, 1, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("score,label\n0.9,1\n0.8,yes\n", r"reviewed.csv line 3: label 'yes' is not 0 or 1"),
        ("score,label\n0.9,2\n", r"line 2: label '2' is not 0 or 1"),
        ("score,label\n0.9,1\nhigh,0\n", r"line 3: score 'high' is not a number in \[0, 1\]"),
        ("score,label\n1.2,1\n", r"line 2: score '1.2'"),
        ("score,verdict\n0.9,1\n", r"no column\(s\) \['label'\]"),
        ("score,label\n0.9,\n0.8,\n", "none of its 2 rows is labelled"),
    ],
)
def test_bad_review_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "reviewed.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReviewFileError, match=message):
        calibrate(path)


def test_bad_frames_name_the_row(tmp_path: Path) -> None:
    with pytest.raises(ReviewFileError, match="reviewed sample row 1: label 'maybe'"):
        calibrate(_labelled([0.9, 0.8], [1, "maybe"]))
    with pytest.raises(ReviewFileError, match="does not exist"):
        calibrate(tmp_path / "missing.csv")


# -- export ----------------------------------------------------------------------------------


def _records() -> pd.DataFrame:
    return customers(
        [
            {
                "customer_id": f"R{i}",
                "source": "crm" if i % 2 else "web",
                "email": f"p{i}@example.org",
                "last_name": f"Name{i}",
            }
            for i in range(6)
        ]
    )


def _scored() -> pd.DataFrame:
    scores = [0.05, 0.35, 0.45, 0.55, 0.65, 0.95]
    return pairs(*((f"R{i}", f"R{(i + 1) % 6}", s, s > 0.5) for i, s in enumerate(scores)))


def test_export_writes_the_band_side_by_side(tmp_path: Path) -> None:
    path = export_review_sample(_scored(), _records(), tmp_path / "review.csv", band=(0.3, 0.7))
    sample = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(sample.columns) == [
        "record_id_l",
        "record_id_r",
        "score",
        "rule",
        "stratum",
        "weight",
        "source_l",
        "source_r",
        "email_l",
        "email_r",
        "last_name_l",
        "last_name_r",
        "label",
    ]
    assert sorted(sample["score"].astype(float)) == [0.35, 0.45, 0.55, 0.65]
    assert (sample["label"] == "").all()
    assert (sample["weight"].astype(float) == 1.0).all()  # the whole band is sampled
    row = sample.set_index("record_id_l").loc["R2"]
    assert row[["record_id_r", "email_l", "email_r", "source_l", "source_r"]].tolist() == [
        "R3",
        "p2@example.org",
        "p3@example.org",
        "web",
        "crm",
    ]


def test_export_samples_reproducibly_around_the_threshold(tmp_path: Path) -> None:
    first = export_review_sample(
        _scored(), _records(), tmp_path / "a.csv", threshold=0.5, width=0.1, n=1, seed=3
    )
    again = export_review_sample(
        _scored(), _records(), tmp_path / "b.csv", threshold=0.5, width=0.1, n=1, seed=3
    )
    assert first.read_text(encoding="utf-8-sig") == again.read_text(encoding="utf-8-sig")
    picked = pd.read_csv(first)
    assert len(picked) == 1 and picked["score"].iloc[0] in (0.45, 0.55)
    everything = export_review_sample(
        _scored(), _records(), tmp_path / "c.csv", threshold=0.5, width=0.1, n=10
    )
    assert sorted(pd.read_csv(everything)["score"]) == [0.45, 0.55]


def test_export_then_calibrate_round_trip(tmp_path: Path) -> None:
    path = export_review_sample(_scored(), _records(), tmp_path / "r.csv", band=(0.0, 1.0))
    sample = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    sample["label"] = (sample["score"].astype(float) > 0.5).astype(int).astype(str)
    sample.to_csv(path, index=False)
    report = calibrate(path)
    assert report.n_labelled == 6 and report.grid.set_index("threshold").loc[0.5, "f1"] == 1.0
    assert report.suggested_threshold == pytest.approx(0.5)  # middle of the plateau 0.46..0.55


def test_export_with_chosen_fields(tmp_path: Path) -> None:
    path = export_review_sample(
        _scored(), _records(), tmp_path / "f.csv", band=(0.0, 1.0), fields=["last_name"]
    )
    columns = list(pd.read_csv(path).columns)
    assert columns[6:] == ["source_l", "source_r", "last_name_l", "last_name_r", "label"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give either band"),
        ({"band": (0.2, 0.4), "threshold": 0.5}, "not both"),
        ({"band": (0.6, 0.4)}, r"0 <= low <= high <= 1, got \(0.6, 0.4\)"),
        ({"threshold": 1.5}, r"threshold must be in \[0, 1\]"),
        ({"band": (0.7, 0.9)}, r"no candidate pair has a score in \[0.700, 0.900\]"),
        ({"band": (0.0, 1.0), "fields": ["nickname"]}, r"\['nickname'\] are not columns"),
        ({"band": (0.0, 1.0), "n": 0}, "n must be at least 1"),
    ],
)
def test_bad_export_requests(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(IdentityResolutionError, match=message):
        export_review_sample(_scored(), _records(), tmp_path / "x.csv", **kwargs)  # type: ignore[arg-type]


def test_export_refuses_unknown_records(tmp_path: Path) -> None:
    with pytest.raises(IdentityResolutionError, match=r"absent from the records, e\.g\. 'R9'"):
        export_review_sample(
            pairs(("R1", "R9", 0.5, False)), _records(), tmp_path / "x.csv", band=(0, 1)
        )


# -- stratified sample ------------------------------------------------------------------------


def test_score_bins_put_a_score_on_a_bin_edge_in_the_upper_bin() -> None:
    from cible.identity.review import score_bins

    assert score_bins(np.array([0.0, 0.0999, 0.1, 0.5, 0.9999, 1.0]), 10).tolist() == [
        0,
        0,
        1,
        5,
        9,
        9,
    ]


def test_allocation_shares_what_small_bins_cannot_give() -> None:
    from cible.identity.review import allocate

    assert allocate(np.array([1, 10, 10, 0]), 9).tolist() == [1, 4, 4, 0]
    assert allocate(np.array([1, 10, 10, 0]), 8).tolist() == [1, 4, 3, 0]
    assert allocate(np.array([2, 2]), 10).tolist() == [2, 2]  # everything, no more


def test_stratified_export_covers_the_whole_range_with_weights(tmp_path: Path) -> None:
    scores = [0.01, 0.02, 0.03, 0.04, 0.15, 0.55, 0.56, 0.95]
    scored = pairs(*((f"R{i % 6}", f"R{(i + 1) % 6}", s, s > 0.5) for i, s in enumerate(scores)))
    path = export_review_sample(scored, _records(), tmp_path / "s.csv", n=4, bins=10, seed=1)
    sample = pd.read_csv(path)
    assert sorted(sample["stratum"]) == [0, 1, 5, 9]  # one pair from each non-empty bin
    weights = dict(zip(sample["stratum"], sample["weight"], strict=True))
    assert weights == {0: 4.0, 1: 1.0, 5: 2.0, 9: 1.0}  # bin pairs / pairs drawn
    with pytest.raises(IdentityResolutionError, match="not both"):
        export_review_sample(scored, _records(), tmp_path / "x.csv", bins=10, threshold=0.5)
