"""The webhook alert of ``cible refresh``: when the policy decides ``alert`` or ``retrain`` and
``alert_webhook`` is set, one JSON POST with the drift summary (feature names and figures, the
decision, the active version; no customer data, no store URL), retried with exponential backoff
and jitter (tenacity, through :func:`cible.activation.exporters.http.send`) on connection errors,
429 and 5xx; any other 4xx is not retried. A webhook that still fails does not undo the refresh:
the outcome (``sent``, ``status``, ``error``) goes into ``refresh.json`` and an error is logged.
The ``Idempotency-Key`` header is the sha256 of the body, so a receiver can drop a retried
duplicate."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from cible.activation.exporters.http import RetryPolicy, json_bytes, send
from cible.exceptions import ExportError
from cible.lifecycle.drift import DriftReport
from cible.lifecycle.drift.histogram import StatResult
from cible.lifecycle.refresh_policy import RefreshDecision

log = logging.getLogger("cible.refresh")
ALERT_ACTIONS = ("alert", "retrain")
ALERT_RETRIES = RetryPolicy(attempts=5, initial_seconds=0.2, max_seconds=5.0)


def drift_summary(
    decision: RefreshDecision,
    report: DriftReport,
    sizes: StatResult | None,
    active_version: int | None,
) -> dict[str, Any]:
    """The body of the alert: the decision and, per drifted feature, its figures."""
    drifted = [f.to_dict() for f in report.features if f.drifted]
    return {
        "event": "cible.segment_drift",
        "action": decision.action,
        "reason": decision.reason,
        "drifted_share": decision.drifted_share,
        "active_version": active_version,
        "watched_features": [f.feature for f in report.features],
        "drifted_features": [
            {k: d[k] for k in ("feature", "kind", "p_value", "q_value", "effect")} for d in drifted
        ],
        "segment_sizes": sizes.to_dict() if sizes is not None else None,
    }


def post_alert(
    url: str, summary: dict[str, Any], policy: RetryPolicy = ALERT_RETRIES
) -> dict[str, Any]:
    """POST ``summary`` to ``url``; the outcome for ``refresh.json`` (never raises on HTTP)."""
    import httpx

    body = json_bytes(summary)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": hashlib.sha256(body).hexdigest(),
    }
    try:
        with httpx.Client(timeout=10.0) as client:
            response = send(
                client, "POST", url, content=body, headers=headers, policy=policy, what="alert"
            )
    except ExportError as e:
        log.error("segment drift alert not delivered: %s", e)
        return {"sent": False, "status": None, "error": str(e)}
    log.info("segment drift alert delivered (HTTP %s)", response.status_code)
    return {"sent": True, "status": response.status_code, "error": None}
