"""A board's done columns show their most recently done cards (``GET /boards/{id}?done_cards=N``):
an index of done, unarchived cards by column and time done. Partial, so that the cards
alerts open (not done) never enter it.

Revision ID: 20261208_done_cards_index
Revises: 20261208_board_layout_version
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_done_cards_index"
down_revision: str | Sequence[str] | None = "20261208_board_layout_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("done_at IS NOT NULL AND archived_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_card_column_id_done_at",
        "card",
        ["column_id", "done_at"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_card_column_id_done_at", table_name="card", sqlite_where=WHERE, postgresql_where=WHERE
    )
