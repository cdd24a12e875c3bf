"""Store profiles, sync cursors and orders.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TEXT_FIELDS = {
    "first_name": 200,
    "last_name": 200,
    "company": 200,
    "address_1": 300,
    "address_2": 300,
    "city": 200,
    "state": 100,
    "postcode": 40,
    "country": 2,
}


def _address_columns(prefix: str, extra: dict[str, int]) -> list[sa.Column[str]]:
    fields = dict(_TEXT_FIELDS, **extra)
    return [
        sa.Column(f"{prefix}_{name}", sa.String(length), nullable=False)
        for name, length in fields.items()
    ]


def upgrade() -> None:
    op.create_table(
        "store_profiles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(500), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("default_country", sa.String(2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("auth_mode", sa.String(10), nullable=False),
        sa.Column("permissions", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sync_cursors",
        sa.Column(
            "store_id",
            sa.Integer,
            sa.ForeignKey("store_profiles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("modified_after", sa.DateTime, nullable=True),
        sa.Column("full_sync_done", sa.Boolean, nullable=False),
        sa.Column("last_sync_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "store_id",
            sa.Integer,
            sa.ForeignKey("store_profiles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("woo_id", sa.Integer, nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("date_created_gmt", sa.DateTime, nullable=False),
        sa.Column("date_modified_gmt", sa.DateTime, nullable=False),
        sa.Column("total", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_method", sa.String(100), nullable=False),
        sa.Column("payment_method_title", sa.String(200), nullable=False),
        sa.Column("shipping_method", sa.String(200), nullable=False),
        sa.Column("item_count", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.Integer, nullable=False),
        *_address_columns("billing", {"email": 320, "phone": 64}),
        *_address_columns("shipping", {"phone": 64}),
        sa.Column("customer_note", sa.Text, nullable=False),
        sa.Column("synced_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("store_id", "woo_id", name="uq_orders_store_woo_id"),
    )
    op.create_index("ix_orders_store_created", "orders", ["store_id", "date_created_gmt"])
    op.create_index("ix_orders_store_modified", "orders", ["store_id", "date_modified_gmt"])
    op.create_index("ix_orders_store_status", "orders", ["store_id", "status"])


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("sync_cursors")
    op.drop_table("store_profiles")
