"""Standardisation inside ingestion: defaults, per-field options, on_invalid, quality flags."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import cible.ingest.standardize as ingest_standardize
from cible.config import load_config
from cible.exceptions import ConfigError
from cible.ingest.engine import QualityOptions, SourceResult, map_source
from cible.ingest.readers import read_source
from cible.quality.results import ValueCount
from tests.conftest import WriteConfig

CUSTOMERS = (
    "id;mail;tel;prenom;nom;sexe;naissance;ville;cp;pays;etat\n"
    "C1; Jean.Dupont@Example.FR ;06 12 34 56 78;jean-pierre;de la fontaine;Mme;03/04/1980;"
    "st etienne;42000;France;NSW\n"
    "C2;bad@localhost;0612;hélène;o'neil;Femal;31/02/1990;Paris 15;75 001;FR;New South Wales\n"
    "C3;;+33 6 12 34 56 79;MARIE;CURIE;U;1843-12-21;Lyon;1000;;VIC\n"
    "C4;x@y.com;;Ann;Lee;M;1990-01-01 00:00:00;lyon;800;Australia;Victoria\n"
    "C5;X@Y.com;;Bob;Lee;;12/12/1990;LYON;;Australia;vic\n"
)
FIELDS: dict[str, Any] = {
    "customer_id": "id",
    "email": "mail",
    "phone": "tel",
    "first_name": "prenom",
    "last_name": "nom",
    "gender": "sexe",
    "birth_date": "naissance",
    "city": "ville",
    "postal_code": "cp",
    "country": "pays",
    "attributes": {"columns": ["etat"]},
}


def _map(
    tmp_path: Path,
    write_config: WriteConfig,
    fields: dict[str, Any] | None = None,
    csv: str = CUSTOMERS,
    **top: Any,
) -> SourceResult:
    (tmp_path / "c.csv").write_text(csv, encoding="utf-8")
    source = {"name": "crm", "kind": "customers", "path": "c.csv", "fields": fields or FIELDS}
    cfg = load_config(write_config({"sources": [source], **top}))
    src = cfg.sources[0]
    options = QualityOptions(cfg.quality, dt.date(2026, 1, 1))
    return map_source(src, read_source(cfg.source_path(src), src), cfg.standardize, options)


def _column(result: SourceResult, name: str) -> list[object]:
    return result.accepted.column(name).to_pylist()


def test_default_standardisers(tmp_path: Path, write_config: WriteConfig) -> None:
    r = _map(tmp_path, write_config)
    assert r.read == 5 and r.accepted.num_rows == 5 and r.quarantine.num_rows == 0
    assert _column(r, "email") == ["jean.dupont@example.fr", None, None, "x@y.com", "x@y.com"]
    assert _column(r, "phone") == ["+33612345678", None, "+33612345679", None, None]
    assert _column(r, "first_name") == ["Jean-Pierre", "Hélène", "Marie", "Ann", "Bob"]
    assert _column(r, "last_name") == ["De la Fontaine", "O'Neil", "Curie", "Lee", "Lee"]
    assert _column(r, "gender") == ["female", "female", "unknown", "male", "unknown"]
    assert _column(r, "birth_date") == [
        dt.date(1980, 4, 3),
        None,  # 31/02 is not a date: flagged, nulled
        dt.date(1843, 12, 21),
        dt.date(1990, 1, 1),
        dt.date(1990, 12, 12),
    ]
    assert _column(r, "city") == ["Saint-Etienne", None, "Lyon", "Lyon", "Lyon"]
    # postal codes read in each row's country (FR by default): 800 in Australia is Darwin
    assert _column(r, "postal_code") == ["42000", "75001", "01000", "0800", None]


def test_flags_reach_the_quality_measures(tmp_path: Path, write_config: WriteConfig) -> None:
    q = _map(tmp_path, write_config).quality
    assert q is not None
    invalid = {c.name: c.n_invalid for c in q.columns if c.n_invalid}
    assert invalid == {"email": 1, "phone": 1, "birth_date": 1, "city": 1}
    # a personal column: the value quoted in the reason is masked
    assert q.column("birth_date").invalid_reasons == (ValueCount("not a calendar date: '…'", 1),)
    assert q.column("attributes.etat").n_distinct == 5
    [state] = q.findings_for("attributes.etat")
    assert state.kind == "same_entity" and state.n_rows == 5
    [gender] = q.findings_for("gender")
    assert {g.canonical: [v.value for v in g.variants] for g in gender.groups} == {
        "female": ["Femal", "Mme"],
        "male": ["M"],
        "unknown": ["U"],
    }


def test_on_invalid_quarantine_names_file_row_column_value_rule(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    fields = {**FIELDS, "email": {"column": "mail", "on_invalid": "quarantine"}}
    r = _map(tmp_path, write_config, fields)
    assert (r.read, r.accepted.num_rows, r.quarantine.num_rows) == (5, 4, 1)
    q = r.quarantine.to_pylist()[0]
    assert (q["row"], q["column"], q["value"], q["rule"]) == (
        2,
        "mail",
        "bad@localhost",
        "standardize:email",
    )
    assert q["message"] == "c.csv row 2 column 'mail': 'bad@localhost': not an e-mail"
    assert r.rule_counts == {"standardize:email": 1}


def test_on_invalid_keep_and_project_default(tmp_path: Path, write_config: WriteConfig) -> None:
    fields = {**FIELDS, "city": {"column": "ville", "on_invalid": "keep"}}
    r = _map(tmp_path, write_config, fields)
    assert _column(r, "city")[1] == "Paris 15"
    r = _map(tmp_path, write_config, standardize={"on_invalid": "quarantine"})
    # row 2 breaks four standardisers (e-mail, phone, date, city): quarantined once, first rule
    assert r.read == r.accepted.num_rows + r.quarantine.num_rows == 5
    assert r.quarantine.column("rule").to_pylist() == ["standardize:email"]


def test_keep_then_allowed_values_still_apply(tmp_path: Path, write_config: WriteConfig) -> None:
    fields = {**FIELDS, "gender": {"column": "sexe", "on_invalid": "keep"}}
    csv = CUSTOMERS.replace(";Femal;", ";Fem;")
    r = _map(tmp_path, write_config, fields, csv=csv)
    rules = dict(
        zip(
            r.quarantine.column("row").to_pylist(),
            r.quarantine.column("rule").to_pylist(),
            strict=True,
        )
    )
    assert rules == {2: "allowed:gender"}


def test_switched_off(tmp_path: Path, write_config: WriteConfig) -> None:
    r = _map(tmp_path, write_config, standardize={"auto": False})
    # without standardisation dd/mm dates do not convert and 'U', 'M' are not allowed genders:
    # optional fields, so the records are kept, the values nulled and kept as read in raw_values
    assert (r.accepted.num_rows, r.quarantine.num_rows, r.rule_counts) == (5, 0, {})
    assert _column(r, "email")[0] == "Jean.Dupont@Example.FR"
    assert _column(r, "gender") == [None] * 5
    assert _column(r, "birth_date") == [
        None,
        None,
        dt.date(1843, 12, 21),
        dt.date(1990, 1, 1),
        None,
    ]
    assert _column(r, "raw_values") == [
        '{"birth_date":"03/04/1980","gender":"Mme"}',
        '{"birth_date":"31/02/1990","gender":"Femal"}',
        '{"gender":"U"}',
        '{"gender":"M"}',
        '{"birth_date":"12/12/1990"}',
    ]
    failures = {f.field: (f.values, f.failed, f.lost, f.by_rule) for f in r.failures}
    assert failures == {
        "birth_date": (5, 3, 3, {"invalid:birth_date": 3}),
        "gender": (4, 4, 4, {"allowed:gender": 4}),
    }
    strict = _map(tmp_path, write_config, standardize={"auto": False, "on_invalid": "quarantine"})
    assert strict.rule_counts == {"allowed:gender": 2, "invalid:birth_date": 3}  # as before
    contact = {"customer_id": "id", "email": "mail", "phone": "tel"}
    r = _map(tmp_path, write_config, contact, standardize={"auto": False})
    assert _column(r, "email")[0] == "Jean.Dupont@Example.FR"
    assert _column(r, "phone")[0] == "06 12 34 56 78"
    fields = {**FIELDS, "first_name": {"column": "prenom", "standardize": "none"}}
    r = _map(tmp_path, write_config, fields)
    assert _column(r, "first_name")[0] == "jean-pierre"
    assert _column(r, "email")[0] == "jean.dupont@example.fr"


def test_field_options_region_date_order_mapping(tmp_path: Path, write_config: WriteConfig) -> None:
    csv = "id;tel;naissance;segment\nA;0412 345 678;04/03/1980;Gold \nB;0612;12/25/1990;silver\n"
    fields = {
        "customer_id": "id",
        "phone": {"column": "tel", "region": "AU"},
        "birth_date": {"column": "naissance", "date_order": "mdy"},
        "city": {"column": "segment", "mapping": {"gold": "Gold", "silver": "Silver"}},
    }
    r = _map(tmp_path, write_config, fields, csv=csv)
    assert _column(r, "phone") == ["+61412345678", None]
    assert _column(r, "birth_date") == [dt.date(1980, 4, 3), dt.date(1990, 12, 25)]
    assert _column(r, "city") == ["Gold", "Silver"]


def test_each_distinct_value_standardised_once(
    tmp_path: Path, write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    original = ingest_standardize.standardize_email

    def counting(raw: object) -> Any:
        if raw is not None:
            seen.append(raw)
        return original(raw)

    monkeypatch.setattr(ingest_standardize, "standardize_email", counting)
    rows = "".join(f"C{i};{'a@b.fr' if i % 2 else 'c@d.fr'}\n" for i in range(1000))
    r = _map(tmp_path, write_config, {"customer_id": "id", "email": "mail"}, csv="id;mail\n" + rows)
    assert r.accepted.num_rows == 1000
    assert sorted(seen) == ["a@b.fr", "c@d.fr"]


def test_timestamps_only_when_asked(tmp_path: Path, write_config: WriteConfig) -> None:
    csv = "id;cree\nA;03/04/2024 10:30\nB;2024-04-03T10:30:00+02:00\n"
    fields = {
        "customer_id": "id",
        "created_at": {"column": "cree", "standardize": "timestamp", "timezone": "Europe/Paris"},
    }
    r = _map(tmp_path, write_config, fields, csv=csv)
    stamps = [t.isoformat() for t in _column(r, "created_at")]
    assert stamps == ["2024-04-03T08:30:00+00:00", "2024-04-03T08:30:00+00:00"]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            {"birth_date": {"column": "x", "standardize": "email"}},
            "field 'birth_date' (date): standardize 'email' applies to string fields",
        ),
        (
            {"city": {"column": "x", "standardize": "category"}},
            "standardize 'category' needs a 'mapping'",
        ),
        (
            {"attributes": {"columns": ["x"], "standardize": "name"}},
            "field 'attributes' (json): standardize 'name' applies to string fields",
        ),
    ],
)
def test_config_refuses_standardisers_that_do_not_fit(
    write_config: WriteConfig, field: dict[str, Any], message: str
) -> None:
    source = {
        "name": "crm",
        "kind": "customers",
        "path": "c.csv",
        "fields": {"customer_id": "id", **field},
    }
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(write_config({"sources": [source]}))


def test_ambiguous_category_mapping_is_a_config_error(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    fields = {"customer_id": "id", "city": {"column": "mail", "mapping": {"A": "x", "a": "y"}}}
    with pytest.raises(
        ConfigError, match="source 'crm' field 'city': category mapping is ambiguous"
    ):
        _map(tmp_path, write_config, fields)


def test_unknown_threshold_column_refused(write_config: WriteConfig) -> None:
    source = {"name": "crm", "kind": "customers", "path": "c.csv", "fields": {"customer_id": "id"}}
    with pytest.raises(
        ConfigError, match=r"quality.thresholds name unknown column\(s\) \['emial'\]"
    ):
        load_config(
            write_config(
                {
                    "sources": [source],
                    "quality": {"thresholds": {"max_missing_rate": {"emial": 0.1}}},
                }
            )
        )


def test_event_categories_through_a_mapping(tmp_path: Path, write_config: WriteConfig) -> None:
    (tmp_path / "e.csv").write_text(
        "cid,ts,cat\nC1,2025-01-01 10:00:00,High-Tech\nC1,2025-01-02 10:00:00,HIGH TECH\n"
        "C2,2025-01-03 10:00:00,jardin\nC2,2025-01-04 10:00:00,toys\n"
    )
    source = {
        "name": "web",
        "kind": "events",
        "path": "e.csv",
        "fields": {
            "customer_id": "cid",
            "timestamp": "ts",
            "event_type": {"value": "page_view"},
            "category": {
                "column": "cat",
                "mapping": {"high-tech": "electronics", "jardin": "garden"},
            },
        },
    }
    cfg = load_config(write_config({"sources": [source]}))
    src = cfg.sources[0]
    options = QualityOptions(cfg.quality, dt.date(2026, 1, 1))
    r = map_source(src, read_source(cfg.source_path(src), src), cfg.standardize, options)
    assert _column(r, "category") == ["electronics", "electronics", "garden", None]
    assert r.quality is not None
    category = r.quality.column("category")
    assert (category.n_invalid, category.invalid_reasons) == (
        1,
        (ValueCount("not in the category mapping", 1),),
    )
    [finding] = r.quality.findings_for("category")
    assert {g.canonical: [v.value for v in g.variants] for g in finding.groups} == {
        "electronics": ["HIGH TECH", "High-Tech"],
        "garden": ["jardin"],
        None: ["toys"],
    }
