"""The columns the data-quality report measures in a mapped source, as SQL over ``__checked``.

Every mapped canonical field but constants (``value:``) is one column: its value as given
``v__<field>``, its typed value ``f__<field>``, its invalid flag (the standardisation reason
``s__<field>``, else a value that did not convert, else a value outside the allowed list). So is
every source column kept in a JSON field (``attributes.<column>``, ``properties.<column>``), as
text unless declared in ``types``.
"""

from __future__ import annotations

import pyarrow as pa

from cible.config import SourceConfig
from cible.ingest.mapping import MappingPlan
from cible.ingest.sql import ident, lit, text
from cible.quality.report import IDENTIFIERS
from cible.quality.report_measures import ColumnSpec
from cible.quality.results import ColumnKind
from cible.quality.standardize_names import standardize_gender
from cible.schemas.customers import GENDERS
from cible.schemas.fields import FieldSpec

_KINDS: dict[str, ColumnKind] = {
    "string": "text",
    "float": "number",
    "int": "number",
    "date": "date",
    "timestamp": "timestamp",
    "bool": "bool",
}
_WORDS = {
    "number": "not a number",
    "date": "not a date",
    "timestamp": "not a timestamp",
    "bool": "not a yes/no value",
}


def _field_spec(spec: FieldSpec, plan: MappingPlan) -> ColumnSpec:
    f, v = ident("f__" + spec.name), ident("v__" + spec.name)
    kind = _KINDS[spec.kind]
    std = {s.field: s for s in plan.standardizers}.get(spec.name)
    flags: list[str] = []
    if std is not None:
        flags.append(ident("s__" + spec.name))
    elif kind != "text":
        flags.append(f"CASE WHEN {v} IS NOT NULL AND {f} IS NULL THEN {lit(_WORDS[kind])} END")
    if spec.allowed:
        allowed = ", ".join(lit(a) for a in spec.allowed)
        flags.append(
            f"CASE WHEN {f} NOT IN ({allowed}) THEN {lit('not an allowed ' + spec.name)} END"
        )
    canonical = None
    canonical_values: frozenset[str] = frozenset()
    if std is not None and std.canonical_values:
        canonical, canonical_values = std.func, std.canonical_values
    elif spec.name == "gender":
        canonical, canonical_values = standardize_gender, frozenset(GENDERS)
    return ColumnSpec(
        name=spec.name,
        raw=v,
        kind=kind,
        typed=f if kind in ("number", "date", "timestamp") else None,
        invalid=(flags[0] if len(flags) == 1 else f"COALESCE({', '.join(flags)})")
        if flags
        else None,
        personal=spec.personal,
        role=spec.name,
        canonical=canonical,
        canonical_values=canonical_values,
        identifier=spec.name in IDENTIFIERS,
    )


def _json_specs(
    source: SourceConfig, schema: pa.Schema, personal: frozenset[str]
) -> list[ColumnSpec]:
    types = {f.name: f.type for f in schema}
    specs: list[ColumnSpec] = []
    for field_name, m in source.fields.items():
        for c in m.columns or []:
            declared = source.types.get(c)
            original = ident("__o_" + c) if declared else ident(c)
            kind = _KINDS.get(declared or "string", "text")
            raw = text(original, types.get(c))
            specs.append(
                ColumnSpec(
                    name=f"{field_name}.{c}",
                    raw=raw,
                    kind=kind,
                    typed=ident(c) if kind != "text" else None,
                    invalid=(
                        f"CASE WHEN {raw} IS NOT NULL AND {ident(c)} IS NULL "
                        f"THEN {lit(_WORDS[kind])} END"
                    )
                    if kind != "text"
                    else None,
                    personal=c in personal,
                )
            )
    return specs


def quality_columns(
    source: SourceConfig, plan: MappingPlan, schema: pa.Schema, personal: frozenset[str]
) -> list[ColumnSpec]:
    """The measured columns of ``source``, in canonical order, then its JSON fields' columns."""
    specs = [
        _field_spec(spec, plan)
        for spec in plan.specs
        if spec.name in source.fields
        and spec.kind != "json"
        and source.fields[spec.name].value is None  # a constant has nothing to measure
    ]
    return specs + _json_specs(source, schema, personal)
