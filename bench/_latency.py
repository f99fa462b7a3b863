"""Where the latency publish -> committed membership goes, from the consumer's batch reports.

A library module of ``bench/realtime.py`` (the leading underscore: not a bench of its own, like
``_emit.py``): it measures nothing by itself and prints nothing; its figures are machine-readable
as the ``"latency_breakdown"`` object inside realtime.py's last line, ``{"bench": "realtime",
..., "latency_breakdown": {"queue_p99_ms": ..., "statements_p99_ms": ..., ...}}``.

Each stamped message's latency (commit of its batch - send time) is cut into parts that add up
to it exactly::

    queue       received_at - sent_at: in RabbitMQ and the socket until pika read it (this
                includes the wait for the previous batch to finish: the consumer reads the socket
                only inside ``receive``)
    fill        batch started - received_at: in the adapter's buffer, waiting for the batch to be
                handed over (the flush policy)
    parse       the batch's parse
    statements  the apply transaction's statements
    commit      its COMMIT (the WAL flush)
    other       the rest up to the commit time (online store, audiences, Python in between)

After ``committed_at`` a batch still acknowledges (``ack``) and relays its outbox (``relay``):
not part of its own messages' latency, but the next batch's messages wait for them (in
``queue``). For each part: p50 and p99 over the messages, and ``tail`` = its mean over the
messages at or above the total's p99 (what the slowest 1 % waited on).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

PARTS = ("queue", "fill", "parse", "statements", "commit", "other")
BATCH_STEPS = ("receive", "ack", "relay")


def breakdown(reports: Sequence[Any]) -> dict[str, Any]:
    """The parts (ms) at p50 / p99 / tail, the batch sizes and the after-commit steps."""
    rows: list[list[float]] = []
    sizes: list[int] = []
    steps: dict[str, list[float]] = {s: [] for s in BATCH_STEPS}
    for r in reports:
        if not hasattr(r, "received_at"):  # a consumer without the breakdown (older code)
            continue
        sizes.append(r.received)
        for s in BATCH_STEPS:
            steps[s].append(r.timings.get(s, 0.0))
        t = r.timings
        inside = [t.get("parse", 0.0), t.get("statements", 0.0), t.get("commit", 0.0)]
        batch_ms = (r.committed_at - r.started_at) * 1000
        for sent, received in zip(r.sent_at, r.received_at, strict=True):
            queue = (received - sent) * 1000
            fill = (r.started_at - received) * 1000
            rows.append([queue, fill, *inside, batch_ms - sum(inside), queue + fill + batch_ms])
    if not rows:
        return {"batches": len(reports)}
    a = np.asarray(rows)
    total = a[:, -1]
    slow = a[total >= np.percentile(total, 99)]
    out: dict[str, Any] = {}
    for i, part in enumerate(PARTS):
        out[f"{part}_p50_ms"] = float(np.percentile(a[:, i], 50))
        out[f"{part}_p99_ms"] = float(np.percentile(a[:, i], 99))
        out[f"{part}_tail_ms"] = float(slow[:, i].mean())
    out["tail_total_ms"] = float(slow[:, -1].mean())
    out["batch_size_p50"] = float(np.percentile(sizes, 50))
    out["batch_size_p99"] = float(np.percentile(sizes, 99))
    out["batches"] = len(sizes)
    for s, values in steps.items():
        out[f"{s}_p50_ms"] = float(np.percentile(values, 50))
        out[f"{s}_p99_ms"] = float(np.percentile(values, 99))
    return out


def describe(b: dict[str, Any]) -> list[str]:
    """The breakdown as text lines (part: p50 / p99 / tail)."""
    if "queue_p50_ms" not in b:
        return ["  (no breakdown: the consumer does not report one)"]
    lines = [f"  {'part':<11}{'p50 ms':>9}{'p99 ms':>9}{'tail ms':>9}"]
    for part in PARTS:
        lines.append(
            f"  {part:<11}{b[f'{part}_p50_ms']:>9.1f}{b[f'{part}_p99_ms']:>9.1f}"
            f"{b[f'{part}_tail_ms']:>9.1f}"
        )
    lines.append(f"  tail total {b['tail_total_ms']:.1f} ms (mean of the slowest 1 %)")
    if "gc2_count" in b:
        lines.append(
            "  GC pauses: "
            + ", ".join(
                f"gen{g} {b[f'gc{g}_count']:.0f} x, max {b[f'gc{g}_max_ms']:.1f} ms"
                for g in (0, 1, 2)
            )
        )
    lines.append(
        f"  {b['batches']} batches, size p50 {b['batch_size_p50']:.0f} p99 "
        f"{b['batch_size_p99']:.0f}; after commit: "
        + ", ".join(
            f"{s} p50 {b[f'{s}_p50_ms']:.1f} p99 {b[f'{s}_p99_ms']:.1f} ms" for s in steps_()
        )
    )
    return lines


def steps_() -> tuple[str, ...]:
    return BATCH_STEPS
