"""The collector's two other doors: a 1x1 tracking pixel (``GET /v1/pixel.gif``, its query
string is one track message) and the CRM webhook (``POST /v1/webhooks/crm``, HMAC-SHA256
signed), both turned into Segment-spec messages for :func:`cible.services.collector.collect`.

CRM webhook body::

    {"changes": [
        {"type": "contact.updated", "customer_id": "C1", "fields": {"email": "...", ...}},
        {"type": "contact.merged", "customer_id": "C1", "merged_ids": ["C7", "C9"]}
    ]}

signed with ``X-Cible-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` under
``CIBLE_WEBHOOK_SECRET`` (compared in constant time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cible.exceptions import ConflictError, InvalidInputError

SIGNATURE_HEADER = "X-Cible-Signature"
# the smallest transparent GIF (42 bytes): what e-mail clients and browsers load for the pixel
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
PIXEL_KEYS = ("writeKey", "key")  # where a pixel may carry its write key
PIXEL_FIELDS = ("userId", "anonymousId", "event", "messageId", "timestamp")
CRM_TYPES = ("contact.updated", "contact.merged")


def pixel_message(query: Mapping[str, str]) -> dict[str, Any]:
    """The track message of a pixel hit: ``event`` (default ``Email Opened``), ``userId`` or
    ``anonymousId``, ``messageId``, ``timestamp``; every other parameter is a property."""
    message: dict[str, Any] = {"type": "track", "event": query.get("event") or "Email Opened"}
    for name in ("userId", "anonymousId", "messageId", "timestamp"):
        if query.get(name):
            message[name] = query[name]
    skip = set(PIXEL_FIELDS) | set(PIXEL_KEYS)
    message["properties"] = {k: v for k, v in query.items() if k not in skip}
    message["context"] = {"channel": "email" if "mail" in message["event"].lower() else "web"}
    return message


def signature(secret: str, body: bytes) -> str:
    """The ``X-Cible-Signature`` value of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str | None, body: bytes, given: str | None) -> bool:
    """True when ``given`` is the signature of ``body``; a ConflictError when no secret is set
    (the webhook is disabled)."""
    if not secret:
        raise ConflictError(
            "the CRM webhook is disabled: set CIBLE_WEBHOOK_SECRET (16+ characters, shared with "
            "the CRM that signs its calls)"
        )
    if not given:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), given.strip().encode())


def crm_messages(body: Any) -> list[dict[str, Any]]:
    """The Segment-spec messages of a CRM webhook body: an identify per updated contact, an
    alias per merged id."""
    changes = body.get("changes") if isinstance(body, Mapping) else None
    if not isinstance(changes, list):
        raise InvalidInputError("changes", 'a JSON object {"changes": [...]} is expected')
    messages: list[dict[str, Any]] = []
    for i, change in enumerate(changes):
        where = f"changes.{i}"
        if not isinstance(change, Mapping) or change.get("type") not in CRM_TYPES:
            raise InvalidInputError(f"{where}.type", f"one of {', '.join(CRM_TYPES)} is expected")
        customer = change.get("customer_id")
        if not isinstance(customer, str) or not customer:
            raise InvalidInputError(f"{where}.customer_id", "a non-empty string is expected")
        if change["type"] == "contact.updated":
            fields = change.get("fields")
            if not isinstance(fields, Mapping):
                raise InvalidInputError(f"{where}.fields", "a JSON object is expected")
            messages.append({"type": "identify", "userId": customer, "traits": dict(fields)})
            continue
        merged = change.get("merged_ids")
        if not isinstance(merged, list) or not all(isinstance(m, str) and m for m in merged):
            raise InvalidInputError(f"{where}.merged_ids", "a list of customer ids is expected")
        messages += [{"type": "alias", "previousId": m, "userId": customer} for m in merged]
    return messages
