"""The service's own tables (SQLAlchemy 2.0 typed declarative models).

Identifiers are stored only as ``HMAC-SHA256(pepper, client digest)``; nothing here can be
turned back into an email, phone, name or address. The audit, purge and operator logs hold
counts and references, never identifiers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and always returned timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with UTC datetimes."""

    type_annotation_map = {datetime: UTCDateTime()}


class ConfigEntry(Base):
    """Service-wide values made once (the network salt)."""

    __tablename__ = "config"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Shop(Base):
    """A member shop. The secret is kept as issued (HMAC needs it) and never logged."""

    __tablename__ = "shops"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(128))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    medium_cutoff: Mapped[int | None] = mapped_column(Integer)
    high_cutoff: Mapped[int | None] = mapped_column(Integer)


class SeenNonce(Base):
    """A request nonce, kept for the replay window and then pruned."""

    __tablename__ = "seen_nonces"

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class IdempotencyRecord(Base):
    """The answer given to an Idempotency-Key, replayed for 24 hours."""

    __tablename__ = "idempotency"

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(60))
    body_hash: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class Order(Base):
    """One shop's order, as its payload said (upserted by shop + order_id).

    Attributes:
        total_cents: the order total in minor units (exact, sortable for the median).
        city_key: the delivery town folded for matching (lowercase, trimmed).
        outcome, outcome_at: the delivery outcome once reported.
        dispute_note: the operator's note on a disputed record.
        network_excluded: a disputed record no longer counts for other shops.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id", name="uq_orders_shop_order"),
        Index("ix_orders_shop_currency_total", "shop_id", "currency", "total_cents"),
        Index("ix_orders_created_at", "created_at"),
        Index("ix_orders_place", "ship_country", "city_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    total_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(60))
    shipping_method: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(60))
    ship_city: Mapped[str | None] = mapped_column(String(60))
    city_key: Mapped[str | None] = mapped_column(String(60))
    ship_country: Mapped[str | None] = mapped_column(String(2))
    outcome: Mapped[str | None] = mapped_column(String(12))
    outcome_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    dispute_note: Mapped[str | None] = mapped_column(Text)
    network_excluded: Mapped[bool] = mapped_column(Boolean, default=False)

    identifiers: Mapped[list[OrderIdentifier]] = relationship(
        back_populates="order", cascade="all, delete-orphan", passive_deletes=True
    )


class OrderIdentifier(Base):
    """One identifier of an order: ``digest`` = hex HMAC-SHA256(pepper, client digest)."""

    __tablename__ = "order_identifiers"
    __table_args__ = (UniqueConstraint("order_pk", "kind", name="uq_identifiers_order_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64), index=True)

    order: Mapped[Order] = relationship(back_populates="identifiers")


class Objection(Base):
    """An identifier whose subject objected: their later orders are not stored or scored."""

    __tablename__ = "objections"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    objected_at: Mapped[datetime]
    via_shop: Mapped[str | None] = mapped_column(String(40))


class PlaceStat(Base):
    """Delivered and failed parcels per town across the network (rebuilt by maintenance)."""

    __tablename__ = "place_stats"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    city_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    delivered: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """One API call: who, which endpoint, the answer's status, counts. Never identifiers."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    shop_id: Mapped[str | None] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(8))
    endpoint: Mapped[str] = mapped_column(String(100))
    status: Mapped[int] = mapped_column(Integer)
    counts: Mapped[str] = mapped_column(Text, default="{}")


class PurgeEntry(Base):
    """One retention purge: when, why, and how many rows went (counts only)."""

    __tablename__ = "purge_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(20))
    counts: Mapped[str] = mapped_column(Text)


class OperatorEntry(Base):
    """An operator's action (shops, disputes, exports): what, on which record, when."""

    __tablename__ = "operator_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
