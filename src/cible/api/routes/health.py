"""``GET /health`` (the process answers) and ``GET /ready`` (store reachable, a model published).

Neither needs a key: load balancers and orchestrators call them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from cible.api.auth import service_of
from cible.api.payloads import HealthOut, ReadyOut
from cible.exceptions import CibleError

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness", response_model=HealthOut)
async def health() -> HealthOut:
    return HealthOut()


@router.get(
    "/ready",
    summary="Readiness: the store answers and a model is published",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "not ready (the reason says why)"}},
)
async def ready(request: Request) -> JSONResponse:
    try:
        state = await run_in_threadpool(service_of(request).health)
    except CibleError as e:
        body = ReadyOut(ready=False, database="unreachable", model_version=None, reason=str(e))
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    version = state.get("model_version")
    reason = None if version is not None else "no segment model is published yet"
    body = ReadyOut(
        ready=version is not None,
        database=str(state.get("database", "ok")),
        model_version=version,
        reason=reason,
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if body.ready else 503)
