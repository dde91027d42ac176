"""Base classes and field types for request bodies, and the words of their validation errors
(docs/api.md, "Requests" and "Errors")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


# Pydantic's own errors in the API's words ("must be ..."), by error type; `{name}` takes the
# error's context. Its English ("String should have at most 300 characters", "Input should be a
# valid integer") would otherwise reach clients beside the API's own messages.
_PROBLEMS = {
    "string_type": "must be a string",
    "string_too_short": "must be at least {min_length} characters",
    "string_too_long": "must be at most {max_length} characters",
    "string_pattern_mismatch": "must match {pattern}",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "set_type": "must be an array",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dataclass_type": "must be an object",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be {expected}",
    "enum": "must be {expected}",
    "missing": "is required",
    "extra_forbidden": "is not accepted",
    "url_type": "must be a URL",
    "url_parsing": "must be a URL",
    "url_scheme": "must be a URL with the scheme {expected_schemes}",
}
# An emptiness rule reads better as such than as a count of one.
_EMPTY = {"string_too_short": "min_length", "too_short": "min_length"}
UNKNOWN_PROBLEM = "has an invalid value"


def error_text(error: Mapping[str, Any]) -> str:
    """A Pydantic error in the API's words: a validator's ValueError as it was raised
    (Pydantic's message puts "Value error, " before it), a known error type as the API says it
    (_PROBLEMS), anything else as UNKNOWN_PROBLEM, never Pydantic's own English."""
    kind = error.get("type")
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in _EMPTY and ctx.get(_EMPTY[kind]) == 1:
        return "must not be empty"
    template = _PROBLEMS.get(str(kind))
    if template is None:
        return UNKNOWN_PROBLEM
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):  # a context without the value: the rule without it
        return template.split(" {", 1)[0]


def field_name(loc: Iterable[Any]) -> str:
    """The field an error's location names, as the client wrote it: `media[0].url`. FastAPI's
    `body`/`query` and the parts Pydantic adds for validators and types (`function-before[...]`,
    `list[...]`) are dropped."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
            continue
        text = str(part)
        if text in ("body", "query") or text.startswith("function-") or "[" in text:
            continue
        name += f".{text}" if name else text
    return name


def describe_validation_error(err: Mapping[str, Any]) -> str:
    """One error of Pydantic/FastAPI as 'field: problem', naming the field as the client sent it."""
    field = field_name(err.get("loc", ()))
    msg = error_text(err)
    if err.get("type") == "json_invalid":
        return "body is not valid JSON"
    if err.get("type") == "missing":
        # No field: the body itself is missing (an empty POST body where one is required).
        return f"{field} is required" if field else "request body is required (a JSON object)"
    if err.get("type") in ("model_attributes_type", "model_type", "dict_type") and not field:
        return "body must be a JSON object"
    return f"{field}: {msg}" if field else msg


def unstorable_text(value: Any, subject: str = "text") -> str | None:
    """Why a body's text cannot be stored ("<subject> must not ..."), or None: U+0000 (refused
    by the API, docs/api.md "Requests", and by PostgreSQL) or a lone surrogate escape such as
    "\\ud800" (valid JSON, no UTF-8 form)."""
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
