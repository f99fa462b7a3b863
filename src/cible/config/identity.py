"""Duplicate customers and golden records (``dedup``); the matcher and survivorship models."""

from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
)

from cible.config.base import _Strict
from cible.config.matching import MatchingConfig
from cible.config.survivorship import SurvivorshipConfig


class DedupConfig(_Strict):
    """Duplicate customers: matching, golden records, review sample (``dedup`` in ``cible.yaml``).

    Records are the ingested customers; their id is ``customer_id`` (unique across sources).
    """

    enabled: bool = Field(
        default=True, description="run identity resolution inside `cible run` (always in `dedup`)"
    )
    matching: MatchingConfig
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)
    review_sample: int = Field(
        default=0,
        ge=0,
        description="candidate pairs around the threshold written to review_sample.csv for manual "
        "labelling (0: none); the file holds personal data",
    )
    review_width: float = Field(
        default=0.1, gt=0, le=1, description="half-width of the score band sampled for review"
    )

    @field_validator("matching")
    @classmethod
    def _customer_ids(cls, value: MatchingConfig) -> MatchingConfig:
        if value.id_column not in (None, "customer_id"):
            raise ValueError(
                f"id_column is {value.id_column!r}; customer records are identified by "
                "customer_id (leave id_column out)"
            )
        return value.model_copy(update={"id_column": "customer_id"})
