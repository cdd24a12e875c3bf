"""Each order's search key: its searched fields folded (case and accents ignored).

The orders screen's search compared the raw fields with SQLite's ``LIKE``, which ignores
the case of ASCII letters only: "ελένη" did not find "Ελένη", nor "theo" "Théo", nor
"sw1a1aa" "SW1A 1AA". Orders already stored get their key here; see
``shopguard.store.search``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shopguard.store.search import SEARCHED_FIELDS, search_key

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_CHUNK = 2000


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("search_text", sa.Text, nullable=False, server_default=""))
    connection = op.get_bind()
    columns = ", ".join(SEARCHED_FIELDS)
    last = 0
    while True:
        rows = connection.exec_driver_sql(
            f"SELECT id, {columns} FROM orders WHERE id > ? ORDER BY id LIMIT ?", (last, _CHUNK)
        ).all()
        if not rows:
            break
        keys = [
            (search_key(dict(zip(SEARCHED_FIELDS, row[1:], strict=True))), row[0]) for row in rows
        ]
        connection.exec_driver_sql("UPDATE orders SET search_text = ? WHERE id = ?", keys)
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("search_text")
