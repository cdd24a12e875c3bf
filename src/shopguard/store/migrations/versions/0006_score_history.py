"""Score history, who scored (network or this computer), and the embedded scorer's index.

* ``order_scores.scored_by``: "network" (the scoring service) or "local" (the embedded
  scorer); scores stored before this revision came from the service.
* ``order_score_history``: append-only, one row each time an order's score changed.
* ``local_identifiers``: each order's strong identifier digests under the local salt, so
  the embedded scorer finds a customer's earlier orders without re-reading every order.
* ``local_scoring``: per store, which salt that index was built with and how far (by
  ``orders.synced_at``) orders have been scored; ``ix_orders_store_synced`` finds the
  orders a sync created or changed since.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _store_id() -> sa.Column[int]:
    return sa.Column(
        "store_id",
        sa.Integer,
        sa.ForeignKey("store_profiles.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    with op.batch_alter_table("order_scores") as batch:
        batch.add_column(
            sa.Column("scored_by", sa.String(10), nullable=False, server_default="network")
        )
    op.create_table(
        "order_score_history",
        sa.Column("id", sa.Integer, primary_key=True),
        _store_id(),
        sa.Column("order_woo_id", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("band", sa.String(10), nullable=False),
        sa.Column("p_fail", sa.Float, nullable=True),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("scored_by", sa.String(10), nullable=False),
        sa.Column("scored_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_order_score_history_order", "order_score_history", ["store_id", "order_woo_id", "id"]
    )
    # What was recorded stays as it was: history rows are never edited.
    op.execute(
        "CREATE TRIGGER order_score_history_no_update BEFORE UPDATE ON order_score_history "
        "BEGIN SELECT RAISE(ABORT, 'score history is append-only'); END"
    )
    op.create_table(
        "local_identifiers",
        _store_id(),
        sa.Column("order_woo_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "order_woo_id", "kind"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_local_identifiers_digest", "local_identifiers", ["store_id", "digest"])
    op.create_table(
        "local_scoring",
        sa.Column(
            "store_id",
            sa.Integer,
            sa.ForeignKey("store_profiles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("salt_fingerprint", sa.String(16), nullable=False),
        sa.Column("synced_until", sa.DateTime, nullable=True),
        sa.Column("scored_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_orders_store_synced", "orders", ["store_id", "synced_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_store_synced", table_name="orders")
    op.drop_table("local_scoring")
    op.drop_index("ix_local_identifiers_digest", table_name="local_identifiers")
    op.drop_table("local_identifiers")
    op.execute("DROP TRIGGER IF EXISTS order_score_history_no_update")
    op.drop_index("ix_order_score_history_order", table_name="order_score_history")
    op.drop_table("order_score_history")
    with op.batch_alter_table("order_scores") as batch:
        batch.drop_column("scored_by")
