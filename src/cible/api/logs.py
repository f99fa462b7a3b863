"""Structured JSON logs: one line per request, and no personal data in any line.

Each request gives one line on the ``cible.api.access`` logger::

    {"ts": "...", "level": "info", "logger": "cible.api.access", "msg": "request",
     "method": "GET", "route": "/v1/customers/{customer_id}/profile", "status": 200,
     "duration_ms": 0.41, "key": "3f2a9c1b04de"}

``route`` is the route template, never the raw path (ids and query strings stay out); ``key`` is
the public id of the presented key (``<id>`` in ``cible_<id>_<secret>``; never the secret). Bodies are never
logged. :class:`ScrubFilter` also replaces anything shaped like an e-mail address or a phone
number in any message (and in exception text) by ``<email>`` / ``<phone>``, as a second net.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cible.services.live import key_id

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,5}"  # +33 6 12 34 56 78
    r"|0\d(?:[\s.-]?\d{2}){4}"  # 06 12 34 56 78
    r"|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}"  # (555) 123-4567
    r"|\d{10,15})(?![\w])"  # 0612345678, 33612345678
)
FIELDS = ("method", "route", "status", "duration_ms", "key")
HANDLER_NAME = "cible-json"
STATIC_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect"})


def scrub(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers masked."""
    return PHONE.sub("<phone>", EMAIL.sub("<email>", text))


class ScrubFilter(logging.Filter):
    """Renders the message, masks e-mails and phones in it and in the exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        record.exc_info = None
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for name in FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = scrub(record.exc_text)
        return json.dumps(line, default=str)


def configure_logging(level: str = "info", stream: IO[str] | None = None) -> logging.Handler:
    """One JSON handler (with the scrub filter) on the ``cible`` and ``uvicorn`` loggers,
    replacing the one a previous call installed (calling twice never doubles the lines)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(ScrubFilter())
    for name in ("cible", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == HANDLER_NAME]:
            logger.removeHandler(old)
        if name in ("cible", "uvicorn"):
            logger.addHandler(handler)
            logger.propagate = False
        logger.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True  # it logs raw paths; ours logs templates
    return handler


def _route_template(scope: Scope) -> str:
    """The matched route's template; the raw path only for the app's fixed documentation
    pages (no ids in them); ``(unmatched)`` otherwise."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    path = scope.get("path", "")
    return path if path in STATIC_PATHS else "(unmatched)"


def presented_key(scope: Scope) -> str | None:
    """The API key of a request (``X-API-Key``, ``Authorization: Bearer``, or the username of
    ``Authorization: Basic``: the collector's write key), if any."""
    for name, value in scope.get("headers", ()):
        if name == b"x-api-key":
            return str(value.decode("latin-1"))
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return str(value[7:].decode("latin-1").strip())
        if name == b"authorization" and value[:6].lower() == b"basic ":
            try:
                decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return None
            return decoded.partition(":")[0] or None
    return None


class AccessLogMiddleware:
    """Pure ASGI middleware (no per-request task, cheap on the GET profile path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("cible.api.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            key = presented_key(scope)
            self.log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": _route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                    "key": key_id(key) if key else None,
                },
            )
