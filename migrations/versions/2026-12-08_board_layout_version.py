"""Live boards hear column changes: ``board.layout_version``, +1 on every change of a board
or its columns, and on PostgreSQL a NOTIFY when a board row changes.

Board streams follow the ``card_event`` log for cards; columns have no log. Each stream's
tail reads the layout versions of the boards it watches at every read, and sends a board's
columns when its version moved. On PostgreSQL the tail sleeps until a NOTIFY: a statement
trigger on ``board`` sends one on the card event log's channel (the change of a layout
always updates its board row).

Revision ID: 20261208_board_layout_version
Revises: 20261207_integration_rate_limit
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_board_layout_version"
down_revision: str | Sequence[str] | None = "20261207_integration_rate_limit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "board",
        sa.Column("layout_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    # The function of 20261207_card_event_notify: one wake-up, folded per transaction.
    op.execute(
        "CREATE TRIGGER board_notify AFTER UPDATE ON board "
        "FOR EACH STATEMENT EXECUTE FUNCTION firelane_card_event_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS board_notify ON board")
        op.drop_column("board", "layout_version")
        return
    # Not in batch mode: recreating ``board`` on SQLite would cascade-delete its cards.
    op.execute("ALTER TABLE board DROP COLUMN layout_version")
