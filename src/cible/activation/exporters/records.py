"""The records of one export run: who entered and who left (delta) or every member (full), with
the identifier pseudonymised when asked and the selected profile fields."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cible.activation.pseudonym import pseudonymise


@dataclass(frozen=True)
class ExportBatch:
    """What one run sends: ``records`` (each with ``id`` and ``change``: entered, left or
    member) and a ``run_key`` that stays the same when a failed run is retried."""

    export_name: str
    audience: str
    channel: str
    records: tuple[dict[str, Any], ...]
    run_key: str

    @property
    def entered(self) -> tuple[dict[str, Any], ...]:
        return tuple(r for r in self.records if r["change"] != "left")

    @property
    def left(self) -> tuple[dict[str, Any], ...]:
        return tuple(r for r in self.records if r["change"] == "left")


def build_batch(
    *,
    export_name: str,
    audience: str,
    channel: str,
    entered: Collection[str],
    left: Collection[str],
    full: bool,
    fields: Mapping[str, Mapping[str, Any]],
    secret: bytes | None,
    run_number: int,
) -> ExportBatch:
    """The records of a run. ``fields`` gives each entered customer's exported values; a left
    record carries the identifier only. ``secret`` set: identifiers are HMAC pseudonyms."""

    def ident(cid: str) -> str:
        return pseudonymise(cid, secret) if secret is not None else cid

    change = "member" if full else "entered"
    records = [
        {"id": ident(cid), "change": change, **dict(fields.get(cid, {}))} for cid in sorted(entered)
    ]
    records += [{"id": ident(cid), "change": "left"} for cid in sorted(left)]
    digest = hashlib.sha256(f"{export_name}\x00{run_number}".encode()).hexdigest()[:32]
    return ExportBatch(export_name, audience, channel, tuple(records), digest)


def chunks(records: tuple[dict[str, Any], ...], size: int) -> list[tuple[dict[str, Any], ...]]:
    return [records[i : i + size] for i in range(0, len(records), size)]
