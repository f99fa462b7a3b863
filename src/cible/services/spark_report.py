"""``report.html`` of a run segmented in Spark, from the aggregates on the driver only: the
sources' counts, the candidates of the selection and one row per segment."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

from cible.segmentation.spark_selection import SparkSegmentation
from cible.services.ingest import IngestSummary

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
    "table{border-collapse:collapse;margin:1rem 0}"
    "th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}"
    "th:first-child,td:first-child{text-align:left}.chosen{font-weight:bold}"
)
_PROFILE_FEATURES = ("recency_days", "frequency", "monetary", "avg_basket", "tenure_days")


def _num(value: object, digits: int = 3) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def _table(header: list[str], rows: Sequence[Sequence[object]], chosen: int | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        f"<tr{' class=chosen' if i == chosen else ''}>"
        + "".join(f"<td>{_num(v)}</td>" for v in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _candidate_rows(seg: SparkSegmentation) -> list[list[object]]:
    return [
        [
            c.candidate.name,
            c.n_segments,
            c.silhouette,
            c.davies_bouldin,
            c.largest_share,
            c.smallest_share,
            "yes" if c.passed else "no",
        ]
        for c in seg.selection.scores
    ]


def _profile_rows(seg: SparkSegmentation) -> tuple[list[str], list[list[object]]]:
    prof = seg.profiles
    feats = [f for f in _PROFILE_FEATURES if f"{f}_mean" in prof.columns]
    rows = [
        [int(r["segment_id"]), str(r["segment_name"]), int(r["size"]), float(r["share"])]
        + [float(r[f"{f}_mean"]) for f in feats]
        for _, r in prof.iterrows()
    ]
    return feats, rows


def render_spark_report(
    path: Path, seg: SparkSegmentation, ingest: IngestSummary, meta: dict[str, str]
) -> Path:
    """Write the report to ``path`` and return it."""
    src_rows: list[list[object]] = [
        [s.name, s.read, s.inserted, s.quarantined] for s in ingest.sources
    ]
    sel = seg.selection
    names = [c.candidate.name for c in sel.scores]
    cand_rows = _candidate_rows(seg)
    feats, prof_rows = _profile_rows(seg)
    skipped = (
        f"<p>Not fitted (no MLlib algorithm): {html.escape(', '.join(sel.skipped))}.</p>"
        if sel.skipped
        else ""
    )
    title = html.escape(f"{meta['project']}: segments at {meta['as_of']}")
    text = (
        f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>Segmented in Spark (MLlib): {html.escape(seg.algorithm)}, silhouette "
        f"{_num(seg.silhouette)} on a sample; {sel.rows:,} purchasing customers. Generated "
        f"{html.escape(meta['generated_at'])} by cible {html.escape(meta['cible_version'])}.</p>"
        "<h2>Sources</h2>"
        + _table(["source", "read", "inserted", "quarantined"], src_rows)
        + "<h2>Segments</h2>"
        + _table(["id", "segment", "customers", "share", *[f"mean {f}" for f in feats]], prof_rows)
        + "<h2>Selection</h2>"
        + skipped
        + _table(
            [
                "candidate",
                "segments",
                "silhouette",
                "Davies-Bouldin",
                "largest share",
                "smallest share",
                "passes the gates",
            ],
            cand_rows,
            names.index(seg.algorithm),
        )
        + "</body></html>"
    )
    path.write_text(text, encoding="utf-8")
    return path
