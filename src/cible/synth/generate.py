"""Write a synthetic world to disk, chunk by chunk: :func:`generate_world`.

Customers are simulated in chunks of :data:`CHUNK_SIZE`; chunk ``i`` draws everything from its own
generator ``numpy.random.default_rng([seed, i])`` and its rows are appended to the four files
before the next chunk starts, so memory stays flat whatever the number of customers, and the same
seed always writes byte-identical files. Accounts are numbered: true customers ``1..n``, then their
duplicates, then the malformed CRM rows; duplicate rows are written after all true customers.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from cible.synth import clickstream, crm, shop, text_arrays
from cible.synth.activity import WebEvents, draw_population, simulate_orders
from cible.synth.catalogue import CATEGORIES, Catalogue, build_catalogue
from cible.synth.engagement import EMAIL_OPEN, concat_events, email_events, simulate_engagement
from cible.synth.personas import (
    WINDOW_DAYS,
    WINDOW_END,
    WINDOW_START,
    assign_personas,
    persona_keys,
)

CHUNK_SIZE = 25_000
MIN_CUSTOMERS = 1_000
MAX_CUSTOMERS = 1_000_000
DUPLICATE_SHARE = 0.03
MALFORMED_SHARE = 0.002
CATALOGUE_STREAM = 1_000_000
"""Second seed word of the catalogue's generator (chunk indices stay far below it)."""
FILE_NAMES = ("customers.csv", "orders.csv", "web_events.jsonl", "truth.csv")
TRUTH_COLUMNS = ("customer_id", "persona", "duplicate_of")
_UTF8_BOM = b"\xef\xbb\xbf"
_MAX_DUPLICATE_OPENS = 4


@dataclass(frozen=True)
class GenerateSummary:
    """What :func:`generate_world` wrote."""

    out_dir: Path
    n_customers: int
    n_customer_rows: int
    n_order_rows: int
    n_web_event_rows: int
    n_duplicates: int
    n_malformed: int
    seed: int
    start: date
    end: date


@dataclass(frozen=True)
class ChunkPlan:
    """Which accounts a chunk creates: true customers ``first_customer..+size-1``, their
    duplicates from ``first_duplicate`` and malformed CRM rows from ``first_junk``."""

    index: int
    first_customer: int
    size: int
    first_duplicate: int
    n_duplicates: int
    first_junk: int
    n_junk: int


@dataclass(frozen=True)
class _Files:
    """The four output files, open for binary writing."""

    customers: BinaryIO
    orders: BinaryIO
    events: BinaryIO
    truth: BinaryIO


@dataclass(frozen=True)
class _Written:
    """Rows one chunk wrote (or left for the end, for the duplicates)."""

    orders: int
    order_rows: int
    event_rows: int
    malformed: int
    duplicate_lines: pa.Array
    duplicate_truth: pa.Array


def plan_chunks(n_customers: int) -> list[ChunkPlan]:
    """Split ``n_customers`` into chunks and number every account they create up front."""
    sizes = [min(CHUNK_SIZE, n_customers - s) for s in range(0, n_customers, CHUNK_SIZE)]
    n_dups = [round(s * DUPLICATE_SHARE) for s in sizes]
    n_junk = [int(np.ceil((s + d) * MALFORMED_SHARE)) for s, d in zip(sizes, n_dups, strict=True)]
    first_junk = n_customers + sum(n_dups) + 1
    plans = []
    for i, size in enumerate(sizes):
        plans.append(
            ChunkPlan(
                index=i,
                first_customer=i * CHUNK_SIZE + 1,
                size=size,
                first_duplicate=n_customers + sum(n_dups[:i]) + 1,
                n_duplicates=n_dups[i],
                first_junk=first_junk + sum(n_junk[:i]),
                n_junk=n_junk[i],
            )
        )
    return plans


def _check_arguments(n_customers: int, seed: int) -> None:
    if not MIN_CUSTOMERS <= n_customers <= MAX_CUSTOMERS:
        raise ValueError(
            f"n_customers must be between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,}, "
            f"got {n_customers:,}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")


def generate_world(
    n_customers: int,
    seed: int,
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Write ``customers.csv``, ``orders.csv``, ``web_events.jsonl`` and ``truth.csv`` for
    ``n_customers`` true customers into ``out_dir`` (created if needed, files overwritten).

    ``progress(done, total)`` is called after each chunk with the number of true customers done.
    Raises :class:`ValueError` if ``n_customers`` is outside 1,000..1,000,000 or ``seed`` < 0.
    """
    _check_arguments(n_customers, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = build_catalogue(np.random.default_rng([seed, CATALOGUE_STREAM]))
    plans = plan_chunks(n_customers)
    next_order, next_event, order_rows, event_rows, malformed = 1, 1, 0, 0, 0
    pending: list[_Written] = []
    with ExitStack() as stack:
        handles = [stack.enter_context(open(out_dir / name, "wb")) for name in FILE_NAMES]
        files = _Files(*handles)
        _write_headers(files)
        for plan in plans:
            written = _write_chunk(files, plan, seed, catalogue, next_order, next_event)
            next_order += written.orders
            next_event += written.event_rows
            order_rows += written.order_rows
            event_rows += written.event_rows
            malformed += written.malformed
            pending.append(written)
            if progress is not None:
                progress(plan.first_customer + plan.size - 1, n_customers)
        for written in pending:
            text_arrays.write_lines(files.customers, written.duplicate_lines)
            text_arrays.write_lines(files.truth, written.duplicate_truth)
    n_duplicates = sum(p.n_duplicates for p in plans)
    return GenerateSummary(
        out_dir=out_dir,
        n_customers=n_customers,
        n_customer_rows=n_customers + n_duplicates + sum(p.n_junk for p in plans),
        n_order_rows=order_rows,
        n_web_event_rows=event_rows,
        n_duplicates=n_duplicates,
        n_malformed=malformed,
        seed=seed,
        start=WINDOW_START,
        end=WINDOW_END,
    )


def _write_headers(files: _Files) -> None:
    files.customers.write(_UTF8_BOM + (";".join(crm.CUSTOMER_COLUMNS) + "\n").encode("utf-8"))
    files.orders.write((",".join(shop.ORDER_COLUMNS) + "\n").encode("utf-8"))
    files.truth.write((",".join(TRUTH_COLUMNS) + "\n").encode("utf-8"))


def _junk_count(rows: int) -> int:
    """Number of malformed rows planted among ``rows`` real ones (at least one)."""
    return max(1, round(rows * MALFORMED_SHARE))


def _write_chunk(
    files: _Files,
    plan: ChunkPlan,
    seed: int,
    catalogue: Catalogue,
    first_order: int,
    first_event: int,
) -> _Written:
    """Simulate one chunk, append its rows to the files, return what it wrote."""
    rng = np.random.default_rng([seed, plan.index])
    persona = assign_personas(rng, plan.size)
    population = draw_population(rng, persona)
    lines, returns = simulate_orders(rng, population, catalogue)
    web = simulate_engagement(rng, population, lines, catalogue, len(CATEGORIES))

    numbers = plan.first_customer + np.arange(plan.size)
    identities = crm.draw_identities(rng, numbers, crm.creation_days(rng, population.join))
    originals = np.sort(rng.choice(plan.size, size=plan.n_duplicates, replace=False))
    duplicates = crm.duplicate_identities(rng, crm.subset(identities, originals))
    dup_numbers = plan.first_duplicate + np.arange(plan.n_duplicates)
    junk_numbers = plan.first_junk + np.arange(plan.n_junk)
    customer_lines = crm.customer_lines(text_arrays.identifiers("C", numbers, 7), identities)
    junk_lines = crm.junk_customer_lines(rng, junk_numbers)
    text_arrays.write_lines(
        files.customers, text_arrays.interleave(rng, customer_lines, junk_lines)
    )
    text_arrays.write_lines(files.truth, _truth_lines(numbers, persona, None))

    orders = shop.order_rows(lines, returns, first_order, plan.first_customer)
    n_orders = int(lines.order.max()) + 1
    n_order_junk = _junk_count(len(orders))
    orders = shop.with_junk(rng, orders, n_order_junk, first_order + n_orders)
    text_arrays.write_lines(files.orders, shop.order_lines(orders, catalogue))

    opens = _duplicate_opens(rng, duplicates.created_day, offset=plan.size)
    events = clickstream.event_rows(
        concat_events([web, opens]), np.concatenate([numbers, dup_numbers])
    )
    n_event_junk = _junk_count(len(events))
    events = clickstream.with_junk(rng, events, n_event_junk)
    text_arrays.write_lines(
        files.events, clickstream.event_lines(rng, events, first_event, catalogue)
    )
    return _Written(
        orders=n_orders + n_order_junk,
        order_rows=len(orders),
        event_rows=len(events),
        malformed=plan.n_junk + n_order_junk + n_event_junk,
        duplicate_lines=crm.customer_lines(
            text_arrays.identifiers("C", dup_numbers, 7), duplicates
        ),
        duplicate_truth=_truth_lines(dup_numbers, persona[originals], numbers[originals]),
    )


def _duplicate_opens(rng: np.random.Generator, created_day: np.ndarray, offset: int) -> WebEvents:
    """A few newsletter opens of each duplicate account, after it was created; customers are
    numbered from ``offset`` (after the chunk's true customers)."""
    counts = rng.integers(1, _MAX_DUPLICATE_OPENS + 1, size=len(created_day))
    account = np.repeat(np.arange(created_day.shape[0]), counts)
    window_day = created_day - text_arrays.window_day_to_epoch_day(np.zeros(1))[0]
    start = np.clip(window_day[account] + 1.0, 0.0, WINDOW_DAYS - 1.0)
    day = start + rng.uniform(size=len(account)) * (WINDOW_DAYS - start)
    kind = np.full(account.shape[0], EMAIL_OPEN, dtype=np.int8)
    return email_events(rng, account + offset, day, kind)


def _truth_lines(numbers: np.ndarray, persona: np.ndarray, original: np.ndarray | None) -> pa.Array:
    """Lines of ``truth.csv``: account, persona key, original account for duplicates."""
    duplicate_of = "" if original is None else text_arrays.identifiers("C", original, 7)
    ids = text_arrays.identifiers("C", numbers, 7)
    return text_arrays.join([ids, text_arrays.labels(persona_keys(), persona), duplicate_of], ",")
