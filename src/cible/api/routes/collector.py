"""The Segment-spec collector (``/v1/track``, ``/v1/identify``, ``/v1/page``, ``/v1/screen``,
``/v1/group``, ``/v1/alias``, ``/v1/batch``), the tracking pixel and the CRM webhook.

Point a Segment or RudderStack SDK at the service (``host`` / ``dataPlaneUrl``) with a cible API
key of scope ``write`` as its write key. Bodies may be gzipped (``Content-Encoding: gzip``, as
the SDKs send them). The mapping is :mod:`cible.services.collector`'s."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from cible.api.auth import require_write_key, service_of
from cible.api.errors import AUTH_ERRORS, CONFLICT
from cible.api.payloads import MembershipChangeOut
from cible.api.routes.events import change_out
from cible.exceptions import InvalidInputError
from cible.services import collector, webhooks
from cible.services.collector import CollectOutcome

router = APIRouter(prefix="/v1", tags=["collector"], responses=AUTH_ERRORS)
hooks = APIRouter(prefix="/v1/webhooks", tags=["collector"])


def _body_doc(description: str) -> dict[str, object]:
    """The request body of a route that reads it raw (it may be gzipped): documented here."""
    schema = {"type": "object", "additionalProperties": True}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


class MessageResultOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int = Field(description="position of the message in the request")
    message_id: str | None
    status: Literal["applied", "duplicate", "rejected"]
    field: str | None = None
    reason: str | None = None


class CollectOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    success: bool = Field(description="true: the request was accepted (Segment's answer)")
    applied: int
    duplicates: int
    rejected: int
    results: list[MessageResultOut]
    changes: list[MembershipChangeOut]


def outcome_out(outcome: CollectOutcome) -> CollectOut:
    return CollectOut(
        success=True,
        applied=outcome.count("applied"),
        duplicates=outcome.count("duplicate"),
        rejected=outcome.count("rejected"),
        results=[
            MessageResultOut(
                index=r.index,
                message_id=r.message_id,
                status=r.status,
                field=r.field,
                reason=r.reason,
            )
            for r in outcome.results
        ],
        changes=[change_out(c) for c in outcome.changes],
    )


async def _body(request: Request) -> object:
    return collector.read_body(await request.body(), request.headers.get("content-encoding"))


async def _collect(request: Request, messages: list[object], kind: str | None) -> CollectOut:
    service = service_of(request)
    outcome = await run_in_threadpool(collector.collect, service, messages, kind)
    if kind is not None and outcome.results and outcome.results[0].status == "rejected":
        first = outcome.results[0]
        raise InvalidInputError(str(first.field), str(first.reason))
    return outcome_out(outcome)


def _single(kind: str) -> None:
    async def endpoint(request: Request) -> CollectOut:
        return await _collect(request, [await _body(request)], kind)

    endpoint.__name__ = f"post_{kind}"
    router.add_api_route(
        f"/{kind}",
        endpoint,
        methods=["POST"],
        summary=f"Segment spec: {kind}",
        description=f"One Segment-spec {kind} message (JSON, optionally gzipped); the write key "
        "is an API key of scope write, as HTTP basic-auth username. Scope: write.",
        response_model=CollectOut,
        dependencies=[require_write_key()],
        openapi_extra=_body_doc(f"a Segment-spec {kind} message"),
    )


for _kind in collector.MESSAGE_TYPES:
    _single(_kind)


@router.post(
    "/batch",
    summary="Segment spec: batch",
    description='`{"batch": [messages]}` as the Segment and RudderStack SDKs send it; each '
    "message is mapped on its own (a bad one is rejected with its field and reason, the others "
    "are applied). Scope: write.",
    response_model=CollectOut,
    dependencies=[require_write_key()],
    openapi_extra=_body_doc('{"batch": [Segment-spec messages]}'),
)
async def post_batch(request: Request) -> CollectOut:
    return await _collect(request, collector.batch_messages(await _body(request)), None)


@router.get(
    "/pixel.gif",
    summary="Tracking pixel",
    description="A 1x1 GIF; its query string is one track message (event, default Email "
    "Opened; userId or anonymousId; messageId; the other parameters are properties). The "
    "write key may be given as ?writeKey=. Scope: write.",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}, "description": "the 1x1 GIF"}},
    dependencies=[require_write_key(query=True)],
)
async def get_pixel(request: Request) -> Response:
    query = dict(request.query_params)
    await _collect(request, [webhooks.pixel_message(query)], "track")
    headers = {"Cache-Control": "no-store, max-age=0"}
    return Response(webhooks.PIXEL_GIF, media_type="image/gif", headers=headers)


@hooks.post(
    "/crm",
    summary="CRM change events",
    description="Contacts updated or merged in the CRM (see cible.services.webhooks), signed "
    "with X-Cible-Signature: sha256=<HMAC-SHA256 of the raw body under CIBLE_WEBHOOK_SECRET>. "
    "No API key: the signature authenticates. 409 when CIBLE_WEBHOOK_SECRET is unset.",
    response_model=CollectOut,
    responses={
        401: AUTH_ERRORS[401] | {"description": "missing or wrong signature"},
        422: AUTH_ERRORS[422],
        503: AUTH_ERRORS[503],
        **CONFLICT,
    },
    openapi_extra=_body_doc('{"changes": [contact.updated | contact.merged]}'),
)
async def post_crm(request: Request) -> CollectOut:
    raw = await request.body()
    secret = request.app.state.settings.webhook_secret
    plain = None if secret is None else secret.get_secret_value()
    if not webhooks.verify(plain, raw, request.headers.get(webhooks.SIGNATURE_HEADER)):
        raise HTTPException(401, f"missing or wrong {webhooks.SIGNATURE_HEADER} signature")
    messages = webhooks.crm_messages(collector.read_body(raw, None))
    return await _collect(request, list(messages), None)
