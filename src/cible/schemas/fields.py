"""Field descriptors shared by the canonical schemas.

A :class:`FieldSpec` says what a canonical column holds; ingestion turns it into a typed SQL
expression with a validation rule, and the Arrow schema is derived from the same specs, so the
documentation, the validation and the storage can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pyarrow is imported when a schema is built, so `cible --help` stays light
    import pyarrow as pa

RAW_VALUES = "raw_values"
"""The canonical JSON field, set by ingestion, holding every value of a record that could not be
standardised or typed, as read (``{"phone": "555-0142"}``): a value is never erased without trace."""

RAW_VALUES_DESCRIPTION = (
    "Set by ingestion: a JSON object {field: value as read} of the fields whose value could not be "
    "standardised or typed (NULL when every value could)"
)

FieldKind = Literal["string", "timestamp", "date", "float", "int", "bool", "json"]


def arrow_type_of(kind: FieldKind) -> pa.DataType:
    """The Arrow type of a field kind."""
    import pyarrow as pa

    types: dict[str, pa.DataType] = {
        "string": pa.string(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "float": pa.float64(),
        "int": pa.int64(),
        "bool": pa.bool_(),
        "json": pa.string(),
    }
    return types[kind]


SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "float": "DOUBLE",
    "int": "BIGINT",
    "bool": "BOOLEAN",
    "json": "VARCHAR",
}


@dataclass(frozen=True)
class FieldSpec:
    """One canonical column: its name, kind, whether a row without it is rejected, and, for
    enumerations, the values allowed."""

    name: str
    kind: FieldKind
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    personal: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        return arrow_type_of(self.kind)

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


def arrow_schema(specs: tuple[FieldSpec, ...], *extra: pa.Field) -> pa.Schema:
    """The Arrow schema of a canonical table, in spec order, plus bookkeeping fields."""
    import pyarrow as pa

    fields = [
        pa.field(
            s.name, s.arrow_type, nullable=not s.required, metadata={"description": s.description}
        )
        for s in specs
    ]
    return pa.schema([*fields, *extra])


def lazy_schema(module: str, name: str, specs: tuple[FieldSpec, ...]) -> Callable[[str], object]:
    """A module ``__getattr__`` serving ``name``, the Arrow schema of ``specs``, built on first use
    (it needs pyarrow, which ``import cible`` and ``cible --help`` avoid)."""

    @cache
    def build() -> pa.Schema:
        return arrow_schema(specs)

    def module_getattr(attr: str) -> object:
        if attr == name:
            return build()
        raise AttributeError(f"module {module!r} has no attribute {attr!r}")

    return module_getattr
