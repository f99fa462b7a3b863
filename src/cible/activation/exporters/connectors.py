"""Connectors shaped like two marketing APIs (the paths and bodies of their public docs; tested
against a local server that records the requests, never the real services).

- HubSpot lists: ``PUT {base}/crm/v3/lists/{list_id}/memberships/add`` and ``.../remove`` with a
  JSON array of record ids, ``Authorization: Bearer <CIBLE_HUBSPOT_TOKEN>``.
- Salesforce Marketing Cloud data extension: ``PUT {base}/data/v1/async/dataextensions/key:{key}
  /rows`` with ``{"items": [{"SubscriberKey": id, "InAudience": true|false, ...fields}]}``
  (an upsert: a customer who left is kept with ``InAudience`` false), ``Authorization: Bearer
  <CIBLE_SFMC_TOKEN>``.
"""

from __future__ import annotations

import httpx

from cible.activation.exporters.http import RetryPolicy, json_bytes, send
from cible.activation.exporters.records import ExportBatch, chunks


def hubspot_list(
    batch: ExportBatch,
    base_url: str,
    list_id: str,
    *,
    token: str,
    batch_size: int,
    client: httpx.Client,
    policy: RetryPolicy | None = None,
) -> int:
    """Add the entered, remove the left; the number of requests sent."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    root = f"{base_url.rstrip('/')}/crm/v3/lists/{list_id}/memberships"
    sent = 0
    for action, records in (("add", batch.entered), ("remove", batch.left)):
        for part in chunks(records, batch_size):
            send(
                client,
                "PUT",
                f"{root}/{action}",
                content=json_bytes([r["id"] for r in part]),
                headers=headers,
                policy=policy or RetryPolicy(),
                what=f"HubSpot list {action} of export {batch.export_name!r}",
            )
            sent += 1
    return sent


def sfmc_rows(
    batch: ExportBatch,
    base_url: str,
    key: str,
    *,
    token: str,
    batch_size: int,
    client: httpx.Client,
    policy: RetryPolicy | None = None,
) -> int:
    """Upsert one row per record into data extension ``key``; the number of requests sent."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = f"{base_url.rstrip('/')}/data/v1/async/dataextensions/key:{key}/rows"
    sent = 0
    for part in chunks(batch.records, batch_size):
        items = [
            {
                "SubscriberKey": r["id"],
                "InAudience": r["change"] != "left",
                **{k: v for k, v in r.items() if k not in ("id", "change")},
            }
            for r in part
        ]
        send(
            client,
            "PUT",
            url,
            content=json_bytes({"items": items}),
            headers=headers,
            policy=policy or RetryPolicy(),
            what=f"SFMC rows of export {batch.export_name!r}",
        )
        sent += 1
    return sent
