"""``POST /v1/events`` (one event) and ``POST /v1/events/batch`` (per-event results)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from cible.api.auth import require, service_of
from cible.api.errors import AUTH_ERRORS
from cible.api.payloads import (
    EventBatchIn,
    EventBatchOut,
    EventIn,
    EventOut,
    EventResultOut,
    MembershipChangeOut,
)

if TYPE_CHECKING:
    from cible.store import MembershipChange

router = APIRouter(prefix="/v1/events", tags=["events"], responses=AUTH_ERRORS)


def change_out(change: MembershipChange) -> MembershipChangeOut:
    return MembershipChangeOut(
        customer_id=change.customer_id,
        previous_segment_id=change.previous_segment_id,
        segment_id=change.segment_id,
        segment_name=change.segment_name,
        model_version=change.model_version,
        at=change.at,
        event_id=change.event_id,
    )


@router.post(
    "",
    summary="Ingest one event",
    description="Applies the event in one transaction (aggregates, re-scoring, membership) and "
    "returns the membership changes it caused. An event_id already processed is a duplicate "
    "(nothing changes). Scope: write.",
    response_model=EventOut,
    dependencies=[require("write")],
    openapi_extra={
        "responses": {
            "200": {
                "links": {
                    "GetProfile": {
                        "operationId": "get_profile_v1_customers__customer_id__profile_get",
                        "parameters": {"customer_id": "$request.body#/customer_id"},
                        "description": "the profile of the event's customer",
                    }
                }
            }
        }
    },
)
async def post_event(request: Request, event: EventIn) -> EventOut:
    result = await run_in_threadpool(service_of(request).ingest, event)
    return EventOut(
        event_id=event.event_id,
        status="applied" if result.applied else "duplicate",
        changes=[change_out(c) for c in result.changes],
    )


@router.post(
    "/batch",
    summary="Ingest a batch of events",
    description="Each event is checked on its own: a malformed one is rejected with its field "
    "and reason, the valid ones are applied together in one transaction. At most "
    "CIBLE_BATCH_MAX events (default 1,000). Scope: write.",
    response_model=EventBatchOut,
    dependencies=[require("write")],
)
async def post_events(request: Request, batch: EventBatchIn) -> EventBatchOut:
    outcome = await run_in_threadpool(service_of(request).ingest_batch, batch.events, EventIn)
    return EventBatchOut(
        applied=outcome.count("applied"),
        duplicates=outcome.count("duplicate"),
        rejected=outcome.count("rejected"),
        results=[
            EventResultOut(
                index=r.index, event_id=r.event_id, status=r.status, field=r.field, reason=r.reason
            )
            for r in outcome.results
        ],
        changes=[change_out(c) for c in outcome.changes],
    )
