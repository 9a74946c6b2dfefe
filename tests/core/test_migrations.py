"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import select

import app.main  # noqa: F401 - imports every domain's models
from app.boards import cards
from app.boards import service as boards
from app.boards.schemas import BoardCreate, CardCreate
from app.core.db import Database, metadata
from app.core.migrate import alembic_config, upgrade
from app.hooks import fanout
from app.hooks.models import Delivery, HookBatch, HookEvent, Webhook
from app.wiring import wire
from tests.support import postgres_database


def test_autogenerate_finds_no_difference(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_database_is_at_every_head(db: Database, database_url: str) -> None:
    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    with db.engine.connect() as conn:
        current = {
            row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        }
    assert current == heads


def test_constraints_follow_the_naming_convention(db: Database) -> None:
    inspector = sa.inspect(db.engine)
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            assert fk["name"] and fk["name"].startswith(f"fk_{table}_"), (table, fk)


@pytest.fixture
def blank_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the backend of ``database_url``, dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    with postgres_database(database_url, "firelane_blank") as url:
        yield url


def test_card_events_waiting_for_their_fan_out_survive_the_hook_batch_migration(
    blank_url: str,
) -> None:
    wire()
    upgrade(blank_url)
    db = Database.from_url(blank_url)
    try:
        with db.session() as session:
            board = boards.create_board(session, data=BoardCreate(name="Ops", slug="ops"))
            webhook = Webhook(url="http://127.0.0.1:9/hook", events=["*"], secret_sealed="-")
            session.add(webhook)
            session.commit()
            hook_id = webhook.id
            card, _ = cards.create_card(
                session, board=board, data=CardCreate(title="Patch"), actor="system"
            )
            card_id = card.id
        with db.session() as session:
            (batch,) = session.exec(select(HookBatch)).all()
            ((event_id, depth, n),) = json.loads(batch.events)
            assert (depth, json.loads(batch.recipients)[n]) == (0, [hook_id])

        # The revision before: one hook_event row per card event, its body not yet written.
        db.dispose()
        command.downgrade(alembic_config(blank_url), "20261202_hook_event_card_event")
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT type, card_id, card_event_id, body, recipients, depth, uuid "
                    "FROM hook_event"
                )
            ).all()
        ((kind, on_card, told, body, recipients, depth, event_uuid),) = rows
        assert (kind, on_card, told, body, recipients, depth) == (
            "card.created",
            card_id,
            event_id,
            None,
            f"[{hook_id}]",
            0,
        )
        assert uuid.UUID(event_uuid).version == 4

        # And back: a batch of one, which the fan-out turns into the event's delivery.
        db.dispose()
        upgrade(blank_url)
        with db.session() as session:
            (batch,) = session.exec(select(HookBatch)).all()
            assert (batch.size, json.loads(batch.events)) == (1, [[event_id, 0, 0]])
            assert json.loads(batch.recipients) == [[hook_id]]
            assert session.exec(select(HookEvent)).all() == []
            assert fanout.fan_out_all(session) == 1
            session.commit()
            (event,) = session.exec(select(HookEvent)).all()
            assert json.loads(event.body)["event_id"] == event_id
            (delivery,) = session.exec(select(Delivery)).all()
            assert (delivery.webhook_id, delivery.hook_event_id) == (hook_id, event.id)
    finally:
        db.dispose()


def test_the_report_fields_migration_records_the_time_given_at_creation(blank_url: str) -> None:
    wire()
    upgrade(blank_url)
    db = Database.from_url(blank_url)
    try:
        with db.session() as session:
            board = boards.create_board(session, data=BoardCreate(name="Ops", slug="ops"))
            card, _ = cards.create_card(
                session,
                board=board,
                data=CardCreate(title="Patch", time_spent_minutes=45),
                actor="system",
            )
            cards.change_card(session, card=card, fields={"time_spent_minutes": 60}, actor="x")
            session.commit()
            card_id = card.id
        db.dispose()
        command.downgrade(alembic_config(blank_url), "20261203_hook_batch")
        with db.engine.begin() as conn:  # as the revision before wrote it: no changes
            conn.execute(
                sa.text("UPDATE card_event SET changes = '{}' WHERE type = 'card.created'")
            )
        db.dispose()
        upgrade(blank_url)
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT type, changes FROM card_event WHERE card_id = :c ORDER BY id"),
                {"c": card_id},
            ).all()
        changes = [
            (kind, value if isinstance(value, dict) else json.loads(value)) for kind, value in rows
        ]
        assert changes == [
            ("card.created", {"time_spent_minutes": [0, 45]}),
            ("card.updated", {"time_spent_minutes": [45, 60]}),
        ]
    finally:
        db.dispose()
