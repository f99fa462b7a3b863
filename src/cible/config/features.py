"""The ``features:`` section: which families of features the feature table holds, and their options.

``families`` lists the families computed at ``as_of`` (:mod:`cible.features.families`);
``behaviour`` is the default and is always needed (the segmentation takes its buyers from
``frequency``). ``demographic`` maps fields of the customers' ``attributes`` to features;
``contextual`` says in which time zone an order's month, weekday and hour are read and whose
public holidays count.
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from cible.config.base import _Strict
from cible.config.segmentation import FEATURE_NAMES

FEATURE_FAMILIES: tuple[str, ...] = ("behaviour", "demographic", "contextual")
"""The families :mod:`cible.features.families` can compute, in the order of the feature table."""

DEMOGRAPHIC_NAMES: tuple[str, ...] = (
    "age",
    "age_band",
    "gender",
    "country",
    "departement",
    "region",
)
"""The built-in demographic features (:mod:`cible.features.demographic`), before mapped
attributes."""

CONTEXTUAL_NAMES: tuple[str, ...] = (
    "winter_share",
    "spring_share",
    "summer_share",
    "autumn_share",
    "holiday_share",
    "weekend_share",
    "morning_share",
    "afternoon_share",
    "evening_share",
    "night_share",
)
"""The contextual features (:mod:`cible.features.contextual`)."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class AttributeFeature(_Strict):
    """One field of the customers' ``attributes`` (a JSON object) as a demographic feature."""

    key: str = Field(description="the key in attributes, e.g. Kidhome")
    kind: Literal["numeric", "categorical"] = "categorical"

    @field_validator("key")
    @classmethod
    def _plain_key(cls, v: str) -> str:
        if not _KEY.match(v):
            raise ValueError(
                f"attribute key {v!r}: use letters, digits and _ (it starts with a letter or _)"
            )
        return v


class DemographicConfig(_Strict):
    """Options of the demographic family."""

    attributes: dict[str, AttributeFeature] = Field(
        default_factory=dict,
        description="feature name -> attributes field (household or family status), e.g. "
        "{children: {key: Kidhome, kind: numeric}, marital_status: {key: Marital_Status}}",
    )

    @field_validator("attributes")
    @classmethod
    def _names(cls, v: dict[str, AttributeFeature]) -> dict[str, AttributeFeature]:
        bad = sorted(n for n in v if not _NAME.match(n))
        if bad:
            raise ValueError(
                f"attribute feature name(s) {bad}: use lower-case letters, digits and _"
            )
        return v


class ContextualConfig(_Strict):
    """Options of the contextual family."""

    time_zone: str = Field(
        default="UTC",
        description="IANA zone in which an order's month, weekday, hour and date are read",
    )
    holiday_country: str | None = Field(
        default=None,
        description="ISO 3166 alpha-2 code whose public holidays count for every customer; "
        "default: each customer's own country",
    )
    holiday_window_days: int = Field(
        default=3,
        ge=0,
        le=30,
        description="an order counts as around a holiday when its date is at most this many "
        "days before or after one",
    )

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"time_zone {v!r} is not an IANA time zone (e.g. Europe/Paris)") from e
        return v

    @field_validator("holiday_country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import holidays  # the calendar library, imported only when a country is configured

        code = v.strip().upper()
        supported = holidays.list_supported_countries()
        if code not in supported:
            raise ValueError(
                f"holiday_country {v!r} has no public-holiday calendar; use an ISO 3166 alpha-2 "
                f"code such as FR, GB, DE ({len(supported)} supported)"
            )
        return code


class FeaturesConfig(_Strict):
    """Which feature families the feature table holds (default: behaviour only)."""

    families: list[str] = Field(
        default_factory=lambda: ["behaviour"],
        description=f"families to compute, among {', '.join(FEATURE_FAMILIES)}",
    )
    demographic: DemographicConfig = Field(default_factory=DemographicConfig)
    contextual: ContextualConfig = Field(default_factory=ContextualConfig)

    @field_validator("families")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [f for f in v if f not in FEATURE_FAMILIES]
        if unknown:
            raise ValueError(
                f"unknown feature family {unknown[0]!r}; known families: "
                f"{', '.join(FEATURE_FAMILIES)}"
            )
        if len(set(v)) != len(v):
            raise ValueError(f"families are listed more than once: {v}")
        if "behaviour" not in v:
            raise ValueError(
                "families must include 'behaviour': the segmentation finds its buyers by "
                "frequency and orders segments by monetary"
            )
        return v

    @model_validator(mode="after")
    def _attribute_names(self) -> FeaturesConfig:
        built_in = {*FEATURE_NAMES, *DEMOGRAPHIC_NAMES, *CONTEXTUAL_NAMES}
        clash = sorted(set(self.demographic.attributes) & built_in)
        if clash:
            raise ValueError(
                f"demographic.attributes name(s) {clash} are names of built-in features"
            )
        return self

    def computes(self, family: str) -> bool:
        return family in self.families
