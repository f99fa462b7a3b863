"""The one mapping of errors to HTTP statuses (api/errors.py)."""

from __future__ import annotations

import pytest

from cible.api.errors import status_of
from cible.exceptions import (
    CibleError,
    ConfigError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)


def test_each_kind_of_error_has_its_status() -> None:
    from cible.store import InvalidEvent, StoreError

    cases: list[tuple[CibleError, tuple[int, str]]] = [
        (StoreError("database unreachable"), (503, "unavailable")),
        (NotFoundError("no such customer"), (404, "not_found")),
        (ConflictError("disabled"), (409, "conflict")),
        (InvalidEvent("timestamp", "naive"), (422, "invalid")),
        (InvalidInputError("events", "too many"), (422, "invalid")),
        (ConfigError("bad"), (400, "bad_request")),
        (CibleError("other"), (400, "bad_request")),
    ]
    assert [status_of(e) for e, _ in cases] == [want for _, want in cases]


@pytest.mark.parametrize("field", ["timestamp", "body.events.3.amount"])
def test_invalid_input_keeps_its_field_and_reason(field: str) -> None:
    e = InvalidInputError(field, "must be tz-aware")
    assert (e.field, e.reason, str(e)) == (field, "must be tz-aware", f"{field}: must be tz-aware")
