"""The weekly report's data: cards' build estimates, what automation cards automate, and
the indexes its window scans use.

- ``card.estimate_minutes`` (nullable): the build estimate of an automation card.
- ``automation_target (card_id, key)``: the candidate keys an automation card automates,
  looked up by key (``GET /cards?automates=KEY`` and the report).
- Three partial indexes on ``card_event.created_at``: what alerts did to their cards but
  repeat (``alert.fired``, ``.acknowledged``, ``.resolved``, ``.expired``; covering card
  and type), human actions
  (``actor_id`` set, covering card and actor) and card writes (created, updated, moved,
  done, reopened). Partial, so the alert repeats (most rows) never enter them.

Upgrading also records the time given when a card was made: a ``card.created`` event
now carries ``changes.time_spent_minutes = [0, minutes]`` when a card starts with time
logged; for cards made before, that value is the card's time less every change its
``card.updated`` events recorded, written into their ``card.created`` event.

Revision ID: 20261207_report_fields
Revises: 20261203_hook_batch
Create Date: 2026-12-07 09:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_report_fields"
down_revision: str | Sequence[str] | None = "20261203_hook_batch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, columns, where)
INDEXES = (
    (
        "ix_card_event_alert_created_at",
        ["created_at", "card_id", "type"],
        "type IN ('alert.fired', 'alert.acknowledged', 'alert.resolved', 'alert.expired')",
    ),
    (
        "ix_card_event_human_created_at",
        ["created_at", "card_id", "actor_id"],
        "actor_id IS NOT NULL",
    ),
    (
        "ix_card_event_written_created_at",
        ["created_at"],
        "type IN ('card.created', 'card.updated', 'card.moved', 'card.done', 'card.reopened')",
    ),
)


def _changes(value: object) -> dict[str, object]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def _record_time_given_at_creation(conn: sa.Connection) -> None:
    cards = conn.execute(sa.text("SELECT id, time_spent_minutes FROM card")).all()
    for card_id, minutes in cards:
        events = conn.execute(
            sa.text(
                "SELECT id, type, changes FROM card_event WHERE card_id = :card "
                "AND type IN ('card.created', 'card.updated') ORDER BY id"
            ),
            {"card": card_id},
        ).all()
        created = next((row for row in events if row[1] == "card.created"), None)
        if created is None:
            continue
        given = minutes or 0
        for _id, kind, changes in events:
            change = _changes(changes).get("time_spent_minutes")
            if kind == "card.updated" and isinstance(change, list) and len(change) == 2:
                given -= (change[1] or 0) - (change[0] or 0)
        if given:
            changes = _changes(created[2])
            changes["time_spent_minutes"] = [0, given]
            value = "CAST(:changes AS JSON)" if conn.dialect.name == "postgresql" else ":changes"
            conn.execute(
                sa.text(f"UPDATE card_event SET changes = {value} WHERE id = :id"),  # noqa: S608
                {"changes": json.dumps(changes), "id": created[0]},
            )


def upgrade() -> None:
    op.add_column("card", sa.Column("estimate_minutes", sa.Integer(), nullable=True))
    op.create_table(
        "automation_target",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["card.id"],
            name=op.f("fk_automation_target_card_id_card"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("card_id", "key", name=op.f("pk_automation_target")),
    )
    op.create_index("ix_automation_target_key_card_id", "automation_target", ["key", "card_id"])
    for name, columns, where in INDEXES:
        clause = sa.text(where)
        op.create_index(name, "card_event", columns, sqlite_where=clause, postgresql_where=clause)
    _record_time_given_at_creation(op.get_bind())


def downgrade() -> None:
    for name, _columns, where in INDEXES:
        clause = sa.text(where)
        op.drop_index(name, table_name="card_event", sqlite_where=clause, postgresql_where=clause)
    op.drop_index("ix_automation_target_key_card_id", table_name="automation_target")
    op.drop_table("automation_target")
    # Not in batch mode: recreating ``card`` on SQLite would cascade-delete its events.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE card DROP COLUMN estimate_minutes")
    else:
        op.drop_column("card", "estimate_minutes")
