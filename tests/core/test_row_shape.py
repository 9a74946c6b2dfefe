"""Rows written in bulk take their shape from the table models (``RowShape``)."""

from __future__ import annotations

import pytest

from app.alerts.models import ALERT_ROW, SIGNAL_ROW, Alert, AlertSignal
from app.boards.activity import CARD_COLUMNS
from app.boards.models import CARD_ROW, EVENT_ROW, Card, CardEvent
from app.boards.schemas import CardPublic
from app.core.clock import now
from app.core.rows import RowShape


@pytest.mark.parametrize(
    ("shape", "model"),
    [(CARD_ROW, Card), (EVENT_ROW, CardEvent), (ALERT_ROW, Alert), (SIGNAL_ROW, AlertSignal)],
)
def test_a_shape_has_every_column_but_the_id(shape: RowShape, model: type) -> None:
    columns = {column.name for column in model.__table__.columns}  # type: ignore[attr-defined]
    assert set(shape.columns) == columns - {"id"}


def test_a_row_starts_from_the_models_defaults() -> None:
    at = now()
    row = CARD_ROW.row(board_id=1, column_id=2, title="t", rank="a0", created_at=at, updated_at=at)
    assert row["kind"] == "project" and row["version"] == 1 and row["estimate_minutes"] is None
    assert set(row) == set(CARD_ROW.columns)


def test_a_row_missing_or_with_an_unknown_column_is_refused() -> None:
    at = now()
    with pytest.raises(TypeError, match=r"missing \['rank'\]"):
        CARD_ROW.row(board_id=1, column_id=2, title="t", created_at=at, updated_at=at)
    with pytest.raises(TypeError, match=r"unknown \['colour'\]"):
        CARD_ROW.row(
            board_id=1, column_id=2, title="t", rank="a0", created_at=at, updated_at=at,
            colour="red",
        )  # fmt: skip


def test_a_cards_json_shows_every_column_but_its_author() -> None:
    columns = {column.name for column in Card.__table__.columns}  # type: ignore[attr-defined]
    assert set(CARD_COLUMNS) == columns - {"created_by_id"}
    order = list(CardPublic.model_fields)
    assert sorted(CARD_COLUMNS, key=order.index) == list(CARD_COLUMNS)
