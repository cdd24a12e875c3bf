"""The service's own tables (SQLAlchemy 2.0 typed declarative models).

Identifiers are stored only as ``HMAC-SHA256(pepper, client digest)``; nothing here can be
turned back into an email, phone, name or address. The audit, purge and operator logs hold
counts and references, never identifiers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
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


class RateWindow(Base):
    """Requests a shop made in one fixed rate-limit window, shared by every worker.

    ``window_start`` is the window's first second (Unix time, a multiple of the window's
    length); rows of past windows are pruned.
    """

    __tablename__ = "rate_windows"

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)


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
        # The shop's latest orders in a currency, with their totals (its usual order value);
        # a new order goes at the end of its shop's range.
        Index(
            "ix_orders_shop_currency_created", "shop_id", "currency", "created_at", "total_cents"
        ),
        Index("ix_orders_created_at", "created_at"),
        # A town's shared outcomes by time, with the outcome (the point-in-time town
        # statistics count the latest day from it alone); partial, so storing a new order
        # (no outcome yet) costs it nothing.
        Index(
            "ix_orders_place_outcome",
            "ship_country",
            "city_key",
            "outcome_at",
            "outcome",
            "network_excluded",
            sqlite_where=text("outcome_at IS NOT NULL AND network_excluded = 0"),
            postgresql_where=text("outcome_at IS NOT NULL AND NOT network_excluded"),
        ),
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
    __table_args__ = (
        UniqueConstraint("order_pk", "kind", name="uq_identifiers_order_kind"),
        # By digest, with the order it belongs to: finding the orders that share a digest
        # needs no visit to the table itself.
        Index("ix_order_identifiers_digest_order", "digest", "order_pk"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    digest: Mapped[str] = mapped_column(String(64))

    order: Mapped[Order] = relationship(back_populates="identifiers")


class Objection(Base):
    """An identifier whose subject objected: their later orders are not stored or scored."""

    __tablename__ = "objections"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    objected_at: Mapped[datetime]
    via_shop: Mapped[str | None] = mapped_column(String(40))


class PlaceStat(Base):
    """Delivered and failed parcels per town across the network, cumulative: all outcomes
    reported up to the end of ``day`` (a row per town and day with outcomes).

    Rebuilt from the orders by maintenance; what changed since is in ``place_deltas``.
    """

    __tablename__ = "place_stats"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    city_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    delivered: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)


class PlaceDelta(Base):
    """A change to a town's parcels since ``place_stats`` was rebuilt: +1 or -1 delivered or
    failed at the outcome's time. Written by triggers on ``orders`` (migration 0003), so
    every insert, update and delete is seen; emptied by each rebuild.
    """

    __tablename__ = "place_deltas"
    __table_args__ = (Index("ix_place_deltas_place_at", "country", "city_key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    city_key: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime]
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
