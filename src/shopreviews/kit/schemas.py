"""Base classes and field types for request bodies (spec README §3.1, §3.6, §3.7)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    WithJsonSchema,
    model_validator,
)

from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.params import parse_external_id, parse_flag, parse_id


def unstorable_text(value: Any) -> str | None:
    """Why a body's text cannot be stored, or None: U+0000 (refused by the contract and by
    PostgreSQL) or a lone surrogate escape such as "\\ud800" (valid JSON, no UTF-8 form)."""
    # Iterative: a body may nest arrays hundreds deep (within the JSON parser's own limit), and
    # a recursive walk would hit Python's recursion limit and answer 500 instead of a result.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "text must not contain the U+0000 character"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "text must not contain lone surrogate escapes such as \\ud800"
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


class In(BaseModel):
    """A JSON request body: unknown fields ignored, `null` means not given, and only text that
    can be stored (no U+0000, no lone surrogates) anywhere."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        problem = unstorable_text(data)
        if problem is not None:
            raise ValueError(problem)
        return data


def sent_as(shape: Any) -> WithJsonSchema:
    """Documents a field as clients send it (say a string or a list of strings) when the model
    holds what its validator made of it (say the canonical string)."""
    return WithJsonSchema(TypeAdapter(shape).json_schema())


def _api_error_as_value_error(fn: Any) -> Any:
    def wrapper(value: Any) -> Any:
        try:
            return fn(value)
        except InvalidArgument as exc:
            # Pydantic reports ValueErrors against the field; drop our own prefix and field name.
            text = exc.message.removeprefix("invalid argument: ")
            raise ValueError(text.split(" ", 1)[1] if text.startswith("value ") else text) from None

    return wrapper


def _flag(value: Any) -> bool:
    return parse_flag(value, "value")


def _id(value: Any) -> int:
    return parse_id(value, "value")


def _external_id(value: Any) -> str:
    return parse_external_id(value, "value")


Flag = Annotated[
    bool,
    BeforeValidator(_api_error_as_value_error(_flag)),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "enum": [0, 1]},
                {"type": "boolean"},
                {"type": "string", "enum": ["0", "1"]},
            ]
        }
    ),
]
ServerId = Annotated[
    int,
    BeforeValidator(_api_error_as_value_error(_id)),
    WithJsonSchema(
        {
            "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}],
            "examples": ["1024"],
        }
    ),
]
ExternalId = Annotated[
    str,
    BeforeValidator(_api_error_as_value_error(_external_id)),
    WithJsonSchema({"oneOf": [{"type": "string", "maxLength": 64}, {"type": "integer"}]}),
]
