"""``POST /v1/subjects/{access,erase,object}`` (signed): data-subject requests a shop relays.

A shop learns only its own records and counts of what other shops hold; erasure reaches
every shop (the subject asked for it); an objection stops later orders being stored or
scored anywhere.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from shopguard.server.deps import ClockDep, SessionsDep, SettingsDep, ShopDep, SubjectDep
from shopguard.server.middleware import audit_info
from shopguard.server.routers import SIGNED_ERRORS, json_body
from shopguard.server.schemas import (
    SubjectAccessPublic,
    SubjectCreate,
    SubjectErasePublic,
    SubjectObjectPublic,
)
from shopguard.server.services import subjects

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])


@router.post(
    "/access",
    response_model=SubjectAccessPublic,
    responses=SIGNED_ERRORS,
    openapi_extra=json_body(SubjectCreate),
)
def access(
    request: Request,
    shop: ShopDep,
    subject: SubjectDep,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> SubjectAccessPublic:
    """This shop's records about the subject; counts only of other shops' records."""
    with sessions.begin() as session:
        answer, counts = subjects.access(session, settings.pepper, shop.id, subject.identifiers)
    audit_info(request.state).counts.update(counts)
    return answer


@router.post(
    "/erase",
    response_model=SubjectErasePublic,
    responses=SIGNED_ERRORS,
    openapi_extra=json_body(SubjectCreate),
)
def erase(
    request: Request,
    _shop: ShopDep,
    subject: SubjectDep,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> SubjectErasePublic:
    """Erase every record linked to the identifiers, in every shop; counts come back."""
    with sessions.begin() as session:
        answer, counts = subjects.erase(session, settings.pepper, subject.identifiers)
    audit_info(request.state).counts.update(counts)
    return answer


@router.post(
    "/object",
    response_model=SubjectObjectPublic,
    responses=SIGNED_ERRORS,
    openapi_extra=json_body(SubjectCreate),
)
def object_to_scoring(
    request: Request,
    shop: ShopDep,
    subject: SubjectDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> SubjectObjectPublic:
    """Mark the identifiers objected: later orders with them are neither stored nor scored."""
    with sessions.begin() as session:
        answer, counts = subjects.object_to_scoring(
            session, settings.pepper, shop.id, subject.identifiers, clock()
        )
    audit_info(request.state).counts.update(counts)
    return answer
