"""``POST /v1/orders/score`` (signed): store and score a batch of order payloads."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from shopguard.server.deps import (
    ClockDep,
    IdempotencyKeyDep,
    RawBodyDep,
    ScoreBatchDep,
    SessionsDep,
    SettingsDep,
    ShopDep,
)
from shopguard.server.middleware import audit_info
from shopguard.server.routers import SIGNED_ERRORS, json_body
from shopguard.server.schemas import ScoreBatchCreate, ScoreBatchPublic
from shopguard.server.services import scoring
from shopguard.server.services.idempotency import Idempotency, run_once

router = APIRouter(prefix="/v1", tags=["orders"])


@router.post(
    "/orders/score",
    response_model=ScoreBatchPublic,
    responses={**SIGNED_ERRORS, 409: SIGNED_ERRORS[422] | {"description": "Key reused"}},
    openapi_extra=json_body(ScoreBatchCreate),
)
def score_orders(
    request: Request,
    shop: ShopDep,
    batch: ScoreBatchDep,
    body: RawBodyDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """One result per order, in the order sent; each order is stored (upsert)."""
    now = clock()
    answer, counts = run_once(
        sessions,
        Idempotency(shop.id, idempotency_key, "orders.score", body),
        ScoreBatchPublic,
        lambda session: scoring.score_orders(session, settings, shop, batch, now),
        now,
    )
    audit_info(request.state).counts.update(counts)
    # Serialized here by pydantic's own encoder, rather than validated against
    # ``response_model`` a second time and encoded by FastAPI (``response_model`` still
    # documents the answer): the service built and validated it already.
    return Response(answer.model_dump_json(), media_type="application/json")
