"""GET /boards/{board_id}?done_cards=N: a done column answers its N most recently done
cards, newest first, whatever their rank (a board shows the most recent few); without the
parameter it pages by rank like any column."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import clock
from tests.boards.conftest import new_card


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    with clock.use(clock.ManualClock(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))) as used:
        assert isinstance(used, clock.ManualClock)
        yield used


def _done(client: TestClient, card: dict[str, Any], column_id: int, position: str) -> None:
    body = {"column_id": column_id, "position": position, "version": card["version"]}
    moved = client.post(f"/api/v1/cards/{card['id']}/move", json=body)
    assert moved.status_code == 200, moved.text


def test_a_done_column_answers_its_most_recently_done_cards(
    member: TestClient, board: dict[str, Any], manual: clock.ManualClock
) -> None:
    done = board["columns"]["Done"]
    # Each made done a minute after the last, alternately at the top and the bottom.
    for number in range(7):
        card = new_card(member, board, f"chore {number}")
        manual.advance(timedelta(minutes=1))
        _done(member, card, done, "top" if number % 2 else "bottom")
    new_card(member, board, "still open")
    view = member.get(f"/api/v1/boards/{board['id']}", params={"done_cards": 3}).json()
    column = next(c for c in view["columns"] if c["id"] == done)
    assert [c["title"] for c in column["cards"]] == ["chore 6", "chore 5", "chore 4"]
    assert column["card_count"] == 7
    assert column["next_cursor"] is None
    todo = next(c for c in view["columns"] if c["name"] == "Todo")
    assert [c["title"] for c in todo["cards"]] == ["still open"]  # other columns: as ever
    by_rank = member.get(f"/api/v1/boards/{board['id']}", params={"cards_per_column": 3}).json()
    column = next(c for c in by_rank["columns"] if c["id"] == done)
    assert [c["title"] for c in column["cards"]] == ["chore 5", "chore 3", "chore 1"]
    assert column["next_cursor"] is not None
