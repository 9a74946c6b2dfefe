"""JSON text as pydantic writes it, from orjson: the encoder of the paths that run per alert.

Every alert stores JSON columns (labels, annotations, event data) and, with webhooks,
a card snapshot and an envelope; pydantic's encoder for arbitrary Python values spent
more time on them than SQLite took to store the rows. orjson writes the same JSON
(times as pydantic does: ``Z`` for UTC, microseconds only when not zero; enums by
value; non-ASCII as UTF-8); what it cannot write itself (sets, decimals, durations,
pydantic models, integers beyond 64 bits, keys other than strings) goes to pydantic,
so the output never differs from ``pydantic_core.to_json`` in meaning (a test compares
them), except that infinities are written as null, as NaN is (pydantic writes
``Infinity``, which is not JSON).

A ``Document`` (a card's snapshot) keeps its own text: every event and envelope that
embeds it copies that text instead of encoding the document again.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any

import orjson
from pydantic_core import to_json, to_jsonable_python


class Document(dict[str, Any]):
    """A JSON object and its text, written as that text wherever embedded: do not change it."""

    __slots__ = ("text",)

    def __init__(self, values: dict[str, Any], text: bytes) -> None:
        super().__init__(values)
        self.text = text


def _default(value: Any) -> Any:
    if type(value) is Document:
        return orjson.Fragment(value.text)
    if isinstance(value, Enum):
        return value.value
    return to_jsonable_python(value)


# Subclasses of str, int and dict (enums, documents) go to ``_default``. Keys other than
# strings raise (pydantic writes those documents): allowing them halves orjson's speed.
_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS


def _orjson(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def dumps(value: Any) -> bytes:
    """``value`` as JSON (UTF-8 bytes), as ``pydantic_core.to_json`` would write it."""
    try:
        return _orjson(value)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: pydantic writes it
        return to_json(value)


def dumps_text(value: Any) -> str:
    """``dumps`` as text: what a JSON column stores."""
    return dumps(value).decode()


@lru_cache(maxsize=4096)  # a batch's rows share a handful of times
def _time_text(value: datetime) -> str:
    text: str = orjson.loads(orjson.dumps(value, option=_OPTIONS))
    return text


def time_text(value: datetime | None) -> str | None:
    """A time as ``jsonable`` writes it (None stays None), cheaper than ``jsonable``."""
    return None if value is None else _time_text(value)


def enum_value(value: Any) -> Any:
    """An enum's value (what JSON holds for it); any other value as it is."""
    return value.value if isinstance(value, Enum) else value


def jsonable(value: Any) -> Any:
    """A copy of ``value`` made of JSON's types (times as text, enums as their values)."""
    try:
        return orjson.loads(_orjson(value))
    except orjson.JSONEncodeError:  # read back, a large integer would become a float
        return to_jsonable_python(value)


def plain_document(value: dict[str, Any]) -> Document:
    """A ``Document`` of a ``value`` made of JSON's types only: encoded, not read back."""
    try:
        return Document(value, _orjson(value))
    except orjson.JSONEncodeError:
        return Document(value, to_json(value))


def amend(base: Document, tail: dict[str, Any]) -> Document:
    """``base`` with new values for its last keys (``tail``'s, in the same order).

    ``tail`` is made of JSON's types only (as ``jsonable`` answers) and only it is
    encoded: its text replaces the end of ``base.text`` (what a card's later snapshot in
    the same transaction changes is its links and its alert, its last keys).
    """
    try:
        old = _orjson({key: base[key] for key in tail})
        new = _orjson(tail)
    except (KeyError, orjson.JSONEncodeError):
        return plain_document({**base, **tail})
    # ``"links":[],"alert":null}``: base's text ends with it, after a comma, only if these
    # are its last keys, in this order (a key's text cannot occur inside a string's text).
    end = old[1:]
    if not base.text.endswith(b"," + end):
        return plain_document({**base, **tail})
    made = Document(base, base.text[: -len(end)] + new[1:])
    made.update(tail)
    return made
