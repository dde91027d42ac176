"""Base classes and field types for request bodies, and the words of their validation errors
(spec README §3.1, §3.6, §3.7)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    WithJsonSchema,
    model_validator,
)

from shopreviews.kit.envelope import InvalidValue
from shopreviews.kit.params import parse_external_id, parse_flag, parse_id

T = TypeVar("T")


def error_text(error: Mapping[str, Any]) -> str:
    """A Pydantic error in words: a validator's ValueError as it was raised (Pydantic's message
    puts "Value error, " before it), Pydantic's own message otherwise."""
    if error.get("type") == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error["msg"])


def describe_validation_error(err: Mapping[str, Any]) -> str:
    """One error of Pydantic/FastAPI as 'field: problem', naming the field as the client sent it."""
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query")]
    # Pydantic adds the validator name for tagged/function validators; drop those parts.
    loc = [p for p in loc if not p.startswith("function-") and "[" not in p]
    field = ".".join(loc)
    msg = error_text(err) if "msg" in err else "invalid value"
    if err.get("type") == "json_invalid":
        return "body is not valid JSON"
    if err.get("type") == "missing":
        # No field: the body itself is missing (an empty POST body where one is required).
        return f"{field} is required" if field else "request body is required (a JSON object)"
    if err.get("type") == "model_attributes_type" or (err.get("type") == "dict_type" and not field):
        return "body must be a JSON object"
    return f"{field}: {msg}" if field else msg


def unstorable_text(value: Any, subject: str = "text") -> str | None:
    """Why a body's text cannot be stored ("<subject> must not ..."), or None: U+0000 (refused
    by the contract and by PostgreSQL) or a lone surrogate escape such as "\\ud800" (valid
    JSON, no UTF-8 form)."""
    # Iterative: a body may nest arrays hundreds deep (within the JSON parser's own limit), and
    # a recursive walk would hit Python's recursion limit and answer 500 instead of a result.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return f"{subject} must not contain the U+0000 character"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return f"{subject} must not contain lone surrogate escapes such as \\ud800"
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


def as_field_validator(parse: Callable[[Any, str], T]) -> Callable[[Any], T]:
    """A parser of named values (parse(value, field)) as a field validator: Pydantic names the
    field itself, so its ValueError carries the problem alone ("is_top: must be 0 or 1")."""

    def validate(value: Any) -> T:
        try:
            return parse(value, "value")  # the name goes unused: only the problem is told
        except InvalidValue as exc:
            raise ValueError(exc.problem) from None

    return validate


Flag = Annotated[
    bool,
    BeforeValidator(as_field_validator(parse_flag)),
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
    BeforeValidator(as_field_validator(parse_id)),
    WithJsonSchema(
        {
            "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}],
            "examples": ["1024"],
        }
    ),
]
ExternalId = Annotated[
    str,
    BeforeValidator(as_field_validator(parse_external_id)),
    WithJsonSchema({"oneOf": [{"type": "string", "maxLength": 64}, {"type": "integer"}]}),
]
