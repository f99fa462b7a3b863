"""Canonical customer record."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from cible.schemas.fields import RAW_VALUES, RAW_VALUES_DESCRIPTION, FieldSpec, lazy_schema

GENDERS = ("female", "male", "other", "unknown")

CUSTOMER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "customer_id", "string", "Identifier of the customer in its source system", required=True
    ),
    FieldSpec(
        "source",
        "string",
        "Name of the source the record came from (set by ingestion)",
        required=True,
    ),
    FieldSpec("email", "string", "E-mail address, trimmed, lower-cased and checked", personal=True),
    FieldSpec(
        "phone", "string", "Phone number in E.164 (+33612345678) once standardised", personal=True
    ),
    FieldSpec("first_name", "string", "Given name", personal=True),
    FieldSpec("last_name", "string", "Family name", personal=True),
    FieldSpec("birth_date", "date", "Date of birth", personal=True),
    FieldSpec("gender", "string", "One of female, male, other, unknown", allowed=GENDERS),
    FieldSpec("city", "string", "City name (official spelling once standardised)"),
    FieldSpec("postal_code", "string", "Postal code (checked per country once standardised)"),
    FieldSpec("country", "string", "Country name or ISO code as given"),
    FieldSpec(
        "organisation", "string", "Organisation name (company, shop, site) as given, trimmed"
    ),
    FieldSpec(
        "address_line",
        "string",
        "Street address (number, street, building) as given, trimmed",
        personal=True,
    ),
    FieldSpec("created_at", "timestamp", "When the customer record was created (UTC)"),
    FieldSpec("consent_email", "bool", "Consent to marketing by e-mail"),
    FieldSpec("consent_sms", "bool", "Consent to marketing by SMS"),
    FieldSpec("consent_push", "bool", "Consent to push notifications"),
    FieldSpec(
        "attributes", "json", "Free attributes: a JSON object of the unmapped columns asked for"
    ),
    FieldSpec(RAW_VALUES, "json", RAW_VALUES_DESCRIPTION, personal=True),
)

if TYPE_CHECKING:
    import pyarrow as pa

    CUSTOMERS_SCHEMA: pa.Schema


__getattr__ = lazy_schema(__name__, "CUSTOMERS_SCHEMA", CUSTOMER_FIELDS)


class Customer(BaseModel):
    """One canonical customer, as stored in the warehouse table ``customers``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    gender: str | None = Field(default=None, pattern="^(female|male|other|unknown)$")
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    organisation: str | None = None
    address_line: str | None = None
    created_at: datetime | None = None
    consent_email: bool | None = None
    consent_sms: bool | None = None
    consent_push: bool | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    raw_values: dict[str, str] = Field(default_factory=dict)
