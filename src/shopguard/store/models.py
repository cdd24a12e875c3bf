"""The local store's tables (SQLAlchemy 2.0 typed declarative models).

Models live only in ``shopguard.store``. Secrets never have a column here: consumer keys and
secrets live in the OS keyring (see ``shopguard.woo.credentials``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
        # What a sync created or changed since the embedded scorer last ran.
        Index("ix_orders_store_synced", "store_id", "synced_at"),
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
    shipping_method_title: Mapped[str] = mapped_column(String(200), default="")
    item_count: Mapped[int] = mapped_column(default=0)
    customer_id: Mapped[int] = mapped_column(default=0)
    # The searched fields folded for the orders screen (``shopguard.store.search``).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

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
    date_completed_gmt: Mapped[datetime | None]
    synced_at: Mapped[datetime]
    # Set when the customer's raw fields were erased here (a data-subject request or
    # retention); later syncs keep them blank even if the store still has them.
    pii_erased_at: Mapped[datetime | None]


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


class OutboxItem(Base):
    """A payload waiting for (or already acknowledged by) the scoring service.

    Written in the same transaction as the order change that caused it, before any
    network call. ``payload`` holds the exact UTF-8 JSON that is (or was) sent; once
    ``sent_at`` is set the row is the "what was sent" record the owner can show anyone.
    It holds digests and non-PII facts only, never raw customer data.

    Attributes:
        kind: "order" (a score request) or "outcome" (a delivery outcome).
        payload_digest: SHA-256 of ``payload``; with ``kind`` and ``order_woo_id`` it
            makes the item's idempotency key (``OutboxRecord.idempotency_key``).
        next_attempt_at: not before this (UTC) after a failed attempt; None = now.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "store_id", "sent_at", "id"),
        Index("ix_outbox_order", "store_id", "order_woo_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store_profiles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    order_woo_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    payload_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    sent_at: Mapped[datetime | None]


class OrderScore(Base):
    """The latest risk score the scoring service (or embedded scorer) gave an order.

    Every change of it is also appended to ``order_score_history``.

    Attributes:
        score: 0-100, or None when the band is "unknown".
        band: "low", "medium", "high" or "unknown".
        reasons: JSON list of {"code", "text", "weight"}.
        model: the model version that scored it.
        scored_by: "network" (the scoring service) or "local" (the embedded scorer, from
            this shop's own history only).
        scored_at: when it was last scored (or confirmed unchanged).
    """

    __tablename__ = "order_scores"
    __table_args__ = (
        UniqueConstraint("store_id", "order_woo_id", name="uq_order_scores_order"),
        Index("ix_order_scores_score", "store_id", "score"),
        Index("ix_order_scores_band", "store_id", "band", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store_profiles.id", ondelete="CASCADE"))
    order_woo_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None]
    band: Mapped[str] = mapped_column(String(10))
    p_fail: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    model: Mapped[str] = mapped_column(String(40), default="")
    scored_by: Mapped[str] = mapped_column(String(10), default="network", server_default="network")
    scored_at: Mapped[datetime]


class OrderScoreHistory(Base):
    """One score an order had: appended whenever the band, score, reasons, model or
    scorer changed (never edited: the database refuses UPDATE). Columns as ``OrderScore``.
    """

    __tablename__ = "order_score_history"
    __table_args__ = (Index("ix_order_score_history_order", "store_id", "order_woo_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store_profiles.id", ondelete="CASCADE"))
    order_woo_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None]
    band: Mapped[str] = mapped_column(String(10))
    p_fail: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(40))
    scored_by: Mapped[str] = mapped_column(String(10))
    scored_at: Mapped[datetime]


class OrderOutcome(Base):
    """The delivery outcome the owner reported for an order (Delivered, Failed, ...).

    It takes precedence over the outcome an order status implies
    (``privacy.payload.outcome_for_status``); undoing it deletes the row, and the status
    speaks again. Every change is also a line in the event log.

    Attributes:
        outcome: "delivered", "failed", "refused" or "returned".
        recorded_at: when the owner reported it (UTC); the outcome's time for the model and
            for the scoring service.
    """

    __tablename__ = "order_outcomes"
    __table_args__ = (UniqueConstraint("store_id", "order_woo_id", name="uq_order_outcomes_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store_profiles.id", ondelete="CASCADE"))
    order_woo_id: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12))
    recorded_at: Mapped[datetime]


class LocalIdentifier(Base):
    """A strong identifier digest (email, phone, address) of an order under the *local*
    salt: the embedded scorer's index of the shop's own customers. Never sent anywhere.
    """

    __tablename__ = "local_identifiers"
    __table_args__ = (
        Index("ix_local_identifiers_digest", "store_id", "digest"),
        # The primary key is the table itself: one B-tree fewer to write per digest.
        {"sqlite_with_rowid": False},
    )

    store_id: Mapped[int] = mapped_column(
        ForeignKey("store_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    order_woo_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))


class LocalScoringState(Base):
    """Where the embedded scorer stands for one store.

    Attributes:
        salt_fingerprint: the local salt ``local_identifiers`` was built with; another
            salt means a full rebuild.
        synced_until: every order with ``synced_at`` at or before this has been scored.
        scored_at: when the scorer last ran.
    """

    __tablename__ = "local_scoring"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("store_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    salt_fingerprint: Mapped[str] = mapped_column(String(16))
    synced_until: Mapped[datetime | None]
    scored_at: Mapped[datetime]


class AssessmentRow(Base):
    """An assessment (LIA or DPIA) and its working draft.

    ``draft`` is the autosaved JSON of the draft (answers, which of them are still
    suggestions, the evidence behind the suggestions); None when the latest version is
    complete and nothing has been edited since.
    """

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    review_months: Mapped[int]
    draft: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AssessmentVersionRow(Base):
    """A completed, frozen version of an assessment; the database refuses to change it."""

    __tablename__ = "assessment_versions"
    __table_args__ = (
        UniqueConstraint("assessment_id", "number", name="uq_assessment_versions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    number: Mapped[int]
    content: Mapped[str] = mapped_column(Text)  # canonical JSON, what content_hash covers
    content_hash: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime]
    review_due: Mapped[datetime]
