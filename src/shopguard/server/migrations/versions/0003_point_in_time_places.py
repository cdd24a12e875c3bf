"""Point-in-time town statistics: cumulative per-day counts, changes kept by triggers.

``place_stats`` becomes cumulative per town and day (rebuilt by maintenance, at start-up
when empty); ``place_deltas`` records every change to a town's outcomes since, written by
triggers on ``orders`` so that no code path can miss one; ``orders`` gets an index of each
town's shared outcomes by time, for the orders that have one (it replaces the index by
town alone, which every new order had to be added to), and the index by shop, currency
and total becomes one by shop, currency and time (the shop's latest totals give its usual
order value; a new order goes at the end of its shop's range instead of anywhere in it);
the index of identifiers by digest also holds their order (no visit to the table).

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

# An order counts for its town when it has a delivered or failed outcome, a town, and is
# not a disputed record.
_COUNTED = ("delivered", "failed", "refused", "returned")
_IN = ", ".join(f"'{o}'" for o in _COUNTED)
_WATCHED = ("outcome", "outcome_at", "ship_country", "city_key", "network_excluded")


def _qualifies(row: str, false: str) -> str:
    return (
        f"{row}.outcome IN ({_IN}) AND {row}.outcome_at IS NOT NULL "
        f"AND {row}.ship_country IS NOT NULL AND {row}.city_key IS NOT NULL "
        f"AND {row}.network_excluded = {false}"
    )


_INSERT = "INSERT INTO place_deltas (country, city_key, at, delivered, failed)"


def _values(row: str, sign: str) -> str:
    return (
        f"{row}.ship_country, {row}.city_key, {row}.outcome_at, "
        f"{sign}(CASE WHEN {row}.outcome = 'delivered' THEN 1 ELSE 0 END), "
        f"{sign}(CASE WHEN {row}.outcome = 'delivered' THEN 0 ELSE 1 END)"
    )


def _delta(row: str, sign: str) -> str:
    return f"{_INSERT} VALUES ({_values(row, sign)})"


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
    return [
        f"CREATE TRIGGER place_deltas_on_insert AFTER INSERT ON orders "
        f"WHEN {_qualifies('NEW', '0')} BEGIN {_delta('NEW', '')}; END",
        f"CREATE TRIGGER place_deltas_on_delete AFTER DELETE ON orders "
        f"WHEN {_qualifies('OLD', '0')} BEGIN {_delta('OLD', '-')}; END",
        f"CREATE TRIGGER place_deltas_on_update AFTER UPDATE OF {', '.join(_WATCHED)} "
        f"ON orders WHEN {changed} BEGIN "
        f"{_INSERT} SELECT {_values('OLD', '-')} WHERE {_qualifies('OLD', '0')}; "
        f"{_INSERT} SELECT {_values('NEW', '')} WHERE {_qualifies('NEW', '0')}; END",
    ]


def _postgresql_triggers() -> list[str]:
    changed = (
        f"({', '.join(f'OLD.{c}' for c in _WATCHED)}) IS DISTINCT FROM "
        f"({', '.join(f'NEW.{c}' for c in _WATCHED)})"
    )
    return [
        f"""CREATE FUNCTION place_deltas_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND {_qualifies("OLD", "false")} THEN
        {_delta("OLD", "-")};
    END IF;
    IF TG_OP <> 'DELETE' AND {_qualifies("NEW", "false")} THEN
        {_delta("NEW", "")};
    END IF;
    RETURN NULL;
END
$$""",
        "CREATE TRIGGER place_deltas_on_insert AFTER INSERT ON orders FOR EACH ROW "
        "WHEN (NEW.outcome IS NOT NULL) EXECUTE FUNCTION place_deltas_track()",
        "CREATE TRIGGER place_deltas_on_delete AFTER DELETE ON orders FOR EACH ROW "
        "WHEN (OLD.outcome IS NOT NULL) EXECUTE FUNCTION place_deltas_track()",
        f"CREATE TRIGGER place_deltas_on_update AFTER UPDATE OF {', '.join(_WATCHED)} "
        f"ON orders FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION place_deltas_track()",
    ]


def upgrade() -> None:
    op.drop_index("ix_orders_place", table_name="orders")
    op.create_index(
        "ix_orders_place_outcome",
        "orders",
        ["ship_country", "city_key", "outcome_at", "outcome", "network_excluded"],
        sqlite_where=sa.text("outcome_at IS NOT NULL AND network_excluded = 0"),
        postgresql_where=sa.text("outcome_at IS NOT NULL AND NOT network_excluded"),
    )
    op.drop_index("ix_orders_shop_currency_total", table_name="orders")
    op.create_index(
        "ix_orders_shop_currency_created",
        "orders",
        ["shop_id", "currency", "created_at", "total_cents"],
    )
    op.drop_index("ix_order_identifiers_digest", table_name="order_identifiers")
    op.create_index(
        "ix_order_identifiers_digest_order", "order_identifiers", ["digest", "order_pk"]
    )
    op.drop_table("place_stats")
    op.create_table(
        "place_stats",
        sa.Column("country", sa.String(2), primary_key=True),
        sa.Column("city_key", sa.String(60), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )
    op.create_table(
        "place_deltas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("city_key", sa.String(60), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )
    op.create_index("ix_place_deltas_place_at", "place_deltas", ["country", "city_key", "at"])
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER place_deltas_on_{name} ON orders")
        op.execute("DROP FUNCTION place_deltas_track()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER place_deltas_on_{name}")
    op.drop_table("place_deltas")
    op.drop_table("place_stats")
    op.create_table(
        "place_stats",
        sa.Column("country", sa.String(2), primary_key=True),
        sa.Column("city_key", sa.String(60), primary_key=True),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
    )
    op.drop_index("ix_order_identifiers_digest_order", table_name="order_identifiers")
    op.create_index("ix_order_identifiers_digest", "order_identifiers", ["digest"])
    op.drop_index("ix_orders_shop_currency_created", table_name="orders")
    op.create_index(
        "ix_orders_shop_currency_total", "orders", ["shop_id", "currency", "total_cents"]
    )
    op.drop_index("ix_orders_place_outcome", table_name="orders")
    op.create_index("ix_orders_place", "orders", ["ship_country", "city_key"])
