"""An upgrade from the first migration, with data written through that revision's tables,
reaches the head with the data intact and usable, on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.auth.credentials import hash_secret
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app
from tests.support import postgres_database

FIRST = "20261126_spine"
TOKEN = "fl_upgrade-test-token-0123456789abcdefghijk"
AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def first_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new database of the backend of ``database_url``, at the first migration."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'first.db'}"
        upgrade(url, FIRST)
        yield url
        return
    with postgres_database(database_url, "firelane_upgrade") as url:
        upgrade(url, FIRST)
        yield url


def _fill(url: str) -> None:
    """Write a small team's data with the first revision's tables, as they were then."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    t = meta.tables

    def row(table: str, **values: Any) -> None:
        conn.execute(t[table].insert().values(**values))

    when = AT if engine.dialect.name == "postgresql" else AT.replace(tzinfo=None)
    later = when + timedelta(hours=2)
    try:
        with engine.begin() as conn:
            row("user_account", id=1, name="alice", role="admin", is_active=True, created_at=when)
            row(
                "api_token",
                id=1,
                user_id=1,
                label="laptop",
                token_hash=hash_secret(TOKEN),
                prefix=TOKEN[:10],
                created_at=when,
            )
            row("board", id=1, name="Ops", slug="ops", description="", created_at=when,
                updated_at=when)  # fmt: skip
            for column_id, name, done in ((1, "Todo", False), (2, "Done", True)):
                row("board_column", id=column_id, board_id=1, name=name, position=column_id,
                    wip_mode="soft", is_done=done, created_at=when)  # fmt: skip
            for card_id, column_id, title, rank, done_at in (
                (1, 1, "Rotate the TLS certificates", "a0", None),
                (2, 2, "Disk full on web-3", "a0", later),
            ):
                row("card", id=card_id, board_id=1, column_id=column_id, title=title,
                    description="", kind="maintenance" if card_id == 1 else "fire",
                    priority="high", created_by_id=1, rank=rank, version=2 if done_at else 1,
                    created_at=when, updated_at=later if done_at else when, done_at=done_at,
                    time_spent_minutes=30 * card_id)  # fmt: skip
                row("card_event", card_id=card_id, board_id=1, type="card.created", actor_id=1,
                    actor="alice", to_column_id=1, changes={}, data={"title": title},
                    created_at=when)  # fmt: skip
            row("card_event", card_id=2, board_id=1, type="card.moved", actor_id=1, actor="alice",
                from_column_id=1, to_column_id=2, changes={"column_id": [1, 2]}, data={},
                created_at=later)  # fmt: skip
            row("card_label", card_id=1, name="tls")
            row("checklist_item", id=1, card_id=1, position=0, text="Renew", done_at=None)
            row("comment", id=1, card_id=2, author_id=1, body="Cleared /var/log.", created_at=later)
            row("card_link", id=1, card_id=1, target_card_id=2, kind="relates", created_at=when)
            if engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind
                for table in ("user_account", "api_token", "board", "board_column", "card",
                              "checklist_item", "comment", "card_link"):  # fmt: skip
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
    finally:
        engine.dispose()


def test_data_from_the_first_migration_reaches_the_head(first_url: str, settings: Settings) -> None:
    _fill(first_url)
    upgrade(first_url)
    db = Database.from_url(first_url)
    app = create_app(settings.model_copy(update={"database_url": first_url}), db=db)
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            assert client.get("/readyz").json() == {"status": "ready"}
            assert client.get("/api/v1/auth/me").json()["user"]["name"] == "alice"
            (board,) = client.get("/api/v1/boards").json()["items"]
            assert (board["slug"], board["name"]) == ("ops", "Ops")
            cards = client.get("/api/v1/cards", params={"board_id": 1}).json()["items"]
            by_title = {card["title"]: card for card in cards}
            tls = by_title["Rotate the TLS certificates"]
            assert (tls["kind"], tls["labels"], tls["status"]) == ("maintenance", ["tls"], "open")
            assert [item["text"] for item in tls["checklist"]] == ["Renew"]
            disk = client.get("/api/v1/cards/2").json()
            assert (disk["status"], disk["done_at"]) == ("done", "2026-11-20T11:00:00Z")
            events = client.get("/api/v1/cards/2/events").json()["items"]
            assert {event["type"] for event in events} >= {"card.created", "card.moved"}
            comments = client.get("/api/v1/cards/2/comments").json()["items"]
            assert [comment["body"] for comment in comments] == ["Cleared /var/log."]
            # And the upgraded database takes new work beside the old.
            made = client.post("/api/v1/boards/1/cards", json={"title": "After the upgrade"})
            assert made.status_code == 201, made.text
            moved = client.post(
                "/api/v1/cards/1/move",
                json={"column_id": 2, "position": "top", "version": tls["version"]},
            )
            assert moved.status_code == 200, moved.text
            report = client.get("/api/v1/reports/weekly", params={"week": "2026-W47"})
            assert report.status_code == 200, report.text
    finally:
        db.dispose()
