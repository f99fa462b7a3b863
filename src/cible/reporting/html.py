"""The self-contained HTML report: one file, readable offline, plotly.js embedded once.

:func:`render_report` turns a segmentation result and the ingestion summaries into display rows
(formatting only, no statistics) and renders ``templates/report.html.j2`` with autoescaping on.
The only unescaped inserts are the plotly.js bundle and the chart ``<div>``s plotly generates
(plotly escapes ``<``, ``>`` and ``/`` in the data it embeds).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from cible.quality.results import QualityReport
from cible.reporting import charts
from cible.reporting.forward import ForwardSection
from cible.reporting.narrative import choice_text, fmt_number, report_warnings
from cible.reporting.quality import COLUMN_HEADERS, quality_section
from cible.reporting.render import chart_div, template_environment
from cible.reporting.science import SELECTION_HEADERS, science_sections
from cible.segmentation.segmentation_result import SegmentationResult

TEMPLATE_NAME = "report.html.j2"
INGEST_KEYS: tuple[str, ...] = (
    "name",
    "kind",
    "path",
    "read",
    "accepted",
    "quarantined",
    "inserted",
    "already_present",
)
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
_PERCENT_FEATURES = frozenset({"refund_rate"})


@dataclass(frozen=True)
class IngestRow:
    """One source of the ingestion table, numbers already formatted."""

    name: str
    kind: str
    path: str
    read: str
    accepted: str
    quarantined: str
    inserted: str
    already_present: str
    balanced: bool
    by_rule: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        """The file's name; the full path goes in the cell's tooltip."""
        return Path(self.path).name


@dataclass(frozen=True)
class Table:
    """A plain table: headers and rows of display strings (the first cell may be a colour)."""

    headers: list[str]
    rows: list[list[str]]
    colors: list[str]


def render_report(
    path: Path,
    *,
    segmentation: SegmentationResult,
    ingest: list[dict[str, object]],
    meta: dict[str, str],
    identity: Mapping[str, Any] | None = None,
    quality: QualityReport | None = None,
    forward: ForwardSection | None = None,
) -> Path:
    """Write the report to ``path`` (parents created) and return ``path``.

    ``ingest`` holds one summary per source with the keys of :data:`INGEST_KEYS` plus
    ``quarantine_by_rule`` (rule -> rows). ``meta`` is shown in the header: ``project``,
    ``as_of`` and ``generated_at`` in particular; any other key is listed too. ``quality`` adds
    the data-quality section (:mod:`cible.reporting.quality`), ``identity`` the duplicate-customer
    summary (``dedup.json``), ``forward`` the held-out-period section
    (:mod:`cible.reporting.forward`).
    """
    path = Path(path)
    html = render_report_html(
        segmentation=segmentation,
        ingest=ingest,
        meta=meta,
        identity=identity,
        quality=quality,
        forward=forward,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def render_report_html(
    *,
    segmentation: SegmentationResult,
    ingest: list[dict[str, object]],
    meta: dict[str, str],
    identity: Mapping[str, Any] | None = None,
    quality: QualityReport | None = None,
    forward: ForwardSection | None = None,
) -> str:
    """The report as an HTML string (see :func:`render_report`)."""
    env = template_environment()
    r = segmentation
    palette = charts.SegmentPalette.of(r)
    figures = {
        "sizes": charts.sizes_figure(r, palette),
        "lifts": charts.lift_heatmap_figure(r),
        "map": charts.pca_map_figure(r, palette),
        "elbow": charts.elbow_figure(r),
        "silhouette": charts.silhouette_figure(r),
    }
    return env.get_template(TEMPLATE_NAME).render(
        title=str(meta.get("project", "cible")),
        plotly_js=Markup(get_plotlyjs()),
        summary=summary_items(r, meta),
        ingest_rows=[_ingest_row(i, item) for i, item in enumerate(ingest)],
        profile_table=profile_table(r, palette),
        charts={key: chart_div(key, fig) for key, fig in figures.items()},
        chosen_k=r.chosen_k,
        silhouette=_fmt_float(r.silhouette, 3),
        features=", ".join(charts.feature_label(f) for f in r.feature_names),
        science=science_sections(r, chart_div, palette),
        choice=choice_text(r.science.selection) if r.science is not None else _plain_choice(r),
        report_warnings=report_warnings(r, quality, forward),
        selection_headers=SELECTION_HEADERS,
        identity=_identity_rows(identity),
        quality=None if quality is None else quality_section(quality),
        column_headers=COLUMN_HEADERS,
        forward=forward,
    )


def _plain_choice(r: SegmentationResult) -> str:
    return f"{r.algorithm} with {r.chosen_k} segments was chosen (silhouette {_fmt_float(r.silhouette, 3)})."


def _identity_rows(identity: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The duplicate-customer summary (``dedup.json``) as label/value rows."""
    if not identity:
        return []
    rows = [
        ("Customer records", "records"),
        ("Customers after merging", "entities"),
        ("Customers with merged records", "merged_entities"),
        ("Records merged away", "records_merged_away"),
        ("Largest group of records", "largest_entity"),
        ("Candidate pairs compared", "candidate_pairs"),
        ("Pairs matched (exact keys)", "exact_pairs"),
        ("Pairs matched (all)", "matching_pairs"),
        ("Events re-keyed to the surviving customer", "events_rekeyed"),
    ]
    out = [(label, f"{identity[key]:,}") for label, key in rows if key in identity]
    if "threshold" in identity:
        out.append(("Match threshold", _fmt_float(float(identity["threshold"]), 2)))
    return out


def summary_items(r: SegmentationResult, meta: Mapping[str, str]) -> list[tuple[str, str]]:
    """The header of the report (and of the notebook view): ``meta``, then the headline figures."""
    items = [
        ("Project", str(meta.get("project", "cible"))),
        ("Data as of", str(meta.get("as_of", "–"))),
        ("Generated at", str(meta.get("generated_at", "–"))),
    ]
    known = {"project", "as_of", "generated_at"}
    items += [(k.replace("_", " ").capitalize(), str(v)) for k, v in meta.items() if k not in known]
    items += [
        ("Customers", _fmt_int(r.n_customers)),
        ("Customers segmented", _fmt_int(r.n_segmented)),
        ("Prospects (no purchase yet)", _fmt_int(r.n_prospects)),
        ("Chosen k", str(r.chosen_k)),
        ("Silhouette", _fmt_float(r.silhouette, 3)),
    ]
    return items


def _warnings(value: object) -> list[str]:
    """The messages of a source's failed-value warnings (``SourceSummary.warnings``)."""
    if not isinstance(value, list):
        return []
    return [str(w["message"]) for w in value if isinstance(w, Mapping) and "message" in w]


def _ingest_row(position: int, item: Mapping[str, object]) -> IngestRow:
    missing = [k for k in INGEST_KEYS if k not in item]
    if missing:
        raise ValueError(f"ingest summary #{position + 1} lacks key(s) {missing}")
    counts = {k: _as_int(item[k], k, position) for k in INGEST_KEYS[3:]}
    rules = item.get("quarantine_by_rule") or {}
    if not isinstance(rules, Mapping):
        raise ValueError(
            f"ingest summary #{position + 1}: quarantine_by_rule must be a mapping rule -> rows"
        )
    by_rule = sorted(
        (
            (str(rule), _as_int(n, f"quarantine_by_rule[{rule}]", position))
            for rule, n in rules.items()
        ),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return IngestRow(
        name=str(item["name"]),
        kind=str(item["kind"]),
        path=str(item["path"]),
        balanced=counts["read"] == counts["accepted"] + counts["quarantined"],
        by_rule=[(rule, _fmt_int(n)) for rule, n in by_rule],
        warnings=_warnings(item.get("warnings")),
        **{k: _fmt_int(v) for k, v in counts.items()},
    )


def profile_table(r: SegmentationResult, palette: charts.SegmentPalette) -> Table:
    """The segment profiles section: one row per segment, its colour, name, size and means."""
    features = charts.profile_features(r)
    headers = ["Segment", "Name", "Customers", "Share"]
    headers += [charts.feature_label(f) for f in features]
    categories = _category_share_columns(r.profiles)
    headers += [f"{feature} (main)" for feature in categories]
    rows: list[list[str]] = []
    colors: list[str] = []
    for _, p in r.profiles.iterrows():
        seg_id = int(p["segment_id"])
        cells = [str(seg_id), str(p["segment_name"]), _fmt_int(int(p["size"]))]
        cells.append(_fmt_pct(p["share"]))
        cells += [_fmt_feature(f, p[f"{f}_mean"]) for f in features]
        cells += [_main_category(p, columns) for columns in categories.values()]
        rows.append(cells)
        colors.append(palette.color(seg_id))
    return Table(headers=headers, rows=rows, colors=colors)


def _category_share_columns(profiles: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Categorical feature -> {value: its ``<feature>=<value>_share`` profile column}."""
    out: dict[str, dict[str, str]] = {}
    for column in map(str, profiles.columns):
        feature, is_share, value = column.removesuffix("_share").partition("=")
        if is_share and column.endswith("_share"):
            out.setdefault(feature, {})[value] = column
    return out


def _main_category(row: pd.Series, columns: dict[str, str]) -> str:
    """The value most held in the segment, with its share ("GB 89.2%"); "" when none is."""
    shares = {v: float(row[c]) for v, c in columns.items() if pd.notna(row[c])}
    if not shares or max(shares.values()) <= 0:
        return ""
    value = max(shares, key=lambda v: (shares[v], v))
    return f"{value} {_fmt_pct(shares[value])}"


def _as_int(value: object, key: str, position: int) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(f"ingest summary #{position + 1}: '{key}' must be a count, got {value!r}")


def _fmt_int(value: int) -> str:
    return f"{value:,}"


def _fmt_float(value: object, digits: int) -> str:
    return fmt_number(value, digits)


def _fmt_pct(value: object) -> str:
    number = _to_float(value)
    return "–" if math.isnan(number) else f"{number:.1%}"


def _fmt_feature(feature: str, value: object) -> str:
    if feature in _PERCENT_FEATURES:
        return _fmt_pct(value)
    return fmt_number(_to_float(value))


def _to_float(value: object) -> float:
    return float(value) if isinstance(value, numbers.Real) else math.nan
