"""Delivery outcomes reported by the owner (Delivered, Failed, Refused, Returned).

``order_outcomes`` holds at most one outcome per order: the owner's word, which takes
precedence over what the order's WooCommerce status implies. Undoing an outcome deletes
its row; the event log keeps every change.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_outcomes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "store_id",
            sa.Integer,
            sa.ForeignKey("store_profiles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("order_woo_id", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("store_id", "order_woo_id", name="uq_order_outcomes_order"),
    )


def downgrade() -> None:
    op.drop_table("order_outcomes")
