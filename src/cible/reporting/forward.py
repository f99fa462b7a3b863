"""The report section "Do the segments predict?": display rows from a forward comparison.

Formatting only (:class:`~cible.segmentation.forward.ForwardResult` holds the figures); rendered by
``templates/forward.html.j2`` inside the main report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from cible.segmentation.forward import ForwardResult, SegmentationForward, segment_rows

FORWARD_HEADERS = ("Segmentation", "Segments", "Purchase ROC AUC", "Revenue variance explained")
SEGMENT_HEADERS = ("Segment", "Customers", "Bought in the period", "Mean revenue")
CANDIDATE_HEADERS = ("Candidate (fitted before the cutoff)", "Segments", "Purchase ROC AUC")


@dataclass(frozen=True)
class ForwardSection:
    """What ``forward.html.j2`` shows; ``skipped`` alone when there was no measure."""

    skipped: str | None = None
    intro: str = ""
    verdict: str = ""
    note: str = ""
    rows: list[list[str]] = field(default_factory=list)
    segment_tables: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    candidate_rows: list[list[str]] = field(default_factory=list)
    headers: tuple[str, ...] = FORWARD_HEADERS
    segment_headers: tuple[str, ...] = SEGMENT_HEADERS
    candidate_headers: tuple[str, ...] = CANDIDATE_HEADERS


def forward_section(r: ForwardResult | None, skipped: str | None = None) -> ForwardSection:
    """The section of the comparison ``r``, or of the reason it was ``skipped``."""
    if r is None:
        return ForwardSection(skipped=skipped or "not measured")
    return ForwardSection(
        intro=(
            f"The last {r.holdout_days} days were held out: segments were fitted on the data "
            f"before {r.cutoff.isoformat()} and judged on {r.cutoff.isoformat()} .. "
            f"{r.as_of.isoformat()} (an order at the cutoff counts as next period). "
            f"{r.n_customers:,} customers bought before the cutoff; "
            f"{_pct(r.purchase_rate)} of them bought again in the period."
        ),
        verdict=_verdict(r),
        note=r.to_dict()["note"],
        rows=[_row(f"cible ({r.candidate})", r.cible), _row("RFM quintiles (R x F grid)", r.rfm)],
        segment_tables=[
            (f"cible: {r.candidate}", _segment_rows(r.cible)),
            ("RFM quintiles", _segment_rows(r.rfm)),
        ],
        candidate_rows=[
            [str(c["candidate"]), str(c["segments"]), _num(c["purchase_auc"], 3)]
            for c in r.candidates
        ],
    )


def _verdict(r: ForwardResult) -> str:
    c, b = r.cible, r.rfm
    if r.cible_wins:
        return (
            f"cible's {c.n_segments} segments predict next-period purchase better than the "
            f"{b.n_segments} RFM segments (ROC AUC {c.auc:.3f} against {b.auc:.3f})."
        )
    return (
        f"cible's {c.n_segments} segments do not predict next-period purchase better than the "
        f"{b.n_segments} RFM segments (ROC AUC {_num(c.auc, 3)} against {_num(b.auc, 3)})."
    )


def _row(label: str, m: SegmentationForward) -> list[str]:
    return [label, str(m.n_segments), _num(m.auc, 3), _pct(m.variance_explained)]


def _segment_rows(m: SegmentationForward) -> list[list[str]]:
    return [
        [str(seg), f"{n:,}", _pct(rate), _num(rev, 2)]
        for seg, n, rate, rev in segment_rows(m.segments)
    ]


def _num(x: object, digits: int) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "–"
    return f"{x:,.{digits}f}"


def _pct(x: object) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "–"
    return f"{100 * x:.1f}%"
