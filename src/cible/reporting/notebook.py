"""The compact views of the Python API's results in a notebook (``_repr_html_``).

Each view is a ``<div>`` holding the sections of the matching HTML report that need no chart,
rendered from the same typed results by the same display-row builders
(:func:`cible.reporting.html.profile_table`, :func:`cible.reporting.predict.comparison_rows`...)
and, for the profiles, the model comparison and the top scores, the same template partials as the
reports. No plotly.js (the full report, :meth:`report`, has the charts); the styles are scoped to
``.cible-nb``. Formatting only: nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cible.predict.training_result import TrainingResult
from cible.reporting import charts
from cible.reporting import predict as predict_report
from cible.reporting.html import profile_table, summary_items
from cible.reporting.narrative import choice_text, fmt_number, report_warnings
from cible.reporting.render import template_environment
from cible.segmentation.segmentation_result import SegmentationResult

#: entities listed in the duplicate-records view (the largest first)
ENTITIES_SHOWN = 10
#: record ids listed per entity
IDS_SHOWN = 5
_DEDUP_ROWS = (
    ("Records", "records"),
    ("Entities after merging", "entities"),
    ("Entities with merged records", "merged_entities"),
    ("Records merged away", "records_merged_away"),
    ("Largest entity (records)", "largest_entity"),
    ("Candidate pairs compared", "candidate_pairs"),
    ("Pairs matched", "matching_pairs"),
)


def segment_view(segmentation: SegmentationResult, meta: Mapping[str, str]) -> str:
    """Summary, warnings, segment profiles and the choice of the segmentation report."""
    r = segmentation
    palette = charts.SegmentPalette.of(r)
    choice = choice_text(r.science.selection) if r.science is not None else ""
    return (
        template_environment()
        .get_template("notebook_segment.html.j2")
        .render(
            title=str(meta.get("project", "cible")),
            summary=summary_items(r, meta),
            report_warnings=report_warnings(r),
            profile_table=profile_table(r, palette),
            choice=choice
            or f"{r.algorithm} with {r.chosen_k} segments (silhouette {fmt_number(r.silhouette, 3)}).",
            features=", ".join(charts.feature_label(f) for f in r.feature_names),
        )
    )


def predict_view(
    training: TrainingResult,
    meta: Mapping[str, str],
    scores: pd.DataFrame,
    score_name: str,
    warnings: tuple[str, ...] = (),
) -> str:
    """Summary, warnings, model comparison, deciles and top scores of the prediction report."""
    headers, top_rows = predict_report.top_customer_rows(scores, score_name)
    return (
        template_environment()
        .get_template("notebook_predict.html.j2")
        .render(
            title=str(meta.get("project", "cible")),
            summary=predict_report.summary_items(training, dict(meta), scores),
            warnings=list(warnings),
            comparison_headers=predict_report.COMPARISON_HEADERS,
            comparison_rows=predict_report.comparison_rows(training),
            chosen_row=[r.name for r in training.reports].index(training.best),
            scoring=training.scoring,
            class_weight=predict_report.class_weighting(training),
            best_label=training.report().label,
            decile_headers=predict_report.DECILE_HEADERS,
            decile_rows=predict_report.decile_rows(training),
            top_headers=headers,
            top_rows=top_rows,
        )
    )


def dedup_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The counts of ``dedup.json`` as label/value rows (the labels of ``cible dedup``)."""
    rows = [
        (label, f"{summary[key]:,}") for label, key in _DEDUP_ROWS if summary.get(key) is not None
    ]
    if "threshold" in summary:
        rows.append(("Match threshold", fmt_number(float(summary["threshold"]), 2)))
    return rows


def largest_entities(clusters: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The largest merged entities: id, records, their first record ids (ties: by entity id)."""
    sizes = clusters.groupby(clusters["entity_id"].astype(str))["record_id"].agg(list)
    merged = [(e, ids) for e, ids in sizes.items() if len(ids) > 1]
    merged.sort(key=lambda item: (-len(item[1]), item[0]))
    out = []
    for entity, ids in merged[:ENTITIES_SHOWN]:
        shown = ", ".join(str(i) for i in sorted(map(str, ids))[:IDS_SHOWN])
        more = f" (+{len(ids) - IDS_SHOWN})" if len(ids) > IDS_SHOWN else ""
        out.append((str(entity), f"{len(ids):,}", shown + more))
    return out


def dedup_view(summary: Mapping[str, Any], clusters: pd.DataFrame, title: str = "cible") -> str:
    """The counts of the resolution, the guards' findings and the largest entities."""
    return (
        template_environment()
        .get_template("notebook_dedup.html.j2")
        .render(
            title=title,
            rows=dedup_rows(summary),
            findings=[f["message"] for f in summary.get("guard_findings", [])],
            entities=largest_entities(clusters),
        )
    )


def profiles_view(profiles: pd.DataFrame, meta: Mapping[str, str]) -> str:
    """The segments of a run segmented in Spark (only their profiles reach the driver): id, name,
    size and share of each."""
    columns = (profiles[c].tolist() for c in ("segment_id", "segment_name", "size", "share"))
    rows = [
        [str(int(i)), str(name), f"{int(size):,}", f"{float(share):.1%}"]
        for i, name, size, share in zip(*columns, strict=True)
    ]
    return (
        template_environment()
        .get_template("notebook_profiles.html.j2")
        .render(title=str(meta.get("project", "cible")), meta=list(meta.items()), rows=rows)
    )
