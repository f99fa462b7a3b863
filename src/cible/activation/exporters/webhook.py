"""A webhook: the records as batched JSON POSTs, each signed and carrying an idempotency key.

Body: ``{"export", "audience", "channel", "batch", "batches", "records": [...]}``. Headers:
``X-Cible-Signature: sha256=<HMAC-SHA256 of the body with CIBLE_EXPORT_SECRET>`` and
``Idempotency-Key: <run key>-<batch number>``. The key is the same when a failed run is retried
(nothing is recorded in the store until every batch is delivered), so a receiver that keeps the
keys it has accepted applies each batch exactly once, even when a response was lost after the
batch was processed."""

from __future__ import annotations

import httpx

from cible.activation.exporters.http import RetryPolicy, json_bytes, send
from cible.activation.exporters.records import ExportBatch, chunks
from cible.activation.pseudonym import signature


def post_webhook(
    batch: ExportBatch,
    url: str,
    *,
    secret: bytes,
    batch_size: int,
    client: httpx.Client,
    policy: RetryPolicy | None = None,
) -> int:
    """POST every record of ``batch`` to ``url``; the number of requests accepted."""
    parts = chunks(batch.records, batch_size)
    for i, records in enumerate(parts):
        body = json_bytes(
            {
                "export": batch.export_name,
                "audience": batch.audience,
                "channel": batch.channel,
                "batch": i,
                "batches": len(parts),
                "records": list(records),
            }
        )
        headers = {
            "Content-Type": "application/json",
            "X-Cible-Signature": signature(body, secret),
            "Idempotency-Key": f"{batch.run_key}-{i}",
        }
        send(
            client,
            "POST",
            url,
            content=body,
            headers=headers,
            policy=policy or RetryPolicy(),
            what=f"webhook of export {batch.export_name!r} batch {i}",
        )
    return len(parts)
