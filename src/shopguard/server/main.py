"""The service's composition root: ``create_app(settings)`` builds everything once.

It migrates the database, makes the network salt if there is none, builds the engine, the
session factory, the rate limiter and the request verifier, and wires routers, error
handlers and middleware. The running app purges once a day (``maintenance_seconds``).
OpenAPI is at /openapi.json and the docs at /docs: besides what FastAPI derives from the
routes, the document gets the request bodies (the models that parse them, batches limited
to ``max_batch``), and on every operation that depends on the signature check the four
signature headers (a security requirement and header parameters with their form, from
``auth.SIGNATURE_HEADERS``), the signing recipe and the 401/413/422/429 refusals.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic.json_schema import models_json_schema
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shopguard import __version__
from shopguard.server.auth import SIGNATURE_HEADERS, SIGNING_RECIPE, RequestGuard
from shopguard.server.deps import authenticate
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
from shopguard.server.schemas import (
    OutcomeBatchCreate,
    ScoreBatchCreate,
    SubjectCreate,
    with_max_batch,
)
from shopguard.server.services import maintenance
from shopguard.server.services.setup import open_database
from shopguard.server.settings import ServerSettings, settings_from_env

log = logging.getLogger(__name__)

DESCRIPTION = (
    "ShopGuard's cross-shop scoring service. Member shops send pseudonymized order payloads "
    "(hash scheme v1 digests and a few non-personal facts) and delivery outcomes, and get a "
    "risk score with plain-language reasons. Errors always have the shape "
    '`{"error": {"code": "...", "message": "..."}}`; a 422 names the field in its message.'
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
_ROUTERS = (health, config, orders, outcomes, subjects)


def create_app(settings: ServerSettings) -> FastAPI:
    """The service for these settings (migrates the database first, refuses a pepper the
    database was not filled with)."""
    engine, sessions = open_database(settings.database_url, pepper=settings.pepper)
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
    for module in _ROUTERS:
        app.include_router(module.router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuditMiddleware, writer=audit_writer(sessions), endpoints=ENDPOINTS)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app for a uvicorn worker process (``serve --workers N``): settings from the env."""
    app = create_app(settings_from_env())
    tune_garbage_collector()
    return app


# Young collections after this many new container objects rather than Python's 700: a
# batch makes tens of thousands (rows, tallies, reasons), nearly all freed by their
# reference counts anyway.
GC_THRESHOLDS = (20_000, 20, 50)


def tune_garbage_collector() -> None:
    """Tune the garbage collector of a serving process, once its app is built.

    Everything alive by then (modules, the app, SQLAlchemy's metadata: hundreds of
    thousands of objects that live as long as the process) is moved out of the collector's
    sight (``gc.freeze``), so a full collection no longer walks it: on a busy worker those
    collections took 50-150 ms, inside whichever request triggered them. For serving
    processes only (``serve``), never for the tests' many short-lived apps.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


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


def _openapi(app: FastAPI, settings: ServerSettings) -> dict[str, Any]:
    description = "\n\n".join(
        (
            app.description,
            SIGNING_RECIPE.format(skew=settings.max_skew_seconds, rate=settings.rate_per_minute),
        )
    )
    schema = get_openapi(
        title=app.title, version=app.version, description=description, routes=app.routes
    )
    # Request bodies are parsed after authentication (see deps.py), so FastAPI does not know
    # them; the very models that parse them (batches limited to max_batch) are added here for
    # /docs and for contract testing tools.
    _, definitions = models_json_schema(
        [(with_max_batch(model, settings.max_batch), "validation") for model in _REQUEST_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(definitions.get("$defs", {}))
    _document_signing(schema, _signed_operations(), settings)
    return schema


def _signed_operations() -> set[tuple[str, str]]:
    """(path, method) of every operation that depends on the signature check."""

    def signed(dependant: Dependant) -> bool:
        return any(d.call is authenticate or signed(d) for d in dependant.dependencies)

    return {
        (route.path_format, method.lower())
        for module in _ROUTERS
        for route in module.router.routes
        if isinstance(route, APIRoute) and signed(route.dependant)
        for method in route.methods or ()
    }


def _document_signing(
    schema: dict[str, Any], operations: set[tuple[str, str]], settings: ServerSettings
) -> None:
    """The signature headers (a security requirement and header parameters with their
    form) and the refusals of every signed operation."""
    skew = settings.max_skew_seconds
    schemes = {
        _scheme_name(rule.name): {
            "type": "apiKey",
            "in": "header",
            "name": rule.name,
            "description": rule.description.format(skew=skew),
        }
        for rule in SIGNATURE_HEADERS
    }
    schema["components"]["securitySchemes"] = schemes
    parameters = [
        {
            "name": rule.name,
            "in": "header",
            "required": True,
            "description": rule.description.format(skew=skew),
            "schema": {"type": "string", "pattern": rule.pattern},
        }
        for rule in SIGNATURE_HEADERS
    ]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}
    refusals: dict[str, dict[str, Any]] = {
        "401": {
            "description": "Not signed, or the signature, shop, timestamp or nonce was refused",
        },
        "413": {"description": f"The body is over {settings.max_body_bytes} bytes"},
        "422": {"description": "The request is not valid; the message names the field"},
        "429": {
            "description": (
                f"Over the shop's rate limit ({settings.rate_per_minute} requests a minute, "
                "shared by all workers)"
            ),
            "headers": {
                "Retry-After": {
                    "description": "Seconds until the shop's next rate-limit window",
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
        },
    }
    for path, method in operations:
        operation = schema["paths"][path][method]
        operation["security"] = [{name: [] for name in schemes}]
        names = {rule.name.lower() for rule in SIGNATURE_HEADERS}
        others = [
            _not_null(p) for p in operation.get("parameters", []) if p["name"].lower() not in names
        ]
        operation["parameters"] = [*parameters, *others]
        responses = operation.setdefault("responses", {})
        for status, answer in refusals.items():
            responses[status] = {**answer, "content": error}


def _not_null(parameter: dict[str, Any]) -> dict[str, Any]:
    """A header is a string or absent, never null: ``anyOf: [X, null]`` becomes X."""
    choices = parameter.get("schema", {}).get("anyOf")
    if parameter.get("in") != "header" or not choices:
        return parameter
    kept = [c for c in choices if c != {"type": "null"}]
    if len(kept) != 1:
        return parameter
    title = parameter["schema"].get("title")
    return {**parameter, "schema": {**kept[0], **({"title": title} if title else {})}}


def _scheme_name(header: str) -> str:
    return header.removeprefix("X-").replace("-", "")


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
