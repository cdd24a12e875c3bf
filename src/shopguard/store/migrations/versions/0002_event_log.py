"""The append-only event log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("store_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("order_woo_id", sa.Integer, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_event_log_at", "event_log", ["at"])
    # Append-only, enforced by the database itself and not just by the code that writes it.
    op.execute(
        "CREATE TRIGGER event_log_no_update BEFORE UPDATE ON event_log "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER event_log_no_delete BEFORE DELETE ON event_log "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS event_log_no_delete")
    op.execute("DROP TRIGGER IF EXISTS event_log_no_update")
    op.drop_table("event_log")
