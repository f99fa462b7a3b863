"""Tests of :func:`cible.synth.generate_world`: formats, planted defects, determinism, and that
k-means on nine behavioural features finds the planted personas again (integration)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from cible.synth import PERSONAS, GenerateSummary, generate, generate_world
from cible.synth.crm import typo
from cible.synth.generate import FILE_NAMES, plan_chunks

SMALL = 1_000
AS_OF = pd.Timestamp("2026-07-01")
WEB_TYPES = {"page_view", "product_view", "cart_add", "email_open", "email_click"}
CUSTOMER_HEADER = (
    "client_id;civilite;prenom;nom;email;telephone;date_naissance;ville;code_postal;pays;"
    "date_creation;optin_email;optin_sms;optin_push"
)
ORDER_HEADER = (
    "order_id,line_no,customer_id,order_date,sku,category,quantity,unit_price,status,channel,device"
)
FEATURES = [
    "recency_days", "frequency", "monetary", "avg_basket", "tenure_days",
    "mean_interpurchase_days", "refund_rate", "events_30d", "events_90d",
]  # fmt: skip


# --------------------------------------------------------------------------- reading the files


def read_customers(out: Path) -> tuple[pd.DataFrame, int]:
    """Well-formed CRM rows (with a valid date_creation) and the number of malformed rows."""
    text = (out / "customers.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], rows[1:]
    shaped = [r for r in body if len(r) == len(header)]
    frame = pd.DataFrame(shaped, columns=header)
    created = pd.to_datetime(frame["date_creation"], format="%d/%m/%Y", errors="coerce")
    good = frame["client_id"].ne("") & created.notna()
    frame = frame[good].assign(created=created[good])
    return frame, len(body) - len(frame)


def read_orders(out: Path) -> tuple[pd.DataFrame, int]:
    """Valid order rows with ``ts`` and ``amount``, and the number of malformed rows."""
    raw = pd.read_csv(out / "orders.csv", dtype=str, keep_default_na=False)
    quantity = pd.to_numeric(raw["quantity"], errors="coerce")
    price = pd.to_numeric(raw["unit_price"], errors="coerce")
    ts = pd.to_datetime(raw["order_date"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    good = raw["customer_id"].ne("") & ts.notna() & (quantity > 0) & (price >= 0)
    frame = raw[good].assign(ts=ts[good], amount=(quantity * price)[good])
    return frame, int((~good).sum())


def read_web(out: Path) -> tuple[pd.DataFrame, int]:
    """Valid web events (``user``, ``type``, ``ts``) and the number of malformed lines."""
    records, bad = [], 0
    with open(out / "web_events.jsonl", encoding="utf-8") as handle:
        for line in handle:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if not event.get("user") or event.get("type") not in WEB_TYPES:
                bad += 1
                continue
            records.append((event["user"], event["type"], event["ts"], event["channel"]))
    frame = pd.DataFrame(records, columns=["user", "type", "ts", "channel"])
    frame["ts"] = pd.to_datetime(frame["ts"], format="%Y-%m-%dT%H:%M:%SZ")
    return frame, bad


def compute_features(orders: pd.DataFrame, web: pd.DataFrame) -> pd.DataFrame:
    """The nine behavioural features at AS_OF for every customer with a purchase."""
    day = pd.Timedelta(days=1)
    purchases = orders[orders["status"].eq("completed")]
    returned = orders[orders["status"].eq("returned")]
    per_order = purchases.groupby(["customer_id", "order_id"])["ts"].min().groupby(level=0)
    first, last, frequency = per_order.min(), per_order.max(), per_order.size()
    gross = purchases.groupby("customer_id")["amount"].sum()
    refunded = returned.groupby("customer_id")["amount"].sum().reindex(gross.index, fill_value=0)
    events = pd.concat(
        [
            orders[["customer_id", "ts"]],
            web.rename(columns={"user": "customer_id"})[["customer_id", "ts"]],
        ]
    )
    events = events[events["ts"] < AS_OF]
    first_event = events.groupby("customer_id")["ts"].min()
    recent = {
        n: events[events["ts"] >= AS_OF - n * day].groupby("customer_id").size() for n in (30, 90)
    }
    recency = (AS_OF - last) / day
    features = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency,
            "monetary": gross - refunded,
            "avg_basket": gross / frequency,
            "tenure_days": (AS_OF - first_event.reindex(gross.index)) / day,
            "mean_interpurchase_days": ((last - first) / day / (frequency - 1)).where(
                frequency >= 2, recency
            ),
            "refund_rate": (refunded / gross).clip(0, 1),
            "events_30d": recent[30].reindex(gross.index, fill_value=0),
            "events_90d": recent[90].reindex(gross.index, fill_value=0),
        }
    )
    return features.astype("float64")


def choose_k(features: pd.DataFrame) -> tuple[int, np.ndarray, dict[int, float]]:
    """log1p (all but refund_rate), z-scores, k-means++ for k = 2..10, best sampled silhouette."""
    logged = features.copy()
    for column in FEATURES:
        if column != "refund_rate":
            logged[column] = np.log1p(logged[column])
    data = StandardScaler().fit_transform(logged[FEATURES].to_numpy())
    best_k, best_labels, scores = 0, np.empty(0), {}
    for k in range(2, 11):
        labels = KMeans(k, init="k-means++", n_init=10, random_state=0).fit_predict(data)
        scores[k] = silhouette_score(data, labels, sample_size=5_000, random_state=0)
        if scores[k] > scores.get(best_k, -1.0):
            best_k, best_labels = k, labels
    return best_k, best_labels, scores


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def small(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[GenerateSummary, list[tuple[int, int]]]:
    """A 1,000-customer world (seed 42) and the progress calls it made."""
    calls: list[tuple[int, int]] = []
    out = tmp_path_factory.mktemp("small")
    summary = generate_world(
        SMALL, 42, out, progress=lambda done, total: calls.append((done, total))
    )
    return summary, calls


@pytest.fixture(scope="module")
def small_out(small: tuple[GenerateSummary, list[tuple[int, int]]]) -> Path:
    return small[0].out_dir


@pytest.fixture(scope="module")
def truth(small_out: Path) -> pd.DataFrame:
    return pd.read_csv(small_out / "truth.csv", dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- arguments, summary


@pytest.mark.parametrize("n", [999, 1_000_001, 0])
def test_rejects_customer_counts_outside_the_range(tmp_path: Path, n: int) -> None:
    with pytest.raises(ValueError, match=r"between 1,000 and 1,000,000, got"):
        generate_world(n, 42, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_rejects_a_negative_seed(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        generate_world(SMALL, -1, tmp_path)


def test_summary_counts_match_the_files(
    small: tuple[GenerateSummary, list[tuple[int, int]]],
) -> None:
    summary, _ = small
    lines = {name: (summary.out_dir / name).read_bytes().count(b"\n") for name in FILE_NAMES}
    assert summary.n_customers == SMALL
    assert summary.n_duplicates == 30
    assert summary.n_customer_rows == lines["customers.csv"] - 1 == SMALL + 30 + 3
    assert summary.n_order_rows == lines["orders.csv"] - 1
    assert summary.n_web_event_rows == lines["web_events.jsonl"]  # JSON lines have no header
    assert lines["truth.csv"] - 1 == SMALL + 30
    assert (summary.seed, summary.start, summary.end) == (42, date(2024, 7, 1), date(2026, 6, 30))
    per_customer = (summary.n_order_rows + summary.n_web_event_rows) / SMALL
    assert 40 <= per_customer <= 60


def test_progress_ends_with_all_customers_done(
    small: tuple[GenerateSummary, list[tuple[int, int]]],
) -> None:
    assert small[1] == [(SMALL, SMALL)]


def test_progress_is_called_after_each_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "CHUNK_SIZE", 400)
    calls: list[tuple[int, int]] = []
    generate_world(SMALL, 42, tmp_path, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(400, SMALL), (800, SMALL), (SMALL, SMALL)]


def test_accounts_are_numbered_up_front_chunk_by_chunk() -> None:
    plans = plan_chunks(60_000)
    assert [(p.first_customer, p.size) for p in plans] == [
        (1, 25_000),
        (25_001, 25_000),
        (50_001, 10_000),
    ]
    assert [p.first_duplicate for p in plans] == [60_001, 60_751, 61_501]
    assert [p.first_junk for p in plans] == [61_801, 61_853, 61_905]


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_files(tmp_path: Path, small_out: Path) -> None:
    generate_world(SMALL, 42, tmp_path)
    for name in FILE_NAMES:
        assert sha256(tmp_path / name) == sha256(small_out / name), name


def test_another_seed_gives_other_files(tmp_path: Path, small_out: Path) -> None:
    generate_world(SMALL, 43, tmp_path)
    for name in FILE_NAMES:
        assert sha256(tmp_path / name) != sha256(small_out / name), name


# --------------------------------------------------------------------------- customers.csv


def test_customers_csv_is_utf8_with_bom_and_semicolons(small_out: Path) -> None:
    raw = (small_out / "customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + CUSTOMER_HEADER.encode() + b"\n")
    first = raw.decode("utf-8-sig").splitlines()[1].split(";")
    assert len(first) == 14
    assert first[0] == "C0000001"
    assert first[9] == "France"
    assert set(first[11:]) <= {"oui", "non"}


def test_customer_fields_follow_the_french_formats(small_out: Path) -> None:
    customers, _ = read_customers(small_out)
    assert customers["civilite"].isin(["Mme", "M.", ""]).all()
    assert customers["code_postal"].str.fullmatch(r"\d{5}").all()
    assert customers["code_postal"].str.startswith("0").any()
    phones = customers.loc[customers["telephone"].ne(""), "telephone"]
    styles = {
        r"0[67]( \d\d){4}", r"\+33[67]\d{8}", r"0[67]\d{8}", r"0[67](\.\d\d){4}",
    }  # fmt: skip
    assert all(phones.str.fullmatch(s).any() for s in styles)
    assert phones.str.fullmatch("|".join(f"(?:{s})" for s in styles)).all()
    births = customers.loc[customers["date_naissance"].ne(""), "date_naissance"]
    assert pd.to_datetime(births, format="%d/%m/%Y").dt.year.between(1941, 2007).all()
    emails = customers["email"].str.strip().str.lower()
    assert emails.str.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.com").all()
    assert customers["prenom"].str.contains("[éèëïîôçÉ]").any()
    assert customers["ville"].str.contains("Saint|Sainte").any()


def test_planted_missing_values(small_out: Path) -> None:
    customers, _ = read_customers(small_out)
    real = customers[customers["client_id"] <= f"C{SMALL:07d}"]
    assert len(real) == SMALL
    assert real["telephone"].eq("").mean() == pytest.approx(0.05, abs=0.02)
    assert real["date_naissance"].eq("").mean() == pytest.approx(0.03, abs=0.015)
    assert real["ville"].eq("").mean() == pytest.approx(0.04, abs=0.015)
    assert real.loc[real["ville"].eq(""), "code_postal"].str.fullmatch(r"\d{5}").all()


def test_date_creation_is_before_the_first_event(small_out: Path) -> None:
    customers, _ = read_customers(small_out)
    orders, _ = read_orders(small_out)
    web, _ = read_web(small_out)
    first = (
        pd.concat([orders.groupby("customer_id")["ts"].min(), web.groupby("user")["ts"].min()])
        .groupby(level=0)
        .min()
    )
    created = customers.set_index("client_id")["created"]
    both = pd.concat([created, first.rename("first")], axis=1, join="inner")
    assert len(both) == SMALL + 30
    assert (both["created"] < both["first"].dt.normalize()).all()


# --------------------------------------------------------------------------- truth, duplicates


def test_truth_covers_every_real_and_duplicate_account(
    small_out: Path, truth: pd.DataFrame
) -> None:
    customers, _ = read_customers(small_out)
    real = [f"C{i:07d}" for i in range(1, SMALL + 1)]
    duplicates = [f"C{i:07d}" for i in range(SMALL + 1, SMALL + 31)]
    assert truth["customer_id"].tolist() == real + duplicates
    assert truth["persona"].isin([p.key for p in PERSONAS]).all()
    assert set(truth["customer_id"]) <= set(customers["client_id"])
    text = (small_out / "customers.csv").read_text(encoding="utf-8-sig")
    every_id = {row[0] for row in csv.reader(io.StringIO(text), delimiter=";")} - {"client_id"}
    assert every_id - set(truth["customer_id"]) == {"", "C0001032", "C0001033"}  # junk rows


def test_duplicates_are_three_percent_and_point_to_the_same_person(
    small_out: Path, truth: pd.DataFrame
) -> None:
    customers, _ = read_customers(small_out)
    by_id = customers.set_index("client_id")
    dups = truth[truth["duplicate_of"].ne("")]
    assert len(dups) / SMALL == pytest.approx(0.03)
    originals = truth.set_index("customer_id").loc[dups["duplicate_of"]]
    assert (originals["duplicate_of"] == "").all()
    assert (originals["persona"].to_numpy() == dups["persona"].to_numpy()).all()
    left = by_id.loc[dups["customer_id"]].reset_index(drop=True)
    right = by_id.loc[dups["duplicate_of"]].reset_index(drop=True)
    assert (left["email"].str.strip().str.lower() == right["email"].str.strip().str.lower()).all()
    assert (left["date_naissance"] == right["date_naissance"]).all()
    changed = (
        left[["prenom", "nom", "telephone", "email"]]
        != right[["prenom", "nom", "telephone", "email"]]
    )
    assert (changed.sum(axis=1) == 1).all()
    assert (left["created"] > right["created"]).all()


def test_duplicates_have_no_orders_but_a_few_email_opens(
    small_out: Path, truth: pd.DataFrame
) -> None:
    orders, _ = read_orders(small_out)
    web, _ = read_web(small_out)
    dups = set(truth.loc[truth["duplicate_of"].ne(""), "customer_id"])
    assert not set(orders["customer_id"]) & dups
    opens = web[web["user"].isin(dups)]
    assert set(opens["type"]) == {"email_open"}
    assert set(opens["channel"]) == {"email"}
    assert opens.groupby("user").size().between(1, 4).all()
    assert opens["user"].nunique() == 30


def test_typo_changes_exactly_one_letter() -> None:
    assert typo("Lefèvre", 0, 0.5) == "Lefavre"
    assert typo("Lefèvre", 1, 0.5) == "Lefvre"
    assert typo("Lefèvre", 2, 0.5) == "Lefvère"
    assert typo("Zoé", 1, 0.9) == "Zé"
    assert typo("Lee", 2, 0.9) == "Le"  # swapping equal letters would change nothing: drop one


# --------------------------------------------------------------------------- orders.csv


def test_orders_format(small_out: Path) -> None:
    raw = (small_out / "orders.csv").read_text(encoding="utf-8")
    assert raw.startswith(ORDER_HEADER + "\n")
    orders, _ = read_orders(small_out)
    assert orders["order_id"].str.fullmatch(r"O\d{8}").all()
    assert orders["sku"].str.fullmatch(r"SKU-\d{4}").all()
    assert set(orders["category"]) == {
        "Maison", "Mode", "Beauté", "Sport", "High-Tech", "Jardin", "Enfants", "Épicerie",
    }  # fmt: skip
    assert orders["unit_price"].str.fullmatch(r"\d+\.\d\d").all()
    assert orders["line_no"].astype(int).between(1, 6).all()
    assert set(orders["status"]) == {"completed", "returned"}
    assert set(orders["channel"]) == {"web", "app", "store"}
    assert (orders["device"].eq("") == orders["channel"].eq("store")).all()
    assert (
        orders["ts"].between(pd.Timestamp("2024-07-01"), pd.Timestamp("2026-06-30 23:59:59")).all()
    )


def test_every_real_customer_has_a_purchase(small_out: Path) -> None:
    orders, _ = read_orders(small_out)
    buyers = set(orders.loc[orders["status"].eq("completed"), "customer_id"])
    assert buyers == {f"C{i:07d}" for i in range(1, SMALL + 1)}


def test_returns_repeat_the_purchased_line_later(small_out: Path) -> None:
    orders, _ = read_orders(small_out)
    keys = ["order_id", "line_no"]
    bought = orders[orders["status"].eq("completed")]
    returned = orders[orders["status"].eq("returned")]
    assert len(returned) > 0
    pairs = returned.merge(bought, on=keys, suffixes=("", "_bought"), validate="one_to_one")
    assert len(pairs) == len(returned)
    for column in ["customer_id", "sku", "category", "quantity", "unit_price", "channel", "device"]:
        assert (pairs[column] == pairs[f"{column}_bought"]).all(), column
    delay = (pairs["ts"] - pairs["ts_bought"]) / pd.Timedelta(days=1)
    assert delay.min() >= 2.0


# --------------------------------------------------------------------------- web_events.jsonl


def test_web_events_are_json_lines_with_fixed_keys(small_out: Path) -> None:
    first = (small_out / "web_events.jsonl").read_text(encoding="utf-8").splitlines()[0]
    event = json.loads(first)
    assert list(event) == ["id", "user", "type", "ts", "channel", "device", "product", "category"]
    assert first == json.dumps(event, ensure_ascii=False)
    assert event["id"] == "W000000001"
    web, _ = read_web(small_out)
    assert set(web["type"]) == WEB_TYPES
    emails = web["type"].str.startswith("email")
    assert (web.loc[emails, "channel"] == "email").all()
    assert set(web.loc[~emails, "channel"]) == {"web", "app"}
    assert web["ts"].between(pd.Timestamp("2024-07-01"), pd.Timestamp("2026-06-30 23:59:59")).all()


# --------------------------------------------------------------------------- malformed rows


def test_malformed_rows_are_planted_in_every_file(
    small: tuple[GenerateSummary, list[tuple[int, int]]],
) -> None:
    summary, _ = small
    _, bad_customers = read_customers(summary.out_dir)
    _, bad_orders = read_orders(summary.out_dir)
    _, bad_events = read_web(summary.out_dir)
    assert bad_customers == 3
    assert bad_orders == round(0.002 * (summary.n_order_rows - bad_orders))
    assert bad_events == round(0.002 * (summary.n_web_event_rows - bad_events))
    assert bad_customers + bad_orders + bad_events == summary.n_malformed


def test_each_kind_of_malformed_row_is_present(small_out: Path) -> None:
    text = (small_out / "customers.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert sum(len(r) == 15 for r in rows) == 1
    assert sum(len(r) == 14 and r[0] == "" for r in rows) == 1
    orders = pd.read_csv(small_out / "orders.csv", dtype=str, keep_default_na=False)
    assert orders["quantity"].isin(["two", "1,5"]).sum() >= 2
    assert orders["unit_price"].str.startswith("-").any()
    assert orders["order_date"].str.contains(r"-02-30 |-11-31 |2026-02-29").any()
    assert orders["customer_id"].eq("").any()
    lines = (small_out / "web_events.jsonl").read_text(encoding="utf-8").splitlines()
    assert any('"type": "pageview??"' in line for line in lines)
    assert any('"user": null' in line for line in lines)
    assert any('"user"' not in line for line in lines)
    assert any(not line.endswith("}") for line in lines)


# --------------------------------------------------------------------------- personas


@pytest.mark.integration
def test_kmeans_recovers_the_personas(tmp_path: Path) -> None:
    summary = generate_world(20_000, 42, tmp_path)
    orders, _ = read_orders(tmp_path)
    web, _ = read_web(tmp_path)
    features = compute_features(orders, web)
    truth = pd.read_csv(tmp_path / "truth.csv", dtype=str, keep_default_na=False)
    persona = truth.set_index("customer_id").loc[features.index, "persona"]
    assert len(features) == summary.n_customers
    shares = persona.value_counts(normalize=True)
    assert shares.between(0.08, 0.20).all()
    k, labels, scores = choose_k(features)
    assert k == len(PERSONAS) == 8
    assert adjusted_rand_score(persona, labels) >= 0.85
    runner_up = max(score for kk, score in scores.items() if kk != k)
    assert scores[k] - runner_up > 0.01
