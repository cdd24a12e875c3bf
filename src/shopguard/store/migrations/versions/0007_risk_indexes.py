"""Indexes for the Orders screen's risk column: sort by score, filter by band.

With 200,000 orders a sort by risk or a band filter must not scan every score.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_order_scores_score", "order_scores", ["store_id", "score"])
    op.create_index("ix_order_scores_band", "order_scores", ["store_id", "band", "score"])


def downgrade() -> None:
    op.drop_index("ix_order_scores_band", table_name="order_scores")
    op.drop_index("ix_order_scores_score", table_name="order_scores")
