"""Base shapes every domain's request schemas share, and the values no store can hold.

Every request body is a ``StrictModel``: unknown fields are an error, and so is any value
that SQLite or PostgreSQL cannot store, wherever it sits in the body (free JSON included):
a NUL character (PostgreSQL refuses it in text), half of a surrogate pair (not UTF-8) and
integers beyond 64 bits (nothing stores them). Ids in paths, queries and bodies are
``Id``: 1 to 2**31 - 1, and every other integer field is within that range too (the
integer columns of PostgreSQL hold no more). Each is a 422 naming the field, instead of
a 500 from the store.

A ``Patch`` (the body of a PATCH) leaves out what it does not change; ``null`` is accepted
only by the fields its class lists in ``clearable`` (null clears them), and its OpenAPI
schema says so: ``{"priority": null}`` on a card is a 422, not a NULL for a NOT NULL column.
"""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, ClassVar, Self, Union, get_args, get_origin

from annotated_types import Interval
from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

MAX_INT = 2**63 - 1
MIN_INT = -(2**63)
# PostgreSQL's ``integer``: every id and integer column.
MAX_ID = 2**31 - 1
Id = Annotated[int, Interval(ge=1, le=MAX_ID)]


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character (U+0000), which cannot be stored"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "holds half of a surrogate pair, which is not UTF-8 text"
    return None


def unstorable(value: Any, where: str = "") -> tuple[str, str] | None:
    """The first value (and where it is) that no store can hold: NUL, lone surrogates,
    integers beyond 64 bits, in keys and values at any depth; None if there is none."""
    if isinstance(value, str):
        problem = _text_problem(value)
        return (where, problem) if problem else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            return where, "is an integer beyond 64 bits"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            at = f"{where}.{key}" if where else str(key)
            found = unstorable(key, at) if isinstance(key, str) else None
            found = found or unstorable(item, at)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable(item, f"{where}.{index}" if where else str(index))
            if found:
                return found
    return None


def _json_kinds(annotation: Any) -> frozenset[type] | None:
    """The JSON types a field of ``annotation`` takes if it is a plain boolean or number
    (None for anything else): JSON says ``true``, not ``1``, and ``5``, not ``"5"``."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    members = (
        set(get_args(annotation)) if get_origin(annotation) in (Union, UnionType) else {annotation}
    )
    members.discard(type(None))
    if members == {bool}:
        return frozenset({bool})
    if members == {int}:
        return frozenset({int})
    if members == {float} or members == {int, float}:
        return frozenset({int, float})
    return None


_JSON_NAMES = {frozenset({bool}): "boolean", frozenset({int}): "integer"}


class StrictModel(BaseModel):
    """A request body: unknown fields, unstorable values and values of another JSON type
    than the schema's (``"is_active": 0``, ``"limit": "5"``) are errors, not coerced."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        found = unstorable(data)
        if found is not None:
            where, problem = found
            raise PydanticCustomError(
                "unstorable", "{where} {problem}", {"where": where or "value", "problem": problem}
            )
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                value = data.get(field.alias or name)
                kinds = _json_kinds(field.annotation) if value is not None else None
                in_range = -MAX_ID - 1 <= value <= MAX_ID if type(value) is int else True
                if kinds == frozenset({int}) and not in_range:
                    raise PydanticCustomError(
                        "int_range", "{name} is beyond the integers stored (±2**31)", {"name": name}
                    )
                if kinds is not None and type(value) not in kinds:
                    expected = _JSON_NAMES.get(kinds, "number")
                    raise PydanticCustomError(
                        "json_type",
                        "{name} must be a JSON {expected}",
                        {"name": name, "expected": expected},
                    )
        return data


class Patch(StrictModel):
    """The body of a PATCH: fields left out stay; ``null`` only for ``clearable`` fields."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_it_clears(self) -> Self:
        for name in sorted(self.model_fields_set - self.clearable):
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it")
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name, prop in target.get("properties", {}).items():
            if name not in cls.clearable:
                _drop_null(prop)
        return schema


def _drop_null(prop: dict[str, Any]) -> None:
    """Make a property schema ``X | None`` say ``X``: null is not accepted there."""
    options = prop.get("anyOf")
    if not isinstance(options, list):
        return
    kept = [option for option in options if option != {"type": "null"}]
    if len(kept) == len(options):
        return
    if len(kept) == 1:
        del prop["anyOf"]
        prop.update(kept[0])
    else:
        prop["anyOf"] = kept
    if prop.get("default", ...) is None:
        del prop["default"]
