"""``GET /v1/segments`` and ``GET /v1/segments/{segment_id}/members`` (cursor pagination)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from cible.api.auth import require, service_of
from cible.api.errors import AUTH_ERRORS, NOT_FOUND
from cible.api.payloads import MembersOut, SegmentOut, SegmentsOut, Text

router = APIRouter(prefix="/v1/segments", tags=["segments"], responses=AUTH_ERRORS)
MAX_LIMIT = 1000
MEMBERS_OPERATION = "segment_members_v1_segments__segment_id__members_get"  # FastAPI's id of segment_members, named by the OpenAPI links


@router.get(
    "",
    summary="List the current model's segments",
    description="Every segment of the current published model with its number of members. "
    "Scope: read.",
    response_model=SegmentsOut,
    dependencies=[require("read")],
    openapi_extra={
        "responses": {
            "200": {
                "links": {
                    "Members": {
                        "operationId": MEMBERS_OPERATION,
                        "parameters": {"segment_id": "$response.body#/segments/0/segment_id"},
                        "description": "the members of the first segment listed",
                    }
                }
            }
        }
    },
)
async def list_segments(request: Request) -> SegmentsOut:
    segments = await run_in_threadpool(service_of(request).list_segments)
    version = segments[0].model_version if segments else None
    return SegmentsOut(
        model_version=version,
        segments=[
            SegmentOut(
                segment_id=s.segment_id, name=s.name, size=s.size, model_version=s.model_version
            )
            for s in segments
        ],
    )


@router.get(
    "/{segment_id}/members",
    summary="List a segment's members, a page at a time",
    description="Customer ids in ascending order. Pass the returned next_cursor as ?cursor= to "
    "get the next page; next_cursor is null on the last page. Scope: read.",
    response_model=MembersOut,
    responses=NOT_FOUND,
    dependencies=[require("read")],
    openapi_extra={
        "responses": {
            "200": {
                "links": {
                    "NextPage": {
                        "operationId": MEMBERS_OPERATION,
                        "parameters": {
                            "segment_id": "$request.path.segment_id",
                            "cursor": "$response.body#/next_cursor",
                        },
                        "description": "the next page of the same segment",
                    }
                }
            }
        }
    },
)
async def segment_members(
    request: Request,
    segment_id: Annotated[int, Path(ge=-(2**31), le=2**31 - 1)],
    cursor: Annotated[str | None, Query(max_length=1000, description="opaque"), Text] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 100,
) -> MembersOut:
    members, next_cursor = await run_in_threadpool(
        lambda: service_of(request).segment_members(segment_id, cursor=cursor, limit=limit)
    )
    return MembersOut(segment_id=segment_id, members=members, next_cursor=next_cursor)
