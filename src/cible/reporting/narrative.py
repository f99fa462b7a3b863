"""What the report says in words and how it shows segments: built from what the run actually did.

* :func:`fmt_number`: numbers for people (thousands separators, sensible decimals).
* :func:`choice_text`, :func:`gate_losers`, :func:`noise_losers`: the algorithm chosen, the
  better-scoring candidates a gate removed or their noise sank, read from the selection (the
  content of ``selection.json``).
* :func:`rule_gaps`: one sentence per segment no faithful rule describes.
* :func:`report_warnings`: every warning shown in the report, so the CLI can print the same list.
"""

from __future__ import annotations

import math
import numbers

from cible.quality.results import QualityReport
from cible.reporting.charts import SegmentPalette
from cible.reporting.forward import ForwardSection
from cible.segmentation.segment_explanations import RulesResult
from cible.segmentation.segmentation_result import SegmentationResult
from cible.segmentation.selection import CandidateScore, SelectionResult

DASH = "–"
ALGORITHM_NAMES: dict[str, str] = {
    "kmeans": "k-means",
    "gmm": "Gaussian mixture",
    "agglomerative": "agglomerative (hierarchical) clustering",
    "dbscan": "DBSCAN",
    "hdbscan": "HDBSCAN",
    "kprototypes": "k-prototypes",
}
# A segment whose rules recover less than this share of its customers has no faithful rule.
FAITHFUL_FIDELITY = 0.5


def fmt_number(value: object, digits: int | None = None) -> str:
    """A number for people: thousands separators; ``digits`` decimals, or by magnitude when
    None (integers as such, >= 100: none, >= 1: one, below: up to three significant)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return DASH
    number = float(value)
    if not math.isfinite(number):
        return DASH
    if digits is not None:
        return f"{number:,.{digits}f}"
    if isinstance(value, numbers.Integral) or (number.is_integer() and abs(number) >= 100):
        return f"{round(number):,}"
    size = abs(number)
    if size >= 100:
        return f"{number:,.0f}"
    if size >= 1:
        return f"{number:,.1f}"
    if size == 0:
        return "0"
    return f"{number:.3g}"


def _algorithm(c: CandidateScore) -> str:
    return ALGORITHM_NAMES.get(c.candidate.algorithm, c.candidate.algorithm)


def choice_text(sel: SelectionResult) -> str:
    """What was fitted and what was kept, in words."""
    families = sorted({_algorithm(c) for c in sel.candidates})
    chosen = sel.chosen
    text = (
        f"{len(sel.candidates)} candidates were fitted ({', '.join(families)}); "
        f"{_algorithm(chosen)} with {chosen.n_segments} segments was chosen "
        f"({chosen.candidate.name}, silhouette {fmt_number(chosen.silhouette, 3)})."
    )
    if sel.fallback:
        text += " No candidate passed every gate: the one failing the fewest gates was kept."
    fwd = sel.forward
    if fwd is not None and fwd.mode == "best" and fwd.picked(chosen) and not sel.fallback:
        text += (
            " It was chosen for what it predicts (segmentation.forward.use_in_selection: best): "
            "fitted before the holdout cutoff, its segments score a next-period purchase ROC AUC "
            f"of {fmt_number(fwd.auc_of(chosen.candidate), 3)}, the highest of the candidates "
            f"passing every gate with no more segments than the RFM-quintile segmentation "
            f"({fwd.rfm_segments} segments, AUC {fmt_number(fwd.threshold, 3)})."
        )
    return text


def gate_losers(sel: SelectionResult) -> list[str]:
    """One sentence per candidate with a higher silhouette than the chosen one that a gate
    removed, best first."""
    chosen = sel.chosen
    better = [
        c
        for c in sel.candidates
        if c is not chosen
        and c.error is None
        and math.isfinite(c.silhouette)
        and c.silhouette > chosen.silhouette
        and not all(c.gates.values())
    ]
    better.sort(key=lambda c: (-c.silhouette, c.candidate.name))
    return [
        f"{c.candidate.name} scored a higher silhouette ({fmt_number(c.silhouette, 3)} against "
        f"{fmt_number(chosen.silhouette, 3)}) but failed the gate(s) "
        f"{', '.join(g for g, ok in c.gates.items() if not ok)}"
        f"{_gate_detail(c)}."
        for c in better
    ]


def noise_losers(sel: SelectionResult) -> list[str]:
    """One sentence per candidate that passed every gate with a higher silhouette than the chosen
    one but lost once its noise was counted (noise-adjusted silhouette), best first."""
    chosen = sel.chosen
    lost = [
        c
        for c in sel.candidates
        if c is not chosen
        and c.passed
        and math.isfinite(c.silhouette)
        and c.silhouette > chosen.silhouette
        and c.noise_share > 0
    ]
    lost.sort(key=lambda c: (-c.silhouette, c.candidate.name))
    return [
        f"{c.candidate.name} scored a higher silhouette ({fmt_number(c.silhouette, 3)}) but left "
        f"{c.noise_share:.1%} of customers as noise: noise-adjusted silhouette "
        f"{fmt_number(c.adjusted_silhouette, 3)} against {fmt_number(chosen.adjusted_silhouette, 3)}."
        for c in lost
    ]


def _gate_detail(c: CandidateScore) -> str:
    if not c.gates.get("min_segment_share", True):
        return f" (smallest segment {c.smallest_share:.1%} of customers)"
    if not c.gates.get("max_largest_share", True):
        return f" (largest segment {c.largest_share:.1%} of customers)"
    if not c.gates.get("max_noise_share", True):
        return f" (noise {c.noise_share:.1%} of customers)"
    return ""


def rule_gaps(rules: RulesResult, palette: SegmentPalette) -> list[str]:
    """A sentence for every segment without a faithful rule (no leaf, or fidelity below
    :data:`FAITHFUL_FIDELITY`), in report order."""
    out: list[tuple[int, str]] = []
    for raw, fidelity in rules.fidelity_by_segment.items():
        if rules.rules.get(raw) and fidelity >= FAITHFUL_FIDELITY:
            continue
        sid = palette.report_id(raw)
        out.append(
            (
                palette.rank(sid),
                f"{palette.name(sid)}: no rule of depth <= {rules.max_depth} describes this "
                f"segment faithfully (fidelity {fidelity:.2f})",
            )
        )
    return [text for _, text in sorted(out)]


def report_warnings(
    result: SegmentationResult,
    quality: QualityReport | None = None,
    forward: ForwardSection | None = None,
) -> list[str]:
    """Every warning of the report (the ingestion's failed-value warnings aside, which the
    ingestion table lists): data-quality breaches, validation warnings (``validation.json``),
    segments without a faithful rule, an unmeasured next-period comparison."""
    out = [b.message() for b in quality.breaches] if quality is not None else []
    s = result.science
    if s is not None:
        out += list(s.validation.warnings) + rule_gaps(s.rules, SegmentPalette.of(result))
    if forward is not None and forward.skipped:
        out.append(f"next-period comparison not measured: {forward.skipped}")
    return out
