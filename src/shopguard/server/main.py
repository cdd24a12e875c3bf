"""The service's composition root: ``create_app(settings)`` builds everything once.

It migrates the database, makes the network salt if there is none, builds the engine, the
session factory, the rate limiter and the request verifier, and wires routers, error
handlers and middleware. The running app purges once a day (``maintenance_seconds``).
OpenAPI is at /openapi.json and the docs at /docs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shopguard import __version__
from shopguard.server.auth import RequestGuard
from shopguard.server.errors import install_error_handlers
from shopguard.server.middleware import (
    AuditMiddleware,
    AuditRecord,
    AuditWriter,
    BodyLimitMiddleware,
)
from shopguard.server.ratelimit import RateLimiter
from shopguard.server.repos import logs as log_repo
from shopguard.server.routers import config, health, orders, outcomes, subjects
from shopguard.server.schemas import OutcomeBatchCreate, ScoreBatchCreate, SubjectCreate
from shopguard.server.services import maintenance
from shopguard.server.services.setup import open_database
from shopguard.server.settings import ServerSettings, settings_from_env

log = logging.getLogger(__name__)

DESCRIPTION = (
    "ShopGuard's cross-shop scoring service. Member shops send pseudonymized order payloads "
    "(hash scheme v1 digests and a few non-personal facts) and delivery outcomes, and get a "
    "risk score with plain-language reasons. Every /v1 request except /v1/health is signed "
    "(X-ShopGuard-Shop, -Timestamp, -Nonce, -Signature)."
)
ENDPOINTS = (
    "/v1/config",
    "/v1/orders/score",
    "/v1/outcomes",
    "/v1/subjects/access",
    "/v1/subjects/erase",
    "/v1/subjects/object",
)
_REQUEST_MODELS = (ScoreBatchCreate, OutcomeBatchCreate, SubjectCreate)


def create_app(settings: ServerSettings) -> FastAPI:
    """The service for these settings (migrates the database first)."""
    engine, sessions = open_database(settings.database_url)
    with sessions.begin() as session:
        maintenance.refresh_statistics(session)
    guard = RequestGuard(
        sessions,
        RateLimiter(settings.rate_per_minute),
        max_skew_seconds=settings.max_skew_seconds,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = None
        if settings.maintenance_seconds > 0:
            task = asyncio.create_task(_maintain(sessions, settings))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            engine.dispose()

    app = FastAPI(
        title="ShopGuard scoring service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.guard = guard
    install_error_handlers(app)
    for module in (health, config, orders, outcomes, subjects):
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuditMiddleware, writer=audit_writer(sessions), endpoints=ENDPOINTS)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app for a uvicorn worker process (``serve --workers N``): settings from the env."""
    return create_app(settings_from_env())


def audit_writer(sessions: sessionmaker[Session]) -> AuditWriter:
    """Writes each audit record in its own short transaction."""

    def write(record: AuditRecord) -> None:
        with sessions.begin() as session:
            log_repo.add_audit(
                session,
                datetime.now(UTC),
                record.shop_id,
                record.method,
                record.endpoint,
                record.status,
                record.counts,
            )

    return write


def _openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    # Request bodies are parsed after authentication (see deps.py), so FastAPI does not know
    # them; their schemas are added here for /docs and for contract testing tools.
    _, definitions = models_json_schema(
        [(model, "validation") for model in _REQUEST_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.get("$defs", {}))
    return schema


async def _maintain(sessions: sessionmaker[Session], settings: ServerSettings) -> None:
    while True:
        await asyncio.sleep(settings.maintenance_seconds)
        try:
            await run_in_threadpool(_purge, sessions, settings)
        except Exception:
            log.exception("Scheduled purge failed; it runs again later")


def _purge(sessions: sessionmaker[Session], settings: ServerSettings) -> None:
    with sessions.begin() as session:
        maintenance.purge(
            session,
            datetime.now(UTC),
            "scheduled",
            retention_days=settings.retention_days,
            max_skew_seconds=settings.max_skew_seconds,
            idempotency_hours=settings.idempotency_hours,
        )
