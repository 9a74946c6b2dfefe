"""Rules run in savepoints; after-commit listeners still hear events only once they are durable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.boards.models import Card
from app.core import events
from app.core.db import Database
from tests.hooks.conftest import make_rule, new_card


@pytest.fixture
def visibility(db: Database) -> Iterator[list[tuple[str, bool]]]:
    """Each committed event, and whether another connection could see its card by then."""
    heard: list[tuple[str, bool]] = []

    def listener(event: events.Event) -> None:
        with db.session(readonly=True) as session:
            heard.append((event.type, session.get(Card, event.card_id) is not None))

    events.on_commit(listener)
    yield heard
    events.remove(listener)


def test_events_are_published_after_the_commit_not_at_a_savepoint(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    visibility: list[tuple[str, bool]],
) -> None:
    make_rule(admin, trigger="card.created", actions=[{"type": "add_label", "label": "seen"}])
    new_card(member, board, "Published when durable")
    assert visibility == [("card.created", True), ("card.updated", True)]
