"""The outbox no longer stores each item's idempotency key: it is derived when read.

The key is "<kind>:<order id>:<payload digest>", three columns every row already holds,
and nothing ever looked a row up by it. Its column (some 80 bytes a row) and its index
made every queued payload cost a third more to write: the back-fill queues 100,000 of
them at once (see tests/benchmarks/bench_payloads.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_outbox_key", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("idempotency_key")


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("idempotency_key", sa.String(120), nullable=False, server_default="")
        )
    op.execute(
        "UPDATE outbox SET idempotency_key = kind || ':' || order_woo_id || ':' || payload_digest"
    )
    op.create_index("ix_outbox_key", "outbox", ["store_id", "idempotency_key"])
