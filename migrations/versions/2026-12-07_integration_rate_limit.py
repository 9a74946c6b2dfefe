"""An integration's optional ingest rate limit (requests a minute; null: none).

Revision ID: 20261207_integration_rate_limit
Revises: 20261207_card_event_notify
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_integration_rate_limit"
down_revision: str | Sequence[str] | None = "20261207_card_event_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("integration") as batch:
        batch.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration") as batch:
        batch.drop_column("rate_limit_per_minute")
