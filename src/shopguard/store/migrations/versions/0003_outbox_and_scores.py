"""The outbox of payloads for the scoring service, the scores that came back, and erasure.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("pii_erased_at", sa.DateTime, nullable=True))
        batch.add_column(
            sa.Column("shipping_method_title", sa.String(200), nullable=False, server_default="")
        )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "store_id",
            sa.Integer,
            sa.ForeignKey("store_profiles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("order_woo_id", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(120), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_outbox_key", "outbox", ["store_id", "idempotency_key"])
    op.create_index("ix_outbox_pending", "outbox", ["store_id", "sent_at", "id"])
    op.create_index("ix_outbox_order", "outbox", ["store_id", "order_woo_id"])
    op.create_table(
        "order_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "store_id",
            sa.Integer,
            sa.ForeignKey("store_profiles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("order_woo_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("band", sa.String(10), nullable=False),
        sa.Column("p_fail", sa.Float, nullable=True),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("scored_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("store_id", "order_woo_id", name="uq_order_scores_order"),
    )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_method_title")
        batch.drop_column("pii_erased_at")
    op.drop_table("order_scores")
    op.drop_index("ix_outbox_order", table_name="outbox")
    op.drop_index("ix_outbox_key", table_name="outbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
