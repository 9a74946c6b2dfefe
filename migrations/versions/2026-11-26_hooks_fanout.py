"""Hooks: outbox events keep their recipients until their deliveries are written (fan-out).

Revision ID: 20261126_hooks_fanout
Revises: 20261126_hooks
Create Date: 2026-11-26 22:55:50.080785
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261126_hooks_fanout'
down_revision: str | Sequence[str] | None = '20261126_hooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAN_OUT = sa.text('recipients IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('hook_event', schema=None) as batch_op:
        # Existing events already have their deliveries: null recipients.
        batch_op.add_column(sa.Column('recipients', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('depth', sa.Integer(), nullable=False, server_default=sa.text('0'))
        )
        batch_op.create_index(
            'ix_hook_event_fan_out', ['id'], unique=False,
            sqlite_where=FAN_OUT, postgresql_where=FAN_OUT,
        )


def downgrade() -> None:
    with op.batch_alter_table('hook_event', schema=None) as batch_op:
        batch_op.drop_index('ix_hook_event_fan_out', sqlite_where=FAN_OUT, postgresql_where=FAN_OUT)
        batch_op.drop_column('depth')
        batch_op.drop_column('recipients')
