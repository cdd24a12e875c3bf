"""``GET /v1/config`` (signed): hash scheme, network salt, batch limit."""

from __future__ import annotations

from fastapi import APIRouter

from shopguard.server.deps import SessionDep, SettingsDep, ShopDep
from shopguard.server.routers import SIGNED_ERRORS
from shopguard.server.schemas import ConfigPublic
from shopguard.server.services.setup import service_config

router = APIRouter(prefix="/v1", tags=["config"])


@router.get("/config", response_model=ConfigPublic, responses=SIGNED_ERRORS)
def get_config(_shop: ShopDep, session: SessionDep, settings: SettingsDep) -> ConfigPublic:
    """What a member shop needs to hash identifiers (the network salt) and batch requests."""
    return service_config(session, settings)
