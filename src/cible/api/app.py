"""The FastAPI app factory: ``create_app(settings, store=...)``.

Nothing is built at import time: settings are read (``CIBLE_*``) and checked, the store opened and
the caches created when the factory is called (``uvicorn --factory cible.api:create_app`` or
``cible serve``). A store passed in is the caller's to close; a store the factory opens is closed
when the app shuts down.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from cible._version import __version__
from cible.api.errors import install_error_handlers
from cible.api.fastpath import CachedProfileMiddleware
from cible.api.guard import RateLimitMiddleware, SecurityHeadersMiddleware, TokenBuckets
from cible.api.logs import AccessLogMiddleware, configure_logging
from cible.api.routes import collector, customers, events, health, segment_models, segments
from cible.config.service import ServiceSettings, load_service_settings
from cible.services.live import LiveService, run_publisher

if TYPE_CHECKING:
    from cible.store import ProfileStore

log = logging.getLogger("cible.api")

DESCRIPTION = """Live profiles and segments of cible.

Every /v1 route needs an API key (`X-API-Key: <key>` or `Authorization: Bearer <key>`) with the
route's scope: `read`, `write` or `admin` (admin implies the others). Keys are created with
`cible keys create --scope S --store URL`. Errors have one shape: `{error, message, fields}`.
When the service sets a rate limit (`CIBLE_RATE_LIMIT_PER_S`), a key past its burst gets 429
`rate_limited` with `Retry-After` (seconds).
"""


def _publish_url(settings: ServiceSettings, store: ProfileStore) -> str:
    """The URL ``POST /v1/models`` publishes to: the settings' (password added), else the
    injected store's own engine URL (``store.url`` is masked)."""
    if settings.store_url:
        return settings.store_connect_url()
    return str(store.engine.url.render_as_string(hide_password=False))


def _lifespan(
    service: LiveService, store: ProfileStore, owned: bool, environment: str
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start the profile change feed with the app; stop it (and close an owned store) after."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        feed = service.follow_store_changes()
        log.info(
            "service started on store %s (%s), profile change feed %s",
            store.url,
            environment,
            "on" if feed else "off",
        )
        try:
            yield
        finally:
            service.close()
            if service.online is not None:
                service.online.close()
            if owned:
                store.close()

    return lifespan


def create_app(
    settings: ServiceSettings | None = None, *, store: ProfileStore | None = None
) -> FastAPI:
    """The REST service over ``store`` (or the store at ``settings.store_url``)."""
    settings = (settings or load_service_settings()).check_safe()
    configure_logging(settings.log_level)
    owned = store is None
    if store is None:
        from cible.store import ProfileStore

        store = ProfileStore.open(
            settings.store_connect_url(),
            migrate=settings.store_migrate,
            schema=settings.store_schema,
        )
    online = None
    if settings.online_store_url:
        from cible.store.online import OnlineStore

        online = OnlineStore.open(settings.online_store_url, settings.online_store_prefix)
    service = LiveService.from_settings(
        store,
        settings,
        render=customers.render_profile,
        publisher=run_publisher(_publish_url(settings, store), settings.store_schema),
        online=online,
    )
    lifespan = _lifespan(service, store, owned, settings.environment)

    app = FastAPI(
        title="cible",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = service
    app.state.settings = settings
    install_error_handlers(app)
    for module in (health, events, customers, segments, segment_models, collector):
        app.include_router(module.router)
    app.include_router(collector.hooks)
    _install_middlewares(app, settings, service)
    return app


def _install_middlewares(app: FastAPI, settings: ServiceSettings, service: LiveService) -> None:
    """From the outside in: access log (sees every answer, 429s included), security headers
    (on every answer), rate limit (before any key check or store read), CORS (only the
    configured origins; none by default), the cache-only profile fast path, then the app."""
    app.add_middleware(CachedProfileMiddleware, service=service)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type"],
        )
    if settings.rate_limit_per_s > 0:
        buckets = TokenBuckets(settings.rate_limit_per_s, settings.rate_limit_burst)
        app.add_middleware(RateLimitMiddleware, buckets=buckets)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware)
