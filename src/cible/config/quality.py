"""Standardisation defaults (``standardize``) and the data-quality report and gate (``quality``)."""

from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
)

from cible.config.base import DateOrder, OnInvalid, StandardizerName, _Strict


class StandardizeConfig(_Strict):
    """Project-wide standardisation defaults (``standardize`` section; see docs/data-quality.md).

    With ``auto`` each mapped customer field without its own ``standardize`` option gets its
    canonical standardiser (:data:`DEFAULT_STANDARDIZERS`).
    """

    auto: bool = Field(default=True, description="apply each canonical field's standardiser")
    phone_region: str = Field(default="FR", pattern=r"^[A-Za-z]{2}$")
    country: str = Field(
        default="FR", pattern=r"^[A-Za-z]{2}$", description="postal codes of rows without country"
    )
    date_order: DateOrder = "dmy"
    on_invalid: OnInvalid = Field(
        default="null", description="default for a value that cannot be standardised"
    )


DEFAULT_STANDARDIZERS: dict[str, StandardizerName] = {
    "email": "email",
    "phone": "phone",
    "first_name": "name",
    "last_name": "name",
    "city": "city",
    "postal_code": "postal_code",
    "gender": "gender",
    "birth_date": "date",
}


DEFAULT_MAX_LOST_RATE = 0.5


DEFAULT_WARN_FAILED_RATE = 0.05


class QualityThresholds(_Strict):
    """Largest allowed rates per column (a canonical field, ``attributes.<col>`` or
    ``properties.<col>``) or ``default`` (every other column).

    ``max_missing_rate`` and ``max_invalid_rate`` are shares of rows (no limit unless given).
    ``max_lost_rate`` and ``warn_failed_rate`` are shares of a mapped field's non-missing values:
    above ``max_lost_rate`` (default 0.5) of them lost (nulled or quarantined because they could
    not be standardised, typed or allowed) is a breach; above ``warn_failed_rate`` (default 0.05)
    failed is a warning. Their ``default`` stays unless given.
    """

    max_missing_rate: dict[str, float] = Field(default_factory=dict)
    max_invalid_rate: dict[str, float] = Field(default_factory=dict)
    max_lost_rate: dict[str, float] = Field(
        default_factory=lambda: {"default": DEFAULT_MAX_LOST_RATE}
    )
    warn_failed_rate: dict[str, float] = Field(
        default_factory=lambda: {"default": DEFAULT_WARN_FAILED_RATE}
    )

    @field_validator("max_missing_rate", "max_invalid_rate", "max_lost_rate", "warn_failed_rate")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: r for k, r in v.items() if not 0.0 <= r <= 1.0}
        if bad:
            raise ValueError(f"rates must be between 0 and 1, got {bad}")
        return v

    @field_validator("max_lost_rate")
    @classmethod
    def _lost_default(cls, v: dict[str, float]) -> dict[str, float]:
        return {"default": DEFAULT_MAX_LOST_RATE, **v}

    @field_validator("warn_failed_rate")
    @classmethod
    def _warn_default(cls, v: dict[str, float]) -> dict[str, float]:
        return {"default": DEFAULT_WARN_FAILED_RATE, **v}

    def limit(self, table: dict[str, float], column: str) -> float | None:
        """The limit of ``column`` in ``table``: its own, else ``default``, else none."""
        return table.get(column, table.get("default"))


class QualityConfig(_Strict):
    """The data-quality report and its gate (``quality`` section)."""

    thresholds: QualityThresholds = Field(default_factory=QualityThresholds)
    stop_on_breach: bool = Field(
        default=True, description="a breached threshold stops the run (report files written)"
    )
    personal_columns: list[str] = Field(
        default_factory=list,
        description="source columns kept in attributes/properties that hold personal data "
        "(their values are never shown, only counts and patterns)",
    )
    top_values: int = Field(default=5, ge=1, le=50)
    pseudonymise_quarantine: bool = Field(
        default=False,
        description="write quarantine.csv with every value from the data replaced by its "
        "HMAC-SHA256 under CIBLE_EXPORT_SECRET (source, file, row, column and rule stay readable)",
    )
