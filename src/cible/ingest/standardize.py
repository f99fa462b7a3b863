"""Standardisation inside ingestion: which field gets which standardiser, and lookup tables.

A standardiser (:mod:`cible.quality`) runs in Python, so it is applied to the **distinct** input
values of a field only (``v__<field>``, the mapped value as text), and the results are joined back
in the mapping query as a lookup table ``__std_<field>`` (key -> standardised value, reason). Postal
codes are keyed on (postal code, country as given), the country read with
:func:`~cible.quality.regions.country_code` (``standardize.country`` when missing or unknown).

A value that cannot be standardised is never guessed: its reason is kept as ``s__<field>`` and
the field's ``on_invalid`` decides: ``quarantine`` the row (rule ``standardize:<field>``), ``null``
the value (the row is kept) or ``keep`` the value as mapped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import pyarrow as pa

from cible.config import (
    DEFAULT_STANDARDIZERS,
    FieldMapping,
    OnInvalid,
    SourceConfig,
    StandardizeConfig,
)
from cible.exceptions import ConfigError
from cible.ingest.sql import lit
from cible.quality import (
    Standardized,
    standardize_category,
    standardize_city,
    standardize_date,
    standardize_email,
    standardize_gender,
    standardize_name,
    standardize_phone,
    standardize_postal_code,
    standardize_timestamp_utc,
)
from cible.quality.regions import country_code
from cible.schemas.customers import GENDERS

_CASTS = {"string": "{v}", "date": "CAST({v} AS DATE)", "timestamp": "CAST({v} AS TIMESTAMPTZ)"}


@dataclass(frozen=True)
class FieldStandardizer:
    """The standardiser of one mapped field and what to do with values it cannot read."""

    field: str
    name: str
    kind: str
    on_invalid: OnInvalid
    func: Callable[[object], Standardized]
    by_country: bool = False
    default_country: str = "FR"
    country_field: str | None = None
    canonical_values: frozenset[str] = frozenset()

    @property
    def table(self) -> str:
        return f"__std_{self.field}"

    def cast(self, expr: str) -> str:
        return _CASTS[self.kind].format(v=expr)

    def missing_value(self) -> str | None:
        """What a missing input becomes (``"unknown"`` for gender; otherwise ``None``)."""
        return self.func(None).value

    def distinct_sql(self, table: str) -> str:
        """The distinct inputs (and countries for postal codes) of ``table``."""
        v = f'"v__{self.field}"'
        if self.by_country:
            c = f'"v__{self.country_field}"' if self.country_field else "NULL::VARCHAR"
            return f"SELECT DISTINCT {v} AS k, {c} AS country FROM {table} WHERE {v} IS NOT NULL"
        return f"SELECT DISTINCT {v} AS k FROM {table} WHERE {v} IS NOT NULL"

    def lookup(self, keys: pa.Table) -> pa.Table:
        """Standardise every distinct input: columns ``k`` (and ``country``), ``value``, ``reason``
        (``reason`` only for a value that cannot be standardised, then ``value`` is NULL)."""
        values: list[str | None] = []
        reasons: list[str | None] = []
        raw = keys.column("k").to_pylist()
        countries = keys.column("country").to_pylist() if self.by_country else [None] * len(raw)
        for k, country in zip(raw, countries, strict=True):
            if self.by_country:
                code = country_code(country) or self.default_country
                result = standardize_postal_code(k, code)
            else:
                result = self.func(k)
            values.append(result.value)
            reasons.append(result.reason if result.value is None and not result.ok else None)
        columns: dict[str, pa.Array] = {"k": pa.array(raw, type=pa.string())}
        if self.by_country:
            columns["country"] = pa.array(countries, type=pa.string())
        columns["value"] = pa.array(values, type=pa.string())
        columns["reason"] = pa.array(reasons, type=pa.string())
        return pa.table(columns)


def _func(
    name: str, m: FieldMapping, defaults: StandardizeConfig, where: str
) -> Callable[[object], Standardized]:
    day_first = (m.date_order or defaults.date_order) == "dmy"
    if name == "phone":
        return partial(
            standardize_phone, default_region=(m.region or defaults.phone_region).upper()
        )
    if name == "category":
        mapping = dict(m.mapping or {})
        try:
            standardize_category(None, mapping)  # validates the table once
        except ValueError as e:
            raise ConfigError(f"{where}: {e}") from e
        return partial(standardize_category, mapping=mapping)
    if name == "date":
        return partial(standardize_date, day_first=day_first, formats=m.format)
    if name == "timestamp":
        try:
            standardize_timestamp_utc(None, m.timezone)
        except ValueError as e:
            raise ConfigError(f"{where}: {e}") from e
        return partial(standardize_timestamp_utc, tz=m.timezone, day_first=day_first)
    simple: dict[str, Callable[[object], Standardized]] = {
        "email": standardize_email,
        "name": standardize_name,
        "city": standardize_city,
        "gender": standardize_gender,
        "postal_code": partial(standardize_postal_code, country=defaults.country),
    }
    return simple[name]


def standardizers_for(
    source: SourceConfig, defaults: StandardizeConfig, kinds: Mapping[str, str]
) -> list[FieldStandardizer]:
    """The standardiser of every field of ``source`` that has one (``kinds``: field -> kind).

    A field's own ``standardize`` wins (``none`` switches it off; a ``mapping`` implies
    ``category``); otherwise, with ``standardize.auto``, the canonical field's default
    (:data:`~cible.config.DEFAULT_STANDARDIZERS`), for fields mapped from a column, expr or value.
    """
    out: list[FieldStandardizer] = []
    for field_name, m in source.fields.items():
        name: str | None = m.standardize
        if name is None and m.mapping:
            name = "category"
        if name is None and defaults.auto and m.columns is None:
            name = DEFAULT_STANDARDIZERS.get(field_name) if source.kind == "customers" else None
        if name is None or name == "none":
            continue
        where = f"source '{source.name}' field '{field_name}'"
        country_field = "country" if "country" in source.fields else None
        out.append(
            FieldStandardizer(
                field=field_name,
                name=name,
                kind=kinds[field_name],
                on_invalid=m.on_invalid or defaults.on_invalid,
                func=_func(name, m, defaults, where),
                by_country=name == "postal_code",
                default_country=defaults.country.upper(),
                country_field=country_field,
                canonical_values=(
                    frozenset(GENDERS)
                    if name == "gender"
                    else frozenset((m.mapping or {}).values())
                    if name == "category"
                    else frozenset()
                ),
            )
        )
    return out


def std_stage(stds: list[FieldStandardizer], source_cte: str) -> str:
    """SQL of the ``std`` stage: the standardised ``f__`` values and the ``s__`` reasons."""
    if not stds:
        return f"SELECT * FROM {source_cte}"
    replaces, reasons, joins = [], [], []
    for i, s in enumerate(stds):
        f, v, alias = f'"f__{s.field}"', f'c."v__{s.field}"', f"__s{i}"
        missing = s.missing_value()
        when_missing = lit(missing) if missing is not None else f"c.{f}"
        invalid = "NULL" if s.on_invalid == "null" else f"c.{f}"
        replaces.append(
            f"CASE WHEN {v} IS NULL THEN {s.cast(when_missing)} "
            f"WHEN {alias}.value IS NOT NULL THEN {s.cast(f'{alias}.value')} "
            f"ELSE {invalid} END AS {f}"
        )
        reasons.append(f'{alias}.reason AS "s__{s.field}"')
        on = f"{v} = {alias}.k"
        if s.by_country:
            country = f'c."v__{s.country_field}"' if s.country_field else "NULL"
            on += f" AND {country} IS NOT DISTINCT FROM {alias}.country"
        joins.append(f"LEFT JOIN {s.table} {alias} ON {on}")
    return (
        f"SELECT c.* REPLACE ({', '.join(replaces)}), {', '.join(reasons)} "
        f"FROM {source_cte} c {' '.join(joins)}"
    )
