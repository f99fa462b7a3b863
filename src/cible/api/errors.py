"""Errors -> HTTP statuses, in this one place.

======================================  ======  ==========================================
error                                   status  body ``error``
======================================  ======  ==========================================
missing / wrong API key                 401     ``unauthorized`` (+ ``WWW-Authenticate``)
key without the route's scope           403     ``forbidden``
:class:`~cible.exceptions.NotFoundError`  404   ``not_found``
:class:`~cible.exceptions.ConflictError`  409   ``conflict``
request validation, ``InvalidEvent``,   422     ``invalid`` with ``fields: [{field, reason}]``
:class:`~cible.exceptions.InvalidInputError`
other :class:`~cible.exceptions.CibleError`  400  ``bad_request``
``StoreError`` (database unreachable)   503     ``unavailable``
======================================  ======  ==========================================

Bodies never echo the request's values (a rejected e-mail is not sent back, nor logged).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cible.api.payloads import ErrorBody, FieldProblem
from cible.exceptions import (
    CibleError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
)

log = logging.getLogger("cible.api")

_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def error_response(
    status: int,
    error: str,
    message: str,
    fields: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=error, message=message, fields=fields or [])
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def validation_problems(errors: list[Any]) -> list[FieldProblem]:
    """FastAPI/pydantic validation errors as ``{field, reason}`` (the input values dropped)."""
    return [FieldProblem(field=_location(e.get("loc", ())), reason=str(e["msg"])) for e in errors]


def status_of(error: CibleError) -> tuple[int, str]:
    """The HTTP status and code of a cible error."""
    from cible.store import InvalidEvent, StoreError

    if isinstance(error, StoreError):
        return 503, "unavailable"
    if isinstance(error, NotFoundError):
        return 404, "not_found"
    if isinstance(error, ConflictError):
        return 409, "conflict"
    if isinstance(error, InvalidEvent | InvalidInputError):
        return 422, "invalid"
    return 400, "bad_request"


async def _on_cible_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CibleError)
    status, code = status_of(exc)
    fields = None
    if status == 422:
        fields = [FieldProblem(field=str(exc.field), reason=str(exc.reason))]  # type: ignore[attr-defined]
    if status == 503:
        log.error("store unavailable: %s", exc)
        headers = {"Retry-After": "5"}
        return error_response(status, code, "the profile store is unavailable", headers=headers)
    return error_response(status, code, str(exc), fields)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(list(exc.errors()))
    summary = "; ".join(f"{p.field}: {p.reason}" for p in problems[:5])
    return error_response(422, "invalid", f"invalid request: {summary}", problems)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODES.get(exc.status_code, "error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, str(exc.detail), headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error %s", type(exc).__name__)
    return error_response(500, "internal", "internal error (logged on the server)")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CibleError, _on_cible_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


# the error responses each kind of route documents in OpenAPI
def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _doc("missing or unknown API key"),
    403: _doc("the key lacks the scope this route needs"),
    422: _doc("invalid request: fields[] names each field and the rule"),
    503: _doc("the profile store is unavailable"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _doc("no such customer, segment or run")}
CONFLICT: dict[int | str, dict[str, Any]] = {409: _doc("refused in the current state")}
