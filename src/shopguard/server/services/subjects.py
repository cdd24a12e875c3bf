"""Data-subject rights: access (one shop's records, counts of the rest), erase, object,
and the operator's full export across shops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shopguard.server.repos import logs as log_repo
from shopguard.server.repos import subjects as subject_repo
from shopguard.server.schemas import (
    IdentifiersCreate,
    OtherShopsPublic,
    SubjectAccessPublic,
    SubjectErasePublic,
    SubjectObjectPublic,
    SubjectOrderPublic,
)
from shopguard.server.services.scoring import cents_to_text
from shopguard.server.settings import Pepper

Counts = dict[str, int]


def stored_digests(pepper: Pepper, identifiers: IdentifiersCreate) -> dict[str, str]:
    """The subject's stored digests, by kind."""
    return {kind: pepper.stored(d) for kind, d in identifiers.present().items()}


def access(
    session: Session, pepper: Pepper, shop_id: str, identifiers: IdentifiersCreate
) -> tuple[SubjectAccessPublic, Counts]:
    """This shop's records about the subject, and only counts of what others hold."""
    digests = stored_digests(pepper, identifiers)
    records = subject_repo.own_records(session, shop_id, digests.values())
    shops, orders = subject_repo.other_shop_counts(session, shop_id, digests.values())
    answer = SubjectAccessPublic(
        orders=[
            SubjectOrderPublic(
                order_id=o.order_id,
                created_at=o.created_at,
                total=cents_to_text(o.total_cents),
                currency=o.currency,
                payment_method=o.payment_method,
                shipping_method=o.shipping_method,
                status=o.status,
                ship_city=o.ship_city,
                ship_country=o.ship_country,
                outcome=o.outcome,
                outcome_at=o.outcome_at,
                matched=kinds,
            )
            for o, kinds in records
        ],
        other_shops=OtherShopsPublic(shops=shops, orders=orders),
        objected=bool(subject_repo.objected(session, digests.values())),
    )
    return answer, {"records": len(records), "other_orders": orders}


def erase(
    session: Session, pepper: Pepper, identifiers: IdentifiersCreate
) -> tuple[SubjectErasePublic, Counts]:
    """Delete every record linked to the identifiers, in every shop."""
    digests = stored_digests(pepper, identifiers)
    orders, idents = subject_repo.erase(session, digests.values())
    answer = SubjectErasePublic(erased_orders=orders, erased_identifiers=idents)
    return answer, {"erased_orders": orders, "erased_identifiers": idents}


def object_to_scoring(
    session: Session, pepper: Pepper, shop_id: str, identifiers: IdentifiersCreate, now: datetime
) -> tuple[SubjectObjectPublic, Counts]:
    """Mark the identifiers objected: later orders with them are not stored or scored."""
    digests = stored_digests(pepper, identifiers)
    added = subject_repo.add_objections(session, digests, shop_id, now)
    return SubjectObjectPublic(objected=len(digests)), {"objected": len(digests), "new": added}


def export(session: Session, pepper: Pepper, client_digests: dict[str, str], now: datetime) -> Any:
    """The operator's portable JSON of everything held about the subject, across shops."""
    digests = {kind: pepper.stored(d) for kind, d in client_digests.items()}
    records = subject_repo.all_records(session, digests.values())
    log_repo.add_operator(
        session, now, "subject.export", {"records": len(records), "kinds": sorted(digests)}
    )
    return {
        "exported_at": now.isoformat().replace("+00:00", "Z"),
        "identifiers": sorted(client_digests),
        "objected": bool(subject_repo.objected(session, digests.values())),
        "records": [
            {
                "shop_id": o.shop_id,
                "order_id": o.order_id,
                "created_at": o.created_at.isoformat().replace("+00:00", "Z"),
                "total": cents_to_text(o.total_cents),
                "currency": o.currency,
                "payment_method": o.payment_method,
                "shipping_method": o.shipping_method,
                "status": o.status,
                "ship_city": o.ship_city,
                "ship_country": o.ship_country,
                "outcome": o.outcome,
                "outcome_at": o.outcome_at.isoformat().replace("+00:00", "Z")
                if o.outcome_at
                else None,
                "dispute_note": o.dispute_note,
                "matched": kinds,
            }
            for o, kinds in records
        ],
    }
