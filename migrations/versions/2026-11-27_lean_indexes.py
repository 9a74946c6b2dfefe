"""Fewer index entries per stored alert: rarely-set foreign keys indexed only where set.

Every fire writes a card, two card events, an alert and a signal; each index on them is
one more entry per fire. ``card.kind`` and ``card_event.type`` (a handful of values,
never looked up alone) lose their indexes; ``card.assignee_id``,
``alert.previous_alert_id`` and ``alert_signal.maintenance_window_id``, null for almost
every fire, are indexed only where set (lookups by a value still use them).

``alert (integration_id, dedup_key)`` goes too: the open-key lookup of every ingest batch
has its own index, led by the key (``uq_alert_dedup_key_integration_id_current``), but
PostgreSQL, before its first ANALYZE of the table, guessed the integration alone the
more selective and read every alert of the integration through this one (13 ms a batch
at 17k alerts, growing). Deleting an integration now scans the alerts to cascade: rare.

Revision ID: 20261127_lean_indexes
Revises: 20261126_alerts_open_key
Create Date: 2026-11-27 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_lean_indexes"
down_revision: str | Sequence[str] | None = "20261126_alerts_open_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column): indexed only where the column is set.
PARTIAL = (
    ("ix_card_assignee_id", "card", "assignee_id"),
    ("ix_alert_previous_alert_id", "alert", "previous_alert_id"),
    ("ix_alert_signal_maintenance_window_id", "alert_signal", "maintenance_window_id"),
)
# (index, table, columns): dropped.
DROPPED = (
    ("ix_card_kind", "card", ["kind"]),
    ("ix_card_event_type", "card_event", ["type"]),
    ("ix_alert_integration_id_dedup_key", "alert", ["integration_id", "dedup_key"]),
)


def upgrade() -> None:
    for name, table, _columns in DROPPED:
        op.drop_index(name, table_name=table)
    for name, table, column in PARTIAL:
        op.drop_index(name, table_name=table)
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, table, [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, table, column in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name=table, sqlite_where=where, postgresql_where=where)
        op.create_index(name, table, [column])
    for name, table, columns in DROPPED:
        op.create_index(name, table, columns)
