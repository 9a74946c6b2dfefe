"""Live boards: on PostgreSQL, a transaction that appends card events sends one NOTIFY.

The board streams of every server process follow the ``card_event`` log; this wakes them
instead of their polling. The trigger runs once per INSERT statement with an empty payload,
and PostgreSQL folds a transaction's identical notifications into one, delivered at commit.
SQLite has no NOTIFY: there the streams poll.

Revision ID: 20261207_card_event_notify
Revises: 20261207_report_fields
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_card_event_notify"
down_revision: str | Sequence[str] | None = "20261207_report_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION firelane_card_event_notify() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_notify('firelane_card_event', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER card_event_notify AFTER INSERT ON card_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION firelane_card_event_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS card_event_notify ON card_event")
    op.execute("DROP FUNCTION IF EXISTS firelane_card_event_notify()")
