"""Assessments (LIA, DPIA): drafts, and frozen versions the database refuses to change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.String(60), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("review_months", sa.Integer, nullable=False),
        sa.Column("draft", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "assessment_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "assessment_id",
            sa.Integer,
            sa.ForeignKey("assessments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("completed_at", sa.DateTime, nullable=False),
        sa.Column("review_due", sa.DateTime, nullable=False),
        sa.UniqueConstraint("assessment_id", "number", name="uq_assessment_versions_number"),
    )
    # A completed version is a record of what was decided: never edited in place.
    op.execute(
        "CREATE TRIGGER assessment_versions_no_update BEFORE UPDATE ON assessment_versions "
        "BEGIN SELECT RAISE(ABORT, 'a completed assessment version cannot be changed'); END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS assessment_versions_no_update")
    op.drop_table("assessment_versions")
    op.drop_table("assessments")
