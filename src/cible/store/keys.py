"""API keys: ``cible_<prefix>_<secret>`` with a 256-bit random secret; only the prefix (for the
lookup) and an HMAC-SHA256 of the whole key, keyed by a server secret, are stored, compared in
constant time.

The server secret is ``CIBLE_API_KEY_SECRET`` (:meth:`ActivationSettings.key_hash_secret`): in
``CIBLE_ENVIRONMENT=dev`` an unset one falls back to a development secret; elsewhere an unset,
default or short one stops key creation and checking with a ConfigError naming the variable (and
``cible serve`` refuses to start). With the HMAC, a copy of the ``api_keys`` table (a leaked
backup, a read-only database user) is not enough to test candidate keys offline: the secret,
which lives outside the database, is needed too. A slow hash (bcrypt, Argon2) was not chosen: it
protects low-entropy passwords, while the key secret is ``secrets.token_urlsafe(32)`` (256 random
bits), and it would cost tens of milliseconds on every uncached key check. The row is found by
the public prefix, so the lookup time says nothing about the secret. Changing the server secret
invalidates every stored key. Rotation of a key: create a new key, deploy it, revoke the old one
(``cible keys revoke``); of the server secret: set the new one and create the keys again (see
docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cible.config.activation import ActivationSettings
from cible.store import tables as t

SCOPES = ("read", "write", "admin")
KEY_PREFIX = "cible"


def _digest(key: str) -> str:
    """HMAC-SHA256 of ``key`` under the server secret (64 hex digits)."""
    secret = ActivationSettings().key_hash_secret()
    return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).hexdigest()


def create(conn: Connection, scopes: Sequence[str], name: str, now: datetime) -> str:
    bad = sorted(set(scopes) - set(SCOPES))
    if bad or not scopes:
        raise ValueError(f"API key scopes {bad or '[]'} refused: give one or more of {SCOPES}")
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(
        sa.insert(t.api_keys).values(
            prefix=prefix,
            key_hash=_digest(key),
            scopes=sorted(set(scopes)),
            name=name,
            created_at=now,
            revoked=False,
        )
    )
    return key


def _prefix(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


def verify(conn: Connection, key: str) -> frozenset[str] | None:
    prefix = _prefix(key)
    if prefix is None:
        return None
    c = t.api_keys.c
    row = conn.execute(sa.select(c.key_hash, c.scopes, c.revoked).where(c.prefix == prefix)).first()
    if row is None or row.revoked or not hmac.compare_digest(row.key_hash, _digest(key)):
        return None
    return frozenset(row.scopes)


def revoke(conn: Connection, key: str) -> bool:
    """Revoke by the whole key (as printed once by ``create``)."""
    prefix = _prefix(key)
    if prefix is None:
        return False
    c = t.api_keys.c
    done = conn.execute(
        sa.update(t.api_keys)
        .where(c.prefix == prefix, c.key_hash == _digest(key))
        .values(revoked=True)
    )
    return bool(done.rowcount)


def revoke_prefix(conn: Connection, prefix: str) -> bool:
    """Revoke by the public prefix that ``list_keys`` shows (the key itself may be lost)."""
    c = t.api_keys.c
    done = conn.execute(sa.update(t.api_keys).where(c.prefix == prefix).values(revoked=True))
    return bool(done.rowcount)


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown of a key: never its hash, never its secret."""

    prefix: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked: bool


def list_keys(conn: Connection) -> list[KeyInfo]:
    """Every key of the store, oldest first."""
    c = t.api_keys.c
    rows = conn.execute(
        sa.select(c.prefix, c.name, c.scopes, c.created_at, c.revoked).order_by(c.id)
    )
    return [KeyInfo(r.prefix, r.name, tuple(r.scopes), r.created_at, bool(r.revoked)) for r in rows]
