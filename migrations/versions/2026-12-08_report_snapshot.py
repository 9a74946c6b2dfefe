"""Reports: stored snapshots of the weekly report (``report_snapshot``).

One row per (week, scope), scope ``all`` or ``board:<id>``: the report's JSON answer as
it was computed, the definition version, who made it and when, whether it was published
(``report.published`` emitted) and the state of its e-mail.

Revision ID: 20261208_report_snapshot
Revises: 20261208_done_cards_index
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "20261208_report_snapshot"
down_revision: str | Sequence[str] | None = "20261208_done_cards_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("definition_version", sa.Integer(), nullable=False),
        sa.Column("made_at", UTCDateTime(), nullable=False),
        sa.Column("made_by", sa.String(length=120), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("email_status", sa.String(length=16), nullable=True),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.Column("email_error", sa.String(length=500), nullable=True),
        sa.Column("emailed_at", UTCDateTime(), nullable=True),
        sa.Column("email_claimed_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["board.id"],
            name=op.f("fk_report_snapshot_board_id_board"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshot")),
        sa.UniqueConstraint("week", "scope", name=op.f("uq_report_snapshot_week_scope")),
    )
    op.create_index(
        "ix_report_snapshot_week_id", "report_snapshot", ["week", "id"], unique=False
    )
    op.create_index(
        op.f("ix_report_snapshot_board_id"), "report_snapshot", ["board_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_report_snapshot_board_id"), table_name="report_snapshot")
    op.drop_index("ix_report_snapshot_week_id", table_name="report_snapshot")
    op.drop_table("report_snapshot")
