"""``PUT /v1/customers/{customer_id}``, ``POST /v1/customers/batch`` and the profile read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool

from cible.api.auth import require, service_of
from cible.api.errors import AUTH_ERRORS, NOT_FOUND
from cible.api.payloads import (
    ID_MAX,
    CustomerBatchIn,
    CustomerIn,
    HistoryOut,
    ProfileOut,
    SegmentRef,
    Text,
    UpsertOut,
    finite,
    jsonable,
)

if TYPE_CHECKING:
    from cible.store import CustomerRecord, Profile

router = APIRouter(prefix="/v1/customers", tags=["customers"], responses=AUTH_ERRORS)
CustomerId = Annotated[str, Path(min_length=1, max_length=ID_MAX, description="customer id"), Text]


def record(customer_id: str, body: CustomerIn) -> CustomerRecord:
    from cible.store import CustomerRecord

    fields = body.model_dump(exclude={"customer_id"})
    return CustomerRecord(customer_id=customer_id, **fields)


@router.put(
    "/{customer_id}",
    summary="Create or update a customer",
    description="Upserts the record (identity, contact, consents). Contact details are stored, "
    "never logged nor returned by the profile. Scope: write.",
    response_model=UpsertOut,
    dependencies=[require("write")],
    openapi_extra={
        "responses": {
            "200": {
                "links": {
                    "GetProfile": {
                        "operationId": "get_profile_v1_customers__customer_id__profile_get",
                        "parameters": {"customer_id": "$request.path.customer_id"},
                        "description": "the profile of the customer just written",
                    }
                }
            }
        }
    },
)
async def put_customer(request: Request, customer_id: CustomerId, body: CustomerIn) -> UpsertOut:
    service = service_of(request)
    written = await run_in_threadpool(service.upsert_customers, [record(customer_id, body)])
    return UpsertOut(written=written)


@router.post(
    "/batch",
    summary="Create or update customers in a batch",
    description="At most CIBLE_BATCH_MAX customers (default 1,000), in one transaction. "
    "Scope: write.",
    response_model=UpsertOut,
    dependencies=[require("write")],
)
async def post_customers(request: Request, batch: CustomerBatchIn) -> UpsertOut:
    records = [record(c.customer_id, c) for c in batch.customers]
    written = await run_in_threadpool(service_of(request).upsert_customers, records)
    return UpsertOut(written=written)


def profile_out(profile: Profile) -> ProfileOut:
    segment = None
    if profile.segment_id is not None:
        segment = SegmentRef(segment_id=profile.segment_id, name=profile.segment_name or "")
    scores = getattr(profile, "scores", None) or {}
    return ProfileOut(
        customer_id=profile.customer_id,
        features={k: finite(v) for k, v in profile.features.items()},
        scores={k: finite(v) for k, v in scores.items()},
        aggregates=jsonable(dict(profile.aggregates)),
        segment=segment,
        model_version=profile.model_version,
        updated_at=profile.updated_at,
        history=[HistoryOut.model_validate(h, from_attributes=True) for h in profile.history],
    )


@router.get(
    "/{customer_id}/profile",
    summary="Read a customer's profile",
    description="Features, scores, current segment and membership history. Served from an "
    "in-process cache (CIBLE_PROFILE_CACHE_TTL_S) in front of the store. Scope: read.",
    response_model=ProfileOut,
    responses=NOT_FOUND,
    dependencies=[require("read")],
)
async def get_profile(request: Request, customer_id: CustomerId) -> Response:
    # the cache holds the rendered JSON (render_profile): a hit costs no validation nor encoding
    service = service_of(request)
    hit, body = service.peek_profile_view(customer_id)
    if not hit:
        body = await run_in_threadpool(service.profile_view, customer_id)
    return Response(content=body, media_type="application/json")


def render_profile(profile: Profile) -> bytes:
    """The JSON body of GET profile (what the service's profile cache keeps)."""
    return profile_out(profile).model_dump_json().encode("utf-8")
