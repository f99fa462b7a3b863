"""Duplicate customers and golden records (``dedup``); the matcher and survivorship models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from cible.config.base import _Strict
from cible.config.dedup import DedupInput, GuardsConfig
from cible.config.matching import MatchingConfig
from cible.config.survivorship import SurvivorshipConfig

ReviewStrategy = Literal["stratified", "band"]


class DedupConfig(_Strict):
    """Duplicate records: matching, guards, golden records, review sample (``dedup``).

    Records are the ingested customers (their id is ``customer_id``, unique across sources), or,
    with ``input``, the rows of a plain table identified by ``input.id_column`` (or
    ``matching.id_column``).
    """

    enabled: bool = Field(
        default=True, description="run identity resolution inside `cible run` (always in `dedup`)"
    )
    input: DedupInput | None = Field(
        default=None,
        description="a plain table to deduplicate instead of the ingested customers",
    )
    matching: MatchingConfig
    guards: GuardsConfig = Field(default_factory=GuardsConfig)
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)
    review_sample: int = Field(
        default=0,
        ge=0,
        description="candidate pairs written to review_sample.csv for manual labelling (0: none); "
        "the file holds personal data",
    )
    review_strategy: ReviewStrategy = Field(
        default="stratified",
        description="stratified: the same number of pairs from each score bin over [0, 1]; band: "
        "pairs within review_width of the threshold",
    )
    review_bins: int = Field(default=10, ge=1, le=100, description="score bins (stratified)")
    review_width: float = Field(
        default=0.1, gt=0, le=1, description="half-width of the score band sampled (band)"
    )

    @field_validator("matching")
    @classmethod
    def _record_ids(cls, value: MatchingConfig, info: ValidationInfo) -> MatchingConfig:
        """The id column, once: ``customer_id`` for ingested customers, else the table's."""
        given = value.id_column
        table = info.data.get("input")
        if table is None:
            if given not in (None, "customer_id"):
                raise ValueError(
                    f"id_column is {given!r}; customer records are identified by customer_id "
                    "(leave id_column out, or give dedup.input to read a plain table)"
                )
            return value.model_copy(update={"id_column": "customer_id"})
        wanted = table.id_column
        if wanted is not None and given is not None and wanted != given:
            raise ValueError(
                f"dedup.input.id_column is {wanted!r} but dedup.matching.id_column is {given!r}: "
                "give the id column once"
            )
        if wanted is None and given is None:
            raise ValueError("dedup.input needs id_column (the column identifying each record)")
        return value.model_copy(update={"id_column": wanted or given})
