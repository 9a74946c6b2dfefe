"""The fast JSON encoder writes what pydantic writes: same text for what orjson encodes
itself, and pydantic's own answer for what it cannot (large integers, sets, decimals)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic_core import to_json, to_jsonable_python

from app.core.jsontext import (
    Document,
    amend,
    dumps,
    dumps_text,
    enum_value,
    jsonable,
    plain_document,
    time_text,
)


class Kind(enum.StrEnum):
    fire = "fire"


class Level(enum.IntEnum):
    high = 3


class Model(BaseModel):
    name: str
    at: datetime


@dataclass
class Point:
    x: int
    label: str


LONDON_WINTER = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))

SAME_TEXT: list[Any] = [
    datetime(2026, 11, 26, 8, 14, 30, tzinfo=UTC),
    datetime(2026, 11, 26, 8, 14, 30, 120000, tzinfo=UTC),
    datetime(2026, 11, 26, 8, 14, 30, 123456, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 11, 26, 8, 14, 30, 5, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2026, 11, 26, 8, 14, 30),
    LONDON_WINTER,  # offset zero, not the UTC object
    date(2026, 2, 28),
    Kind.fire,
    Level.high,
    UUID("12345678-1234-5678-1234-567812345678"),
    'Disk full on wéb-3 🔥 "quoted" \u2028 </script>',
    {"nested": [1, 2.5, None, True, {"k": "v"}], "empty": {}},
    (1, "two"),
    Point(1, "p"),
    -(2**63),
    2**64 - 1,
    1e-7,
    0.1 + 0.2,
]


@pytest.mark.parametrize("value", SAME_TEXT, ids=repr)
def test_same_text_as_pydantic(value: Any) -> None:
    assert dumps(value) == to_json(value)
    assert dumps_text(value) == to_json(value).decode()


@pytest.mark.parametrize(
    "value",
    [
        2**64,  # beyond orjson's integers
        -(2**70),
        {"big": [10**30]},
        {3, 1, 2},
        Decimal("12.50"),
        timedelta(hours=1, seconds=3),
        Model(name="m", at=datetime(2026, 1, 1, tzinfo=UTC)),
        b"bytes",
        {1: "int key", "s": "str key"},
    ],
    ids=repr,
)
def test_what_orjson_cannot_write_is_written_as_pydantic_does(value: Any) -> None:
    assert json.loads(dumps(value)) == json.loads(to_json(value))
    assert jsonable(value) == to_jsonable_python(value)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_any_json_document_is_written_as_pydantic_writes_it(value: Any) -> None:
    assert json.loads(dumps(value)) == json.loads(to_json(value))
    assert jsonable(value) == to_jsonable_python(value)


def test_infinities_are_written_as_null_where_pydantic_writes_invalid_json() -> None:
    assert to_json(float("inf")) == b"Infinity"  # not JSON: PostgreSQL would refuse it
    assert dumps({"x": float("inf"), "y": float("-inf"), "z": float("nan")}) == (
        b'{"x":null,"y":null,"z":null}'
    )


@pytest.mark.parametrize("at", [t for t in SAME_TEXT if isinstance(t, datetime)], ids=repr)
def test_time_text_is_the_time_as_jsonable_writes_it(at: datetime) -> None:
    assert time_text(at) == jsonable(at) == to_jsonable_python(at)
    assert time_text(None) is None
    assert enum_value(Kind.fire) == "fire" and enum_value("x") == "x" and enum_value(3) == 3


def test_a_plain_document_is_encoded_not_read_back() -> None:
    value = {"title": "é", "n": [1, None], "big": 10**30}
    made = plain_document(value)
    assert made == value and json.loads(made.text) == value


def test_jsonable_turns_times_and_enums_into_json_types() -> None:
    at = datetime(2026, 11, 26, 8, 14, 30, 120000, tzinfo=UTC)
    document = {"kind": Kind.fire, "at": at, "tags": ("a",), "none": None}
    assert jsonable(document) == {
        "kind": "fire",
        "at": "2026-11-26T08:14:30.120000Z",
        "tags": ["a"],
        "none": None,
    }
    assert jsonable(document) == to_jsonable_python(document)


def test_a_document_is_jsonable_and_embedded_as_its_own_text() -> None:
    at = datetime(2026, 11, 26, 8, 14, 30, tzinfo=UTC)
    value = {"kind": Kind.fire, "at": at, "labels": {"é": "🔥"}, "n": [1, None]}
    made = plain_document(jsonable(value))
    assert made == jsonable(value)
    assert made.text == to_json(value)
    envelope = {"event": "card.created", "data": {"card": made, "level": Level.high}}
    plain = {"event": "card.created", "data": {"card": value, "level": 3}}
    assert dumps(envelope) == to_json(plain)
    # The text is what gets written, as is (which is why a document must not be changed).
    assert dumps({"card": Document({"a": 1}, b'{"a":2}')}) == b'{"card":{"a":2}}'


def test_amending_the_last_keys_encodes_only_them() -> None:
    at = datetime(2026, 11, 26, 8, 14, 30, tzinfo=UTC)
    base = plain_document({"id": 1, "title": "é", "links": [], "alert": None})
    tail = {"links": [{"target": 2}], "alert": {"status": "fire", "at": time_text(at)}}
    amended = amend(base, tail)
    assert amended == {**base, **tail}
    assert amended.text == to_json({**base, **tail})
    assert base == {"id": 1, "title": "é", "links": [], "alert": None}  # left as it was


@pytest.mark.parametrize(
    "tail",
    [
        {"alert": None, "links": []},  # not in the document's order
        {"title": "t"},  # not its last key
        {"missing": 1},
        {"links": [], "alert": 10**30},
    ],
    ids=repr,
)
def test_amending_other_keys_encodes_the_whole_document(tail: dict[str, Any]) -> None:
    base = plain_document({"id": 1, "title": "é", "links": [], "alert": None})
    amended = amend(base, tail)
    assert amended == {**base, **tail}
    assert json.loads(amended.text) == {**base, **tail}
