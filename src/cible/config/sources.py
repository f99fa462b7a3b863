"""Sources: how a file is read and how its columns map onto canonical fields (``sources``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from cible.config.base import (
    DateOrder,
    OnInvalid,
    SourceColumnType,
    SourceFormat,
    SourceKind,
    StandardizerName,
    _Strict,
)
from cible.schemas.customers import CUSTOMER_FIELDS
from cible.schemas.events import EVENT_FIELDS
from cible.schemas.fields import RAW_VALUES


class FieldMapping(_Strict):
    """How one canonical field is obtained from a source row.

    Exactly one of ``column`` (a source column), ``expr`` (a DuckDB SQL expression over the source
    columns), ``value`` (a constant) or ``columns`` (for JSON fields: the source columns to keep).
    """

    column: str | None = None
    expr: str | None = None
    value: str | None = None
    columns: list[str] | None = None
    format: list[str] | None = Field(
        default=None, description="strptime formats for timestamp/date fields, tried in order"
    )
    timezone: str = Field(default="UTC", description="zone of naive timestamps in the source")
    true_values: list[str] = Field(default_factory=lambda: ["true", "1", "yes", "y", "oui", "t"])
    false_values: list[str] = Field(default_factory=lambda: ["false", "0", "no", "n", "non", "f"])
    lower: bool = Field(default=False, description="lower-case the text value")
    standardize: StandardizerName | None = Field(
        default=None,
        description="standardiser applied to the mapped values; default: the canonical field's "
        "own (see the `standardize` section), 'none' to switch it off",
    )
    on_invalid: OnInvalid | None = Field(
        default=None,
        description="a value that cannot be standardised: quarantine the row, null the value or "
        "keep it as given; default: standardize.on_invalid",
    )
    region: str | None = Field(
        default=None, description="phone: region of numbers without +prefix (ISO 3166, e.g. FR)"
    )
    date_order: DateOrder | None = Field(
        default=None, description="dates: dmy (03/04 = 3 April) or mdy; default: standardize"
    )
    mapping: dict[str, str] | None = Field(
        default=None, description="category: raw spelling -> canonical value (implies category)"
    )

    @field_validator("format", mode="before")
    @classmethod
    def _one_format_is_a_list(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _exactly_one_origin(self) -> FieldMapping:
        given = [k for k in ("column", "expr", "value", "columns") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a field mapping needs exactly one of 'column', 'expr', 'value' or 'columns'"
                f" (got {', '.join(given) or 'none'})"
            )
        return self


class Rule(_Strict):
    """A row rule: when the SQL condition holds, set canonical fields to constants or quarantine."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    when: str = Field(min_length=1, description="DuckDB SQL condition over the source columns")
    set: dict[str, str] | None = None
    quarantine: str | None = Field(default=None, description="reason written to the quarantine")

    @model_validator(mode="after")
    def _one_action(self) -> Rule:
        if (self.set is None) == (self.quarantine is None):
            raise ValueError(f"rule '{self.name}' needs exactly one of 'set' or 'quarantine'")
        return self


_STANDARDIZER_KINDS: dict[str, str] = {
    "email": "string",
    "phone": "string",
    "name": "string",
    "city": "string",
    "postal_code": "string",
    "gender": "string",
    "category": "string",
    "date": "date",
    "timestamp": "timestamp",
}


class SourceConfig(_Strict):
    """One input file and how it maps to canonical customers or events."""

    name: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    kind: SourceKind
    path: Path
    format: SourceFormat = "auto"
    delimiter: str = Field(
        default="auto",
        description="',', ';', '\\t', '|', auto, or whitespace (fields separated by runs of "
        "spaces and tabs, leading and trailing ones ignored; a value cannot hold a blank)",
    )
    columns: list[str] | None = Field(
        default=None,
        min_length=1,
        description="CSV without a header line: the names of its columns, in order (every line "
        "is then a record)",
    )
    encoding: str = Field(
        default="auto",
        description="auto (UTF-8 per line with a detected single-byte fallback; UTF-16 with a "
        "BOM) or a Python codec name such as utf-8, cp1252, latin-1, utf-16",
    )
    fallback_encoding: str = Field(
        default="auto",
        description="with encoding auto: the single-byte codec for lines that are not UTF-8 "
        "(auto: chosen by charset-normalizer)",
    )
    max_record_lines: int = Field(
        default=1_000,
        ge=1,
        description="CSV: most physical lines one quoted record may span; a quote still open "
        "after them is an unbalanced quote",
    )
    sheet: str | int | None = Field(default=None, description="Excel sheet (name or index)")
    types: dict[str, SourceColumnType] = Field(
        default_factory=dict,
        description="types of source columns used in expressions and rules; a value that does not "
        "convert quarantines the row",
    )
    fields: dict[str, FieldMapping]
    rules: list[Rule] = Field(default_factory=list)
    on_duplicate_rows: Literal["quarantine", "keep"] = "quarantine"

    @model_validator(mode="before")
    @classmethod
    def _expand_preset(cls, data: object) -> object:
        """``{preset: ga4, path: ...}``: the shipped mapping (:mod:`cible.config.presets`)."""
        if isinstance(data, dict) and "preset" in data:
            from cible.config.presets import apply_preset

            return apply_preset(data)
        return data

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand_columns(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: ({"column": m} if isinstance(m, str) else m) for k, m in v.items()}
        return v

    @model_validator(mode="after")
    def _header_names(self) -> SourceConfig:
        if self.columns is None:
            return self
        names = [c.strip() for c in self.columns]
        if any(not n for n in names) or len(set(names)) != len(names):
            raise ValueError(
                f"source '{self.name}': columns {self.columns} must be distinct, non-empty names"
            )
        if self.format not in ("auto", "csv"):
            raise ValueError(
                f"source '{self.name}': columns (a file without header) applies to CSV/text "
                f"files, not format {self.format!r}"
            )
        return self

    @model_validator(mode="after")
    def _canonical_fields(self) -> SourceConfig:
        specs = CUSTOMER_FIELDS if self.kind == "customers" else EVENT_FIELDS
        known = {s.name for s in specs} - {"source", RAW_VALUES}  # both set by ingestion
        unknown = sorted(set(self.fields) - known)
        if unknown:
            raise ValueError(
                f"source '{self.name}': unknown {self.kind} field(s) {unknown}; "
                f"allowed: {sorted(known)}"
            )
        auto = {"event_id"} if self.kind == "events" else set()
        missing = sorted(
            s.name
            for s in specs
            if s.required
            and s.name not in self.fields
            and s.name not in auto
            and s.name != "source"
            and not any(r.set and s.name in r.set for r in self.rules)
        )
        if missing:
            raise ValueError(f"source '{self.name}': required field(s) {missing} are not mapped")
        for r in self.rules:
            bad = sorted(set(r.set or {}) - known)
            if bad:
                raise ValueError(f"rule '{r.name}' sets unknown field(s) {bad}")
        return self

    @model_validator(mode="after")
    def _standardizers_fit(self) -> SourceConfig:
        kinds = {
            s.name: s.kind for s in (CUSTOMER_FIELDS if self.kind == "customers" else EVENT_FIELDS)
        }
        for name, m in self.fields.items():
            chosen = "category" if m.standardize is None and m.mapping else m.standardize
            if chosen in (None, "none"):
                continue
            wanted = _STANDARDIZER_KINDS[chosen]
            if kinds[name] != wanted or m.columns is not None:
                raise ValueError(
                    f"source '{self.name}' field '{name}' ({kinds[name]}): standardize '{chosen}' "
                    f"applies to {wanted} fields mapped from a column, expr or value"
                )
            if chosen == "category" and not m.mapping:
                raise ValueError(
                    f"source '{self.name}' field '{name}': standardize 'category' needs a "
                    "'mapping' (raw spelling -> canonical value)"
                )
        return self
