"""The quarantine file, written as read or pseudonymised (``quality.pseudonymise_quarantine``).

Pseudonymised, every value taken from the data is replaced by its HMAC-SHA256 under
``CIBLE_EXPORT_SECRET`` (hex, the same function as the pseudonymised exports, so that a customer
id in the quarantine matches the same customer in a pseudonymised export): the ``value`` column,
every value of the JSON ``record`` (keys kept, nulls kept), and the quoted value inside
``message``. What stays readable is what an operator needs to fix the source: the source, file,
row, column, rule and the rest of the message. Equal values give equal pseudonyms, so one can
still count how often the same bad value occurs; without the secret nobody can tell what it was
(short values such as a birth date could be found by trying candidates, by whoever holds the
secret only).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from cible.activation.pseudonym import pseudonymise


def _pseudo(value: Any, secret: bytes) -> Any:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return pseudonymise(text, secret)


def _record(text: str | None, secret: bytes) -> str | None:
    if text is None:
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return _pseudo(text, secret)
    if not isinstance(record, dict):
        return _pseudo(text, secret)
    return json.dumps({k: _pseudo(v, secret) for k, v in record.items()}, ensure_ascii=False)


def _message(message: str | None, value: str | None, secret: bytes) -> str | None:
    if message is None or not value:
        return message
    pseudo = _pseudo(value, secret)
    return message.replace(f"'{value}'", f"'{pseudo}'").replace(repr(value), f"'{pseudo}'")


def pseudonymised(quarantine: pa.Table, secret: bytes) -> pa.Table:
    """``quarantine`` (columns of :data:`~cible.ingest.engine.QUARANTINE_SCHEMA`) with the data's
    values replaced by their pseudonyms; the input table is left unchanged."""
    values = quarantine.column("value").to_pylist()
    messages = quarantine.column("message").to_pylist()
    records = quarantine.column("record").to_pylist()
    columns = {
        "value": [_pseudo(v, secret) for v in values],
        "message": [_message(m, v, secret) for m, v in zip(messages, values, strict=True)],
        "record": [_record(r, secret) for r in records],
    }
    out = quarantine
    for name, data in columns.items():
        i = out.schema.get_field_index(name)
        out = out.set_column(i, out.schema.field(i), pa.array(data, type=out.schema.field(i).type))
    return out
