"""Any sequence of moves keeps an order consistent with every intent (property test)."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.boards import rank
from tests.boards.conftest import column_titles

COLUMNS = 3
_boards = itertools.count()

# An operation: ("new", column, top?) | ("after"/"before", card index, anchor index)
#             | ("edge", card index, column, top?)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.integers(0, COLUMNS - 1), st.booleans()),
        st.tuples(st.sampled_from(["after", "before"]), st.integers(0, 50), st.integers(0, 50)),
        st.tuples(st.just("edge"), st.integers(0, 50), st.integers(0, COLUMNS - 1), st.booleans()),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_moves_keep_every_intent(admin: TestClient, ops: list[tuple[Any, ...]]) -> None:
    slug = f"prop-{next(_boards)}"
    columns = [{"name": f"c{i}"} for i in range(COLUMNS)]
    board = admin.post("/api/v1/boards", json={"name": slug, "slug": slug, "columns": columns})
    board_id = board.json()["id"]
    column_ids = [c["id"] for c in admin.get(f"/api/v1/boards/{board_id}/columns").json()["items"]]
    model: list[list[str]] = [[] for _ in range(COLUMNS)]
    cards: dict[str, dict[str, Any]] = {}

    def where(title: str) -> int:
        return next(i for i, titles in enumerate(model) if title in titles)

    for op in ops:
        if op[0] == "new":
            _, column, top = op
            title = f"t{len(cards)}"
            body = {
                "title": title,
                "column_id": column_ids[column],
                "position": "top" if top else "bottom",
            }
            cards[title] = admin.post(f"/api/v1/boards/{board_id}/cards", json=body).json()
            model[column].insert(0 if top else len(model[column]), title)
            continue
        if not cards:
            continue
        titles = sorted(cards)
        title = titles[op[1] % len(titles)]
        card = cards[title]
        if op[0] == "edge":
            _, _, column, top = op
            intent = {"column_id": column_ids[column], "position": "top" if top else "bottom"}
            model[where(title)].remove(title)
            model[column].insert(0 if top else len(model[column]), title)
        else:
            anchor = titles[op[2] % len(titles)]
            if anchor == title:
                continue
            column = where(anchor)
            key = "after_card_id" if op[0] == "after" else "before_card_id"
            intent = {"column_id": column_ids[column], key: cards[anchor]["id"]}
            model[where(title)].remove(title)
            index = model[column].index(anchor)
            model[column].insert(index + 1 if op[0] == "after" else index, title)
        response = admin.post(
            f"/api/v1/cards/{card['id']}/move", json={"version": card["version"], **intent}
        )
        assert response.status_code == 200, response.text
        cards[title] = response.json()
    for index, column_id in enumerate(column_ids):
        assert column_titles(admin, column_id) == model[index]


@given(st.lists(st.booleans(), min_size=1, max_size=200))
def test_rank_keys_always_fall_between(sides: list[bool]) -> None:
    low, high = rank.between(None, None), None
    keys = [low]
    for go_high in sides:
        key = rank.between(low, high)
        assert (low is None or low < key) and (high is None or key < high)
        keys.append(key)
        if go_high:
            low = key
        else:
            high = key
    assert len(set(keys)) == len(keys)
