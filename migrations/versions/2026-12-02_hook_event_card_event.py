"""Hooks: a card event's envelope is written at fan-out, from its card event row.

The transaction of a card event (every fire's ``card.created`` and ``alert.fired``) no
longer renders the card and the envelope for webhooks: its ``hook_event`` row names the
card event (``card_event_id``) and has no body until the fan-out writes it.

Downgrading drops the card events still waiting for their fan-out (their bodies cannot
be written in SQL): let the delivery loop catch up first.

Revision ID: 20261202_hook_event_card_event
Revises: 20261127_lean_indexes
Create Date: 2026-12-02 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261202_hook_event_card_event"
down_revision: str | Sequence[str] | None = "20261127_lean_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hook_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_event_id", sa.Integer(), nullable=True))
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM hook_event WHERE body IS NULL")
    with op.batch_alter_table("hook_event", schema=None) as batch_op:
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("card_event_id")
