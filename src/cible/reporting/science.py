"""Report sections of the segmentation science: selection, validation, explanation, weights, maps.

Everything here is read from the typed results (:class:`~cible.segmentation.science.ScienceResult`
through :class:`~cible.segmentation.segmentation_result.SegmentationResult`); no statistic is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from cible.reporting import charts_algorithms as ca
from cible.reporting import charts_validation as cv
from cible.reporting.charts import SegmentPalette
from cible.reporting.narrative import (
    choice_text,
    fmt_number,
    gate_losers,
    noise_losers,
    rule_gaps,
)
from cible.segmentation.science import ScienceResult
from cible.segmentation.segmentation_result import SegmentationResult
from cible.segmentation.selection import SELECTION_RULE, SelectionResult
from cible.segmentation.validation.stability import StabilityResult
from cible.segmentation.weighting import WeightsResult

SELECTION_HEADERS = (
    "Candidate",
    "Segments",
    "Silhouette",
    "Davies-Bouldin",
    "Calinski-Harabasz",
    "Noise",
    "Largest",
    "Smallest",
    "Gates",
    "Seconds",
)


@dataclass(frozen=True)
class ScienceSections:
    charts: dict[str, Markup]
    selection_rows: list[list[str]]
    chosen_row: int
    selection_rule: str
    anova_headers: tuple[str, ...]
    anova_rows: list[list[str]]
    rules_headers: tuple[str, ...]
    rules_rows: list[list[str]]
    fidelity: str
    stability: str
    composition_rows: list[list[str]]
    weight_rows: list[list[str]]
    consistency: str
    sensitivity_rows: list[list[str]]
    warnings: list[str]
    pca_note: str
    notes: list[str]
    choice: str
    gate_losers: list[str]
    rule_gaps: list[str]
    rules_depth: int


def _f(x: Any, digits: int = 3) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    return fmt_number(v, digits)


def science_sections(
    r: SegmentationResult,
    chart_div: Callable[[str, go.Figure], Markup],
    palette: SegmentPalette | None = None,
) -> ScienceSections | None:
    """The science sections of the report; ``palette`` (default: built from ``r``) colours and
    orders the segments of every figure."""
    s = r.science
    if s is None:
        return None
    palette = palette or SegmentPalette.of(r)
    names = {raw: palette.name(sid) for raw, sid in r.label_map.items()}
    val, pca = s.validation, s.pca
    figs = _validation_figures(r, s, palette) | _algorithm_figures(r, s.selection)
    rows, chosen_row = _selection_rows(s.selection)
    return ScienceSections(
        charts={k: chart_div(k, f) for k, f in figs.items()},
        selection_rows=rows,
        chosen_row=chosen_row,
        selection_rule=SELECTION_RULE,
        anova_headers=cv.ANOVA_HEADERS,
        anova_rows=cv.anova_table_rows(val.anova, val.kruskal),
        rules_headers=cv.RULES_HEADERS,
        rules_rows=_rules_rows(s, names, palette),
        fidelity=f"{s.rules.fidelity:.1%}",
        stability=_stability_text(val.stability),
        composition_rows=[
            [c.column, _f(c.chi2, 1), str(c.dof), _f(c.p_value, 4), _f(c.cramers_v)]
            for c in val.composition.values()
        ],
        weight_rows=[
            [
                c,
                f"{v:.3f}",
                ", ".join(f for f, cc in s.weights.feature_criterion.items() if cc == c),
            ]
            for c, v in s.weights.criterion_weights.items()
        ],
        consistency=_consistency_text(s.weights),
        sensitivity_rows=[
            [str(row["criterion"]), str(row["change"]), _f(row["ari"])]
            for row in s.sensitivity.to_dict(orient="records")
        ],
        warnings=list(val.warnings),
        pca_note=(
            f"{pca.n_components} principal components keep {pca.variance:.0%} of the variance "
            f"of the {len(s.prepared_columns)} prepared columns"
        ),
        notes=list(s.notes),
        choice=choice_text(s.selection),
        gate_losers=gate_losers(s.selection) + noise_losers(s.selection),
        rule_gaps=rule_gaps(s.rules, palette),
        rules_depth=s.rules.max_depth,
    )


def _rules_rows(
    s: ScienceResult, names: dict[int, str], palette: SegmentPalette
) -> list[list[str]]:
    """The rules table in the report's segment order."""
    rows = cv.rules_rows(s.rules, names)
    order = {
        palette.name(palette.report_id(raw)): palette.rank(palette.report_id(raw))
        for raw in s.rules.rules
    }
    return sorted(rows, key=lambda row: order.get(row[0], len(order)))


def _validation_figures(
    r: SegmentationResult, s: ScienceResult, palette: SegmentPalette
) -> dict[str, go.Figure]:
    """Silhouettes, importance, stability and the maps of the chosen segmentation."""
    val = s.validation
    figs: dict[str, go.Figure] = {
        "seg_silhouette": cv.silhouette_bars_figure(val.silhouette, palette=palette),
        "importance": cv.importance_figure(s.importance),
    }
    if val.stability is not None:
        figs["stability"] = cv.stability_figure(val.stability, palette=palette)
    for m in (s.tsne, s.umap, s.autoencoder):
        if m is not None:
            raw = s.selection.labels[m.sample_indices]
            figs[f"map_{m.method}"] = cv.map_figure(
                m.coords,
                [palette.name(palette.report_id(int(x))) for x in raw],
                f"{m.method} map",
                [palette.report_id(int(x)) for x in raw],
                palette=palette,
            )
    return figs


def _algorithm_figures(r: SegmentationResult, sel: SelectionResult) -> dict[str, go.Figure]:
    """The figures an algorithm leaves in ``extras``: BIC curve, k-distances, dendrogram."""
    figs: dict[str, go.Figure] = {}
    extras = sel.extras
    if extras.get("bic"):
        bic = pd.DataFrame(extras["bic"], columns=["k", "bic"])
        best_k = int(bic.sort_values(["bic", "k"]).iloc[0]["k"])
        figs["bic"] = ca.bic_figure(bic, best_k, overall_k=r.chosen_k)
    if "k_distances" in extras:
        kd, eps, ms = extras["k_distances"]
        figs["kdistance"] = ca.k_distance_figure(kd, eps, ms)
    if "linkage_matrix" in extras:
        cut = extras.get("cut_heights", {}).get(r.chosen_k)
        figs["dendrogram"] = ca.dendrogram_figure(extras["linkage_matrix"], cut)
    return figs


def _selection_rows(sel: SelectionResult) -> tuple[list[list[str]], int]:
    """One row per candidate of the grid, and the index of the chosen one (-1: none)."""
    rows, chosen_row = [], -1
    for i, c in enumerate(sel.candidates):
        failed = [g for g, ok in c.gates.items() if not ok]
        gate_text = (
            "error: " + (c.error or "")
            if c.error
            else ("all passed" if not failed else "failed: " + ", ".join(failed))
        )
        rows.append(
            [
                c.candidate.name,
                str(c.n_segments),
                _f(c.silhouette),
                _f(c.davies_bouldin),
                _f(c.calinski_harabasz, 0),
                f"{c.noise_share:.1%}",
                f"{c.largest_share:.1%}",
                f"{c.smallest_share:.1%}",
                gate_text,
                _f(c.seconds, 1),
            ]
        )
        if c is sel.chosen:
            chosen_row = i
    return rows, chosen_row


def _stability_text(stab: StabilityResult | None) -> str:
    if stab is None:
        return "not run (validation.bootstrap = 0)"
    return (
        f"{stab.n_boot} bootstrap resamples of {stab.resample_size:,} customers: mean ARI "
        f"{_f(stab.mean_ari)}; per-segment mean Jaccard below (Hennig: < 0.6 unstable, > 0.75 stable)"
    )


def _consistency_text(w: WeightsResult) -> str:
    if w.ahp is None:
        return "no AHP matrix: criteria weigh equally"
    return f"AHP consistency ratio {w.ahp.consistency_ratio:.3f} (λmax {w.ahp.lambda_max:.3f})"
