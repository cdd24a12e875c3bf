"""``POST /v1/outcomes`` (signed): delivery outcomes of orders the shop sent."""

from __future__ import annotations

from fastapi import APIRouter, Request

from shopguard.server.deps import (
    ClockDep,
    IdempotencyKeyDep,
    OutcomeBatchDep,
    RawBodyDep,
    SessionsDep,
    ShopDep,
)
from shopguard.server.middleware import audit_info
from shopguard.server.routers import SIGNED_ERRORS, json_body
from shopguard.server.schemas import OutcomeAckPublic, OutcomeBatchCreate
from shopguard.server.services import scoring
from shopguard.server.services.idempotency import Idempotency, run_once

router = APIRouter(prefix="/v1", tags=["outcomes"])


@router.post(
    "/outcomes",
    response_model=OutcomeAckPublic,
    responses={**SIGNED_ERRORS, 409: SIGNED_ERRORS[422] | {"description": "Key reused"}},
    openapi_extra=json_body(OutcomeBatchCreate),
)
def post_outcomes(
    request: Request,
    shop: ShopDep,
    batch: OutcomeBatchDep,
    body: RawBodyDep,
    sessions: SessionsDep,
    clock: ClockDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> OutcomeAckPublic:
    """How many outcomes were applied; order ids this shop never sent are listed."""
    now = clock()
    answer, counts = run_once(
        sessions,
        Idempotency(shop.id, idempotency_key, "outcomes", body),
        OutcomeAckPublic,
        lambda session: scoring.apply_outcomes(session, shop, batch),
        now,
    )
    audit_info(request.state).counts.update(counts)
    return answer
