"""``POST /v1/models``: publish a batch run found on the server, inside CIBLE_MODELS_DIR.

Why a server-side folder and not an upload: a fitted model is a pickled scikit-learn object, and
unpickling an uploaded file runs whatever code it carries. The API therefore only publishes runs
already on the server (written by ``cible run``), and only under the one directory the operator
named in ``CIBLE_MODELS_DIR`` (a path that resolves outside it, ``..`` or a symlink, is refused).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from cible.api.auth import require, service_of
from cible.api.errors import AUTH_ERRORS, CONFLICT, NOT_FOUND
from cible.api.payloads import PublishIn, PublishOut

router = APIRouter(prefix="/v1/models", tags=["models"], responses=AUTH_ERRORS)


@router.post(
    "",
    summary="Publish a batch run's segmentation as the current model",
    description="Publishes the fitted model of the run folder (relative to CIBLE_MODELS_DIR) as "
    "a new version and loads every customer's profile and membership. Scope: admin.",
    response_model=PublishOut,
    status_code=201,
    responses={**NOT_FOUND, **CONFLICT},
    dependencies=[require("admin")],
)
async def publish_model(request: Request, body: PublishIn) -> PublishOut:
    version = await run_in_threadpool(service_of(request).publish_run, body.run_dir)
    return PublishOut(model_version=version)
