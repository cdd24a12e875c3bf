"""The operator's actions (CLI): shops and their secrets, disputes. Each one is logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shopguard.server.models import Shop
from shopguard.server.repos import logs as log_repo
from shopguard.server.repos import orders as order_repo
from shopguard.server.repos import shops as shop_repo


class OperatorError(Exception):
    """The action cannot be done; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ShopSummary:
    """A shop as the operator sees it (never the secret)."""

    shop_id: str
    name: str
    revoked: bool
    created_at: datetime


def create_shop(session: Session, name: str, now: datetime) -> tuple[str, str]:
    """A new shop; (shop id, secret). The secret is shown once, to be handed to the shop."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200:
        raise OperatorError("A shop name is 1 to 200 characters.")
    shop = shop_repo.create_shop(session, cleaned, now)
    log_repo.add_operator(session, now, "shop.create", {"shop_id": shop.id})
    return shop.id, shop.secret


def list_shops(session: Session) -> list[ShopSummary]:
    """Every shop."""
    return [
        ShopSummary(s.id, s.name, s.revoked, s.created_at) for s in shop_repo.list_shops(session)
    ]


def revoke_shop(session: Session, shop_id: str, now: datetime) -> None:
    """Refuse the shop's requests from now on (its records stay until retention)."""
    shop = _shop(session, shop_id)
    if not shop.revoked:
        shop.revoked = True
        shop.revoked_at = now
    log_repo.add_operator(session, now, "shop.revoke", {"shop_id": shop_id})


def rotate_secret(session: Session, shop_id: str, now: datetime) -> str:
    """A new secret for the shop (the old one stops working at once)."""
    shop = _shop(session, shop_id)
    if shop.revoked:
        raise OperatorError(f"Shop {shop_id} is revoked; create a new shop instead.")
    shop.secret = shop_repo.new_secret()
    log_repo.add_operator(session, now, "shop.rotate_secret", {"shop_id": shop_id})
    return shop.secret


def dispute(
    session: Session, shop_id: str, order_id: str, note: str | None, remove: bool, now: datetime
) -> str:
    """Annotate a disputed record (it stops counting for other shops) or remove it."""
    order = order_repo.load_orders(session, shop_id, [order_id]).get(order_id)
    if order is None:
        raise OperatorError(f"Shop {shop_id} has no order {order_id}.")
    if remove:
        order_repo.discard_order(session, order)
        action = "dispute.remove"
    else:
        if not note or not note.strip():
            raise OperatorError("Give a note (--note) or --remove.")
        order.dispute_note = note.strip()[:2000]
        order.network_excluded = True
        action = "dispute.annotate"
    log_repo.add_operator(session, now, action, {"shop_id": shop_id, "order_id": order_id})
    return action


def _shop(session: Session, shop_id: str) -> Shop:
    shop = shop_repo.get_shop(session, shop_id)
    if shop is None:
        raise OperatorError(f"There is no shop {shop_id}.")
    return shop
