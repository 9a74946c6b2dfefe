"""Alerts: the open-key unique index leads with the key (PostgreSQL plans it well unanalysed).

Revision ID: 20261126_alerts_open_key
Revises: 20261126_hooks_fanout
Create Date: 2026-11-26 23:59:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261126_alerts_open_key"
down_revision: str | Sequence[str] | None = "20261126_hooks_fanout"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("closed_at IS NULL")


def upgrade() -> None:
    # The new index first: the rule it keeps holds throughout.
    op.create_index(
        "uq_alert_dedup_key_integration_id_current",
        "alert",
        ["dedup_key", "integration_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.drop_index(
        "uq_alert_integration_id_dedup_key_current",
        table_name="alert",
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.create_index(
        "uq_alert_integration_id_dedup_key_current",
        "alert",
        ["integration_id", "dedup_key"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.drop_index(
        "uq_alert_dedup_key_integration_id_current",
        table_name="alert",
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
