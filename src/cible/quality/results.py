"""Typed results of the data-quality report (computed in :mod:`cible.quality.report_measures` and
:mod:`cible.quality.consistency`, assembled in :mod:`cible.quality.report`, rendered by
:mod:`cible.reporting.quality`).

Privacy by construction: a personal-data column (e-mail, phone, names, birth date, and the source
columns listed in ``quality.personal_columns``) never carries a value here, only counts, value
*patterns* (``"Aa a"``, ``"99 99 99 99 99"``, ``"a.a@a.a"``) and row numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ColumnKind = Literal["text", "number", "date", "timestamp", "bool"]
FindingKind = Literal["non_canonical", "same_entity", "same_normalised"]
Measure = Literal["missing_rate", "invalid_rate", "lost_rate"]


@dataclass(frozen=True)
class ValueCount:
    """A value (or a pattern, or a reason) and how many rows hold it."""

    value: str
    count: int


@dataclass(frozen=True)
class Example:
    """One outlying value: its 1-based row and, for non-personal columns, the value."""

    row: int
    value: str | None
    problem: str


@dataclass(frozen=True)
class NumericOutliers:
    """Outliers of a numeric column by two robust rules.

    ``robust_z``: ``|x - median| / (1.4826 * MAD) > 3.5`` (Iglewicz and Hoaglin; not computed when
    the MAD is 0); ``iqr``: outside ``[Q1 - 1.5 IQR, Q3 + 1.5 IQR]`` (Tukey's fences).
    """

    n_values: int
    median: float
    mad: float
    q1: float
    q3: float
    robust_z: int
    iqr: int
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class DateIssues:
    """Impossible or suspicious dates, counted once each, in this order of precedence.

    ``future``: after the reference date; ``before_1900``; ``over_120``: birth dates giving an age
    over 120 at the reference date (birth dates only, else ``None``).
    """

    reference: str
    future: int
    before_1900: int
    over_120: int | None
    earliest: str | None
    latest: str | None
    examples: tuple[Example, ...]

    @property
    def total(self) -> int:
        return self.future + self.before_1900 + (self.over_120 or 0)


@dataclass(frozen=True)
class ColumnQuality:
    """Quality measures of one column of one source.

    ``n_missing`` counts empty values; ``n_missing_like`` counts texts that stand for a missing
    value (``"n/a"``, ``"null"``, ``"-"``...: :data:`cible.quality.report_measures.MISSING_LIKE`), which
    are not in ``n_missing``; ``n_invalid`` counts values that could not be read or standardised
    or are not allowed.
    """

    name: str
    kind: ColumnKind
    personal: bool
    n_rows: int
    n_missing: int
    n_invalid: int
    n_distinct: int
    n_missing_like: int = 0
    top_values: tuple[ValueCount, ...] = ()
    top_patterns: tuple[ValueCount, ...] = ()
    invalid_reasons: tuple[ValueCount, ...] = ()
    numeric: NumericOutliers | None = None
    dates: DateIssues | None = None

    @property
    def missing_rate(self) -> float:
        return self.n_missing / self.n_rows if self.n_rows else 0.0

    @property
    def invalid_rate(self) -> float:
        return self.n_invalid / self.n_rows if self.n_rows else 0.0


@dataclass(frozen=True)
class FindingGroup:
    """Raw spellings of one entity: ``canonical`` is its canonical form (``None``: unknown)."""

    canonical: str | None
    variants: tuple[ValueCount, ...]

    @property
    def n_rows(self) -> int:
        return sum(v.count for v in self.variants)


@dataclass(frozen=True)
class Finding:
    """A consistency problem of one column.

    ``non_canonical``: values outside the canonical set (``"F"``, ``"Femal"`` for gender), grouped
    by the canonical value they stand for; ``same_entity``: one state or region written as a
    name and a code (``"NSW"`` and ``"New South Wales"``); ``same_normalised``: values that differ
    only by case, accents, spaces or punctuation. For a personal column ``groups`` is empty: the
    counts say how many groups and rows are affected.
    """

    kind: FindingKind
    column: str
    message: str
    n_groups: int
    n_rows: int
    groups: tuple[FindingGroup, ...] = ()


@dataclass(frozen=True)
class SourceQuality:
    """The quality of one source: every parsed row, before quarantine."""

    source: str
    kind: str
    n_rows: int
    columns: tuple[ColumnQuality, ...]
    findings: tuple[Finding, ...] = ()

    def column(self, name: str) -> ColumnQuality:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"source '{self.source}' has no column '{name}'")

    def findings_for(self, column: str, kind: FindingKind | None = None) -> list[Finding]:
        return [f for f in self.findings if f.column == column and kind in (None, f.kind)]


@dataclass(frozen=True)
class ImputationShare:
    """Share of a segmentation feature's values filled by the preprocessor's imputer."""

    feature: str
    method: str
    n_rows: int
    n_imputed: int

    @property
    def share(self) -> float:
        return self.n_imputed / self.n_rows if self.n_rows else 0.0


@dataclass(frozen=True)
class Breach:
    """A measured rate above its configured maximum.

    ``lost_rate`` breaches (a mapped field that lost too many of its values, see
    :mod:`cible.ingest.failures`) also name the source column and the rules that failed."""

    source: str
    column: str
    measure: Measure
    measured: float
    allowed: float
    key: str
    source_column: str | None = None
    rules: str | None = None

    def message(self) -> str:
        setting = f"quality.thresholds.max_{self.measure}.{self.key}"
        if self.measure == "lost_rate":
            origin = (
                f" (column '{self.source_column}')"
                if self.source_column not in (None, self.column)
                else ""
            )
            return (
                f"source '{self.source}' field '{self.column}'{origin}: {self.measured:.1%} of "
                f"its values lost (rule {self.rules}) > allowed {self.allowed:.1%} ({setting}); "
                f"to go on anyway, allow it: quality.thresholds.max_lost_rate: {{{self.column}: 1.0}}"
            )
        what = "missing" if self.measure == "missing_rate" else "invalid"
        return (
            f"source '{self.source}' column '{self.column}': {what} rate {self.measured:.1%} > "
            f"allowed {self.allowed:.1%} ({setting})"
        )


@dataclass(frozen=True)
class QualityReport:
    """The data-quality report of a run: one entry per source, the imputation shares of the
    segmentation features (``None`` when the segmentation did not run) and the breaches."""

    sources: tuple[SourceQuality, ...]
    breaches: tuple[Breach, ...] = ()
    imputation: tuple[ImputationShare, ...] | None = None
    reference_date: str | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def source(self, name: str) -> SourceQuality:
        for s in self.sources:
            if s.source == name:
                return s
        raise KeyError(f"no source '{name}' in the quality report")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the content of ``quality.json``), rates included."""
        return {
            "reference_date": self.reference_date,
            "seconds": round(self.seconds, 3),
            "sources": [_source_dict(s) for s in self.sources],
            "breaches": [{**asdict(b), "message": b.message()} for b in self.breaches],
            "imputation": None
            if self.imputation is None
            else [{**asdict(i), "share": i.share} for i in self.imputation],
            "notes": list(self.notes),
        }


def _source_dict(s: SourceQuality) -> dict[str, Any]:
    return {
        "source": s.source,
        "kind": s.kind,
        "rows": s.n_rows,
        "columns": [
            {**asdict(c), "missing_rate": c.missing_rate, "invalid_rate": c.invalid_rate}
            for c in s.columns
        ],
        "findings": [asdict(f) for f in s.findings],
    }
