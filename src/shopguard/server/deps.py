"""FastAPI dependencies (``Annotated`` aliases): settings, database, clock, the verified
shop, and request bodies parsed only after the signature checked out.

The ones that only hand over what ``create_app`` built are ``async``: FastAPI runs a plain
function dependency in its thread pool, a hop to another thread and back for a lookup. So
are the body parsers: validating a batch is pure Python work that holds the interpreter's
lock wherever it runs, and the hop to a thread and back cost about 0.7 ms a scored batch
(1.6 ms of parsing). What waits on the database runs in the thread pool.

Bodies are parsed here rather than by FastAPI so that an unsigned request is refused
(401) before anything in its body is looked at, and so that every 422 names its field. The
batch models are the ones ``with_max_batch`` makes for the settings, the very classes whose
JSON schema /openapi.json shows (see ``main``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from shopguard.server.auth import RequestGuard, read_signed, request_target
from shopguard.server.errors import invalid
from shopguard.server.middleware import audit_info
from shopguard.server.schemas import (
    OutcomeBatchCreate,
    ScoreBatchCreate,
    SubjectCreate,
    with_max_batch,
)
from shopguard.server.services.scoring import ShopContext
from shopguard.server.settings import ServerSettings

Clock = Callable[[], datetime]
M = TypeVar("M", bound=BaseModel)


async def get_settings(request: Request) -> ServerSettings:
    """The settings ``create_app`` was given."""
    settings: ServerSettings = request.app.state.settings
    return settings


async def get_sessions(request: Request) -> sessionmaker[Session]:
    """The session factory ``create_app`` built."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


def get_session(
    sessions: Annotated[sessionmaker[Session], Depends(get_sessions)],
) -> Iterator[Session]:
    """A session for one request (units of work open their own transaction)."""
    with sessions() as session:
        yield session


async def get_clock() -> Clock:
    """The clock (tests override it)."""
    return lambda: datetime.now(UTC)


async def get_guard(request: Request) -> RequestGuard:
    """The request verifier ``create_app`` built."""
    guard: RequestGuard = request.app.state.guard
    return guard


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
SessionDep = Annotated[Session, Depends(get_session)]
ClockDep = Annotated[Clock, Depends(get_clock)]
GuardDep = Annotated[RequestGuard, Depends(get_guard)]


async def get_raw_body(request: Request) -> bytes:
    """The raw body, exactly as received (the signature covers these bytes)."""
    return await request.body()


RawBodyDep = Annotated[bytes, Depends(get_raw_body)]


def authenticate(
    request: Request, body: RawBodyDep, guard: GuardDep, clock: ClockDep
) -> ShopContext:
    """The verified shop of a signed request (401 or 429 otherwise)."""
    scope = request.scope
    target = request_target(
        scope.get("raw_path") or scope["path"].encode(),
        scope.get("query_string", b""),
        scope.get("root_path", ""),
    )
    signed = read_signed(request.headers, request.method, target, body)
    shop = guard.verify(signed, clock())
    audit_info(request.state).shop_id = shop.id
    return shop


ShopDep = Annotated[ShopContext, Depends(authenticate)]
IdempotencyKeyDep = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=128, pattern=r"^[\x21-\x7e]+$"),
]


def parse_json(model: type[M], body: bytes) -> M:
    """Validate a JSON body against a request model (422 naming the field)."""
    try:
        return model.model_validate_json(body or b"null")
    except ValidationError as exc:
        raise invalid(exc) from exc


async def score_batch(_shop: ShopDep, body: RawBodyDep, settings: SettingsDep) -> ScoreBatchCreate:
    """The body of POST /v1/orders/score, after the signature checked out."""
    return parse_json(with_max_batch(ScoreBatchCreate, settings.max_batch), body)


async def outcome_batch(
    _shop: ShopDep, body: RawBodyDep, settings: SettingsDep
) -> OutcomeBatchCreate:
    """The body of POST /v1/outcomes, after the signature checked out."""
    return parse_json(with_max_batch(OutcomeBatchCreate, settings.max_batch), body)


async def subject(_shop: ShopDep, body: RawBodyDep) -> SubjectCreate:
    """The body of the /v1/subjects requests, after the signature checked out."""
    return parse_json(SubjectCreate, body)


ScoreBatchDep = Annotated[ScoreBatchCreate, Depends(score_batch)]
OutcomeBatchDep = Annotated[OutcomeBatchCreate, Depends(outcome_batch)]
SubjectDep = Annotated[SubjectCreate, Depends(subject)]
