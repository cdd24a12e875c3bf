"""``GET /v1/health``: unsigned liveness check for load balancers and the operator."""

from __future__ import annotations

from fastapi import APIRouter

from shopguard.server.schemas import HealthPublic

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health() -> HealthPublic:
    """The service is up."""
    return HealthPublic()
