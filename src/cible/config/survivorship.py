"""Survivorship settings: which record's value each field of a golden record takes.

Rules (every rule looks only at records whose value is present: not null, not blank, not ``{}``;
every tie is broken by the most recent record, then by the smallest record id, so a build is
deterministic):

==================  ===========================================================================
rule                value kept
==================  ===========================================================================
``most_recent``     from the record with the latest timestamp (``timestamp_column``)
``oldest``          from the record with the earliest timestamp (default for ``created_at``)
``most_frequent``   the value held by the most records (ties: the most recent holder)
``source_priority`` from the first source of ``source_priority``; unlisted sources come last
``longest``         the longest text (e.g. a full address over an abbreviated one)
==================  ===========================================================================

A record without a timestamp comes after every dated record, for ``most_recent`` and ``oldest``
alike (and for the tie-breaks): an unknown date never wins on time.

Consent fields (``consent_email``, ``consent_sms``, ``consent_push``) take no configurable rule:
they are merged with :data:`CONSENT_RULE` ("withdrawal wins"). A consent is ``True`` on the golden
record only if at least one record says ``True`` and no record says ``False``; one ``False`` is
enough for ``False``; unknown everywhere stays unknown. The reason is GDPR (art. 7): consent must be
demonstrable and a withdrawal must be honoured. The records carry no consent timestamps (
``created_at`` is when a record was created, not when a choice was made), so a "more recent"
consent cannot be told apart from an older one; treating any withdrawal as current is the only
merge that can never contact someone who said no.

``customer_id`` and ``source`` are not survivorship fields: they are those of the surviving
record, chosen by ``survivor``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SurvivorshipRule = Literal["most_recent", "oldest", "most_frequent", "source_priority", "longest"]
SurvivorRule = Literal["oldest", "most_recent", "source_priority"]

CONSENT_FIELDS: tuple[str, ...] = ("consent_email", "consent_sms", "consent_push")
CONSENT_RULE = "withdrawal_wins"
IDENTITY_FIELDS: tuple[str, ...] = ("customer_id", "source")
FIELD_DEFAULTS: dict[str, SurvivorshipRule] = {"created_at": "oldest"}


class SurvivorshipConfig(BaseModel):
    """How golden records are built from the records of one entity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_rule: SurvivorshipRule = Field(
        default="most_recent", description="rule of every field without its own rule"
    )
    rules: dict[str, SurvivorshipRule] = Field(
        default_factory=dict,
        description="per-field rules; created_at defaults to 'oldest' unless given here",
    )
    timestamp_column: str = Field(
        default="created_at", description="column that orders records from oldest to most recent"
    )
    source_priority: list[str] = Field(
        default_factory=list, description="sources, most trusted first (for 'source_priority')"
    )
    survivor: SurvivorRule = Field(
        default="oldest",
        description="which record's customer_id survives: the oldest, the most recent, or the "
        "one from the most trusted source (then the oldest)",
    )

    @model_validator(mode="after")
    def _check(self) -> SurvivorshipConfig:
        bad = sorted(set(self.rules) & {*CONSENT_FIELDS, *IDENTITY_FIELDS})
        if bad:
            raise ValueError(
                f"survivorship rules cannot be set for {bad}: consent fields are always merged "
                f"with '{CONSENT_RULE}' (a withdrawal on any record wins) and customer_id/source "
                "come from the surviving record (see 'survivor')"
            )
        if len(set(self.source_priority)) != len(self.source_priority):
            raise ValueError(f"source_priority lists a source twice: {self.source_priority}")
        uses_priority = (
            self.default_rule == "source_priority"
            or self.survivor == "source_priority"
            or "source_priority" in self.rules.values()
        )
        if uses_priority and not self.source_priority:
            raise ValueError(
                "rule 'source_priority' is used but source_priority is empty: list the sources, "
                "most trusted first"
            )
        return self

    def rule_for(self, field: str) -> str:
        """The rule that decides ``field`` (consent fields: :data:`CONSENT_RULE`)."""
        if field in CONSENT_FIELDS:
            return CONSENT_RULE
        return self.rules.get(field) or FIELD_DEFAULTS.get(field) or self.default_rule
