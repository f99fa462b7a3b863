"""The parts of ``dedup`` beside matching: a plain input table (``dedup.input``) and the guards
that refuse a resolution which has collapsed (``dedup.guards``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from cible.config.base import _Strict

InputFormat = Literal["auto", "csv", "parquet", "excel"]
OnViolation = Literal["error", "warn"]


class DedupInput(_Strict):
    """A plain table to deduplicate (``dedup.input``): one row per record, an id column and any
    columns to compare. Every cell is read as text (nothing is guessed or converted)."""

    path: Path = Field(description="the table; a relative path is taken from the config's folder")
    id_column: str | None = Field(
        default=None,
        min_length=1,
        description="column identifying a record (unique, filled); default: dedup.matching.id_column",
    )
    format: InputFormat = Field(default="auto", description="auto: from the file suffix")
    delimiter: str = Field(default=",", min_length=1, description="CSV field separator")
    encoding: str = Field(default="utf-8", description="CSV encoding (a Python codec name)")
    skipinitialspace: bool = Field(
        default=False, description="CSV: drop spaces after each delimiter (Febrl files need it)"
    )
    strip: bool = Field(default=True, description="trim spaces around every value")
    missing_values: list[str] = Field(
        default_factory=list, description="extra text read as missing besides the empty string"
    )
    sheet: str | int | None = Field(default=None, description="Excel sheet (name or index)")


class GuardsConfig(_Strict):
    """When a resolution is refused (``dedup.guards``).

    * A giant entity: one entity holding more than ``max_entity_size`` records **and** more than
      ``max_entity_share`` of all records (both limits must be passed; set one to 0 to use only
      the other). At exactly a limit the entity is allowed.
    * A degenerate Fellegi-Sunter model: the match proportion lambda trained by EM at or below
      ``min_lambda`` or at or above ``1 - min_lambda``, or m and u nearly equal on every field
      (total variation distance at most ``min_field_separation``): the model tells nothing.
    ``on_violation: error`` (default) stops before anything is written or applied; ``warn`` goes
    on and reports the finding in dedup.json and on the console.
    """

    max_entity_size: int = Field(default=50, ge=0)
    max_entity_share: float = Field(default=0.01, ge=0, le=1)
    min_lambda: float = Field(default=1e-6, ge=0, lt=0.5)
    min_field_separation: float = Field(default=0.05, ge=0, lt=1)
    on_violation: OnViolation = "error"

    @model_validator(mode="after")
    def _some_limit(self) -> GuardsConfig:
        if self.max_entity_size == 0 and self.max_entity_share == 0:
            raise ValueError(
                "max_entity_size and max_entity_share cannot both be 0 (every entity of two "
                "records would be refused); raise one of them"
            )
        return self
