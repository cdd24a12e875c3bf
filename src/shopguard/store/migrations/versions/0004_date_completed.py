"""When an order was completed: the date a "delivered" outcome reports.

Orders stored before this revision have no completion date until WooCommerce next changes
them; their outcomes keep using the modification date meanwhile.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("date_completed_gmt", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("date_completed_gmt")
