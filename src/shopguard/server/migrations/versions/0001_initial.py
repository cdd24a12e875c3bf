"""Initial schema: shops, nonces, idempotency, orders and identifiers, objections, logs.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "shops",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("medium_cutoff", sa.Integer(), nullable=True),
        sa.Column("high_cutoff", sa.Integer(), nullable=True),
    )
    op.create_table(
        "seen_nonces",
        sa.Column("shop_id", sa.String(40), primary_key=True),
        sa.Column("nonce", sa.String(128), primary_key=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_seen_nonces_seen_at", "seen_nonces", ["seen_at"])
    op.create_table(
        "idempotency",
        sa.Column("shop_id", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("endpoint", sa.String(60), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_idempotency_created_at", "idempotency", ["created_at"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "shop_id", sa.String(40), sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_method", sa.String(60), nullable=False),
        sa.Column("shipping_method", sa.String(60), nullable=False),
        sa.Column("status", sa.String(60), nullable=False),
        sa.Column("ship_city", sa.String(60), nullable=True),
        sa.Column("city_key", sa.String(60), nullable=True),
        sa.Column("ship_country", sa.String(2), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("outcome_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("dispute_note", sa.Text(), nullable=True),
        sa.Column("network_excluded", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("shop_id", "order_id", name="uq_orders_shop_order"),
    )
    op.create_index("ix_orders_created_at", "orders", ["created_at"])
    op.create_index("ix_orders_place", "orders", ["ship_country", "city_key"])
    op.create_index(
        "ix_orders_shop_currency_total", "orders", ["shop_id", "currency", "total_cents"]
    )
    op.create_table(
        "order_identifiers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "order_pk",
            sa.Integer(),
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.UniqueConstraint("order_pk", "kind", name="uq_identifiers_order_kind"),
    )
    op.create_index("ix_order_identifiers_digest", "order_identifiers", ["digest"])
    op.create_table(
        "objections",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("objected_at", sa.DateTime(), nullable=False),
        sa.Column("via_shop", sa.String(40), nullable=True),
    )
    op.create_table(
        "place_stats",
        sa.Column("country", sa.String(2), primary_key=True),
        sa.Column("city_key", sa.String(60), primary_key=True),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("shop_id", sa.String(40), nullable=True),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("endpoint", sa.String(100), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "purge_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
    )
    op.create_table(
        "operator_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "operator_log",
        "purge_log",
        "audit_log",
        "place_stats",
        "objections",
        "order_identifiers",
        "orders",
        "idempotency",
        "seen_nonces",
        "shops",
        "config",
    ):
        op.drop_table(table)
