"""Cursor pagination: every list answers ``{"items": [...], "next_cursor": ... | null}``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.core.errors import InvalidCursor
from app.core.schemas import MAX_ID, unstorable

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="The next_cursor of the previous page.")
]


T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(kind: str, *values: Any) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> list[Any]:
    """Decode a cursor made by ``encode_cursor(kind, ...)``; anything else is InvalidCursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(data, list) or len(data) != len(types) + 1 or data[0] != kind:
        raise InvalidCursor()
    values = data[1:]
    for value, expected in zip(values, types, strict=True):
        if type(value) is not expected:
            raise InvalidCursor()
    # Made by hand: a value no store can compare with.
    if unstorable(values) is not None or any(
        type(value) is int and abs(value) > MAX_ID for value in values
    ):
        raise InvalidCursor()
    return values


def split_page(
    rows: list[R], limit: int, cursor_of: Callable[[R], str]
) -> tuple[list[R], str | None]:
    """Cut a ``limit + 1`` fetch to ``limit`` rows and the cursor of the page after, if any."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursor_of(rows[-1])
