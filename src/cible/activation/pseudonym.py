"""Pseudonymised identifiers: HMAC-SHA256 of the customer id with the export secret.

The same id and secret always give the same pseudonym (a destination can match deltas across
exports); without the secret it cannot be reversed or recomputed from a list of known ids."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymise(customer_id: str, secret: bytes) -> str:
    """The hex HMAC-SHA256 of ``customer_id`` under ``secret`` (64 characters)."""
    if not secret:
        raise ValueError("an empty secret gives no protection")
    return hmac.new(secret, customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def signature(body: bytes, secret: bytes) -> str:
    """``sha256=<hex HMAC>`` of a request body: the webhook signature header."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
