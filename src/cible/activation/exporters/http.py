"""One HTTP request with retries: exponential backoff with jitter (tenacity) on connection
errors, 429 and 5xx; any other 4xx is refused at once. Failures become
:class:`~cible.exceptions.ExportError` naming the export and the status, never the records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from cible.exceptions import ExportError


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    initial_seconds: float = 0.5
    max_seconds: float = 30.0


class _Retryable(Exception):
    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    policy: RetryPolicy,
    what: str,
) -> httpx.Response:
    """``method url`` with ``content``, retried under ``policy``; the final response (2xx)."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_random_exponential(multiplier=policy.initial_seconds, max=policy.max_seconds),
        retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
        reraise=False,
    )
    try:
        for attempt in retrying:
            with attempt:
                return _once(client, method, url, content, headers, what)
    except RetryError as e:
        last = e.last_attempt.exception()
        raise ExportError(
            f"{what}: {url} still failing after {policy.attempts} attempts ({last})"
        ) from last
    raise AssertionError("unreachable")  # pragma: no cover


def _once(
    client: httpx.Client, method: str, url: str, content: bytes, headers: dict[str, str], what: str
) -> httpx.Response:
    try:
        response = client.request(method, url, content=content, headers=headers)
    except httpx.TransportError as e:
        raise _Retryable(None, f"{e.__class__.__name__}") from e
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Retryable(status, f"HTTP {status}")
    if status >= 400:
        raise ExportError(f"{what}: {url} refused the request with HTTP {status}")
    return response


def json_bytes(data: Any) -> bytes:
    import json

    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str).encode("utf-8")
