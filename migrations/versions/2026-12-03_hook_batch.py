"""Hooks: one outbox row per transaction for its card events (``hook_batch``).

A transaction's card events that webhooks hear are listed in one ``hook_batch`` row
(card event ids, depths, recipients) instead of one ``hook_event`` row each; the fan-out
writes their ``hook_event`` rows, envelopes rendered. ``hook_event.body`` is always
written again (not null).

Upgrading moves the card events still waiting for their fan-out (a ``hook_event`` row
without a body) into batches of one. Downgrading turns the waiting batches back into
such rows.

Revision ID: 20261203_hook_batch
Revises: 20261202_hook_event_card_event
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_hook_batch"
down_revision: str | Sequence[str] | None = "20261202_hook_event_card_event"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The waiting batches' card events as hook_event rows without a body, as the revision
# before this one wrote them (their card event gone: dropped, as its fan-out would).
_UNBATCH = {
    "sqlite": (
        "INSERT INTO hook_event (uuid, type, occurred_at, board_id, card_id, card_event_id, "
        "body, recipients, depth) "
        "SELECT lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
        "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (random() & 3), 1) "
        "|| substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))), "
        "c.type, c.created_at, c.board_id, c.card_id, c.id, NULL, "
        "json_extract(b.recipients, '$[' || json_extract(e.value, '$[2]') || ']'), "
        "json_extract(e.value, '$[1]') "
        "FROM hook_batch AS b, json_each(b.events) AS e "
        "JOIN card_event AS c ON c.id = json_extract(e.value, '$[0]') "
        "ORDER BY b.id, e.key"
    ),
    "postgresql": (
        "INSERT INTO hook_event (uuid, type, occurred_at, board_id, card_id, card_event_id, "
        "body, recipients, depth) "
        "SELECT gen_random_uuid()::text, c.type, c.created_at, c.board_id, c.card_id, c.id, "
        "NULL, (b.recipients::json -> ((e.v ->> 2)::integer))::text, (e.v ->> 1)::integer "
        "FROM hook_batch AS b "
        "CROSS JOIN LATERAL json_array_elements(b.events::json) WITH ORDINALITY AS e(v, n) "
        "JOIN card_event AS c ON c.id = (e.v ->> 0)::integer "
        "ORDER BY b.id, e.n"
    ),
}


def upgrade() -> None:
    op.create_table(
        "hook_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hook_batch")),
    )
    op.execute(
        "INSERT INTO hook_batch (size, events, recipients) "
        "SELECT 1, '[[' || card_event_id || ',' || depth || ',0]]', '[' || recipients || ']' "
        "FROM hook_event WHERE body IS NULL AND recipients IS NOT NULL ORDER BY id"
    )
    op.execute("DELETE FROM hook_event WHERE body IS NULL")
    with op.batch_alter_table("hook_event", schema=None) as batch_op:
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("hook_event", schema=None) as batch_op:
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=True)
    op.execute(_UNBATCH[op.get_bind().dialect.name])
    op.drop_table("hook_batch")
