"""The local store's tables (SQLAlchemy 2.0 typed declarative models).

Models live only in ``shopguard.store``. Secrets never have a column here: consumer keys and
secrets live in the OS keyring (see ``shopguard.woo.credentials``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shopguard.store.types import Money, UTCDateTime


class Base(DeclarativeBase):
    """Declarative base with the domain type map."""

    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money()}


class StoreProfile(Base):
    """A WooCommerce store the owner connected (never its secrets).

    Attributes:
        url: the store's home URL, normalised (no trailing slash); unique.
        name: what the owner calls it.
        default_country: ISO 3166-1 alpha-2, used when an order has no country.
        currency: ISO 4217 code the shop sells in.
        auth_mode: how the last successful connection authenticated ("basic", "query", "oauth").
        permissions: "read", "read_write" or "unknown" (as last detected).
    """

    __tablename__ = "store_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_country: Mapped[str] = mapped_column(String(2), default="")
    currency: Mapped[str] = mapped_column(String(3), default="")
    auth_mode: Mapped[str] = mapped_column(String(10), default="")
    permissions: Mapped[str] = mapped_column(String(12), default="unknown")
    created_at: Mapped[datetime]

    cursor: Mapped[SyncCursor | None] = relationship(back_populates="store")


class SyncCursor(Base):
    """How far a store's orders have been synced.

    ``modified_after`` only advances in the same transaction as the orders it covers, so a
    crash at any point loses nothing and the next run resumes from here.

    Attributes:
        modified_after: every order modified at or before this (UTC) is stored.
        full_sync_done: the first full sync has completed at least once.
        last_sync_at: when the last sync finished successfully.
    """

    __tablename__ = "sync_cursors"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("store_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    modified_after: Mapped[datetime | None]
    full_sync_done: Mapped[bool] = mapped_column(default=False)
    last_sync_at: Mapped[datetime | None]

    store: Mapped[StoreProfile] = relationship(back_populates="cursor")


class Order(Base):
    """One WooCommerce order as the owner sees it in their own shop.

    The raw customer fields (name, email, phone, address) stay on this machine; only
    pseudonymized digests ever leave it.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store_id", "woo_id", name="uq_orders_store_woo_id"),
        Index("ix_orders_store_created", "store_id", "date_created_gmt"),
        Index("ix_orders_store_modified", "store_id", "date_modified_gmt"),
        Index("ix_orders_store_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store_profiles.id", ondelete="CASCADE"))
    woo_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(40))
    date_created_gmt: Mapped[datetime]
    date_modified_gmt: Mapped[datetime]
    total: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[str] = mapped_column(String(100), default="")
    payment_method_title: Mapped[str] = mapped_column(String(200), default="")
    shipping_method: Mapped[str] = mapped_column(String(200), default="")
    item_count: Mapped[int] = mapped_column(default=0)
    customer_id: Mapped[int] = mapped_column(default=0)

    billing_first_name: Mapped[str] = mapped_column(String(200), default="")
    billing_last_name: Mapped[str] = mapped_column(String(200), default="")
    billing_company: Mapped[str] = mapped_column(String(200), default="")
    billing_email: Mapped[str] = mapped_column(String(320), default="")
    billing_phone: Mapped[str] = mapped_column(String(64), default="")
    billing_address_1: Mapped[str] = mapped_column(String(300), default="")
    billing_address_2: Mapped[str] = mapped_column(String(300), default="")
    billing_city: Mapped[str] = mapped_column(String(200), default="")
    billing_state: Mapped[str] = mapped_column(String(100), default="")
    billing_postcode: Mapped[str] = mapped_column(String(40), default="")
    billing_country: Mapped[str] = mapped_column(String(2), default="")

    shipping_first_name: Mapped[str] = mapped_column(String(200), default="")
    shipping_last_name: Mapped[str] = mapped_column(String(200), default="")
    shipping_company: Mapped[str] = mapped_column(String(200), default="")
    shipping_phone: Mapped[str] = mapped_column(String(64), default="")
    shipping_address_1: Mapped[str] = mapped_column(String(300), default="")
    shipping_address_2: Mapped[str] = mapped_column(String(300), default="")
    shipping_city: Mapped[str] = mapped_column(String(200), default="")
    shipping_state: Mapped[str] = mapped_column(String(100), default="")
    shipping_postcode: Mapped[str] = mapped_column(String(40), default="")
    shipping_country: Mapped[str] = mapped_column(String(2), default="")

    customer_note: Mapped[str] = mapped_column(Text, default="")
    synced_at: Mapped[datetime]


class Event(Base):
    """One line of the append-only event log: what happened to the local data, and when.

    Never holds secrets or customer PII: order events name the WooCommerce order id and
    number and the status change, nothing about the customer. The database refuses
    UPDATE and DELETE on this table (triggers in the migration).

    Attributes:
        kind: e.g. "sync.started", "sync.completed", "sync.failed", "order.created",
            "order.changed", "order.deleted".
        detail: a short JSON object with the facts of the event.
    """

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    # No foreign key: the log outlives what it talks about.
    store_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(40))
    order_woo_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="{}")
