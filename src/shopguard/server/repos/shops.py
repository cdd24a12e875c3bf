"""Shops, their secrets, and the service-wide config (the network salt)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopguard.server.models import ConfigEntry, Shop


def new_secret() -> str:
    """A fresh shop secret (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def create_shop(session: Session, name: str, now: datetime) -> Shop:
    """A new shop with a fresh id and secret."""
    shop = Shop(
        id="shop_" + secrets.token_hex(8),
        name=name,
        secret=new_secret(),
        revoked=False,
        created_at=now,
        revoked_at=None,
    )
    session.add(shop)
    session.flush()
    return shop


def get_shop(session: Session, shop_id: str) -> Shop | None:
    """The shop, or None."""
    return session.get(Shop, shop_id)


def list_shops(session: Session) -> Sequence[Shop]:
    """Every shop, oldest first."""
    return session.scalars(select(Shop).order_by(Shop.created_at, Shop.id)).all()


def get_config(session: Session, key: str) -> str | None:
    """A service-wide value, or None."""
    entry = session.get(ConfigEntry, key)
    return entry.value if entry else None


def set_config(session: Session, key: str, value: str) -> None:
    """Set a service-wide value."""
    session.merge(ConfigEntry(key=key, value=value))
