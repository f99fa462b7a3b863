"""Shared pieces of the configuration models: the strict base model and the literal types."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
)

SourceKind = Literal["customers", "events"]


SourceFormat = Literal["auto", "csv", "parquet", "jsonl", "excel"]


SourceColumnType = Literal["string", "float", "int", "timestamp", "date", "bool"]


StandardizerName = Literal[
    "none",
    "email",
    "phone",
    "name",
    "city",
    "postal_code",
    "gender",
    "category",
    "date",
    "timestamp",
]


OnInvalid = Literal["quarantine", "null", "keep"]


DateOrder = Literal["dmy", "mdy"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
