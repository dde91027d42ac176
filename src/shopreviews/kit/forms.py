"""Request fields from a JSON object or an application/x-www-form-urlencoded body.

The enveloped OAuth endpoints accept both (RFC 6749 §4.1.3 mandates the form encoding; the
contract adds JSON); the standard ones take forms only. Parameters must not be repeated (RFC 6749
§3.1), in either form.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import BaseModel, ValidationError

from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.schemas import describe_validation_error, unstorable_text

FORM = "application/x-www-form-urlencoded"
M = TypeVar("M", bound=BaseModel)


class Fields:
    """Named request fields with typed accessors; every problem is code 3 naming the field."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def text(self, name: str, *, max_length: int = 2048) -> str | None:
        """A string field, trimmed; None when absent or empty."""
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidArgument(f"{name} must be a string")
        value = value.strip()
        if len(value) > max_length:
            raise InvalidArgument(f"{name} is longer than {max_length} characters")
        return value or None

    def verbatim(self, name: str) -> str | None:
        """A string field exactly as sent (an opaque value echoed back unchanged); None when
        absent, empty or not a string."""
        value = self.values.get(name)
        return value if isinstance(value, str) and value.strip() else None

    def shop_ref(self, name: str) -> str | None:
        """A shop id sent as a string or an integer; 0, "0" and "" mean not given."""
        value = self.values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        elif value is not None and not isinstance(value, str):
            raise InvalidArgument(f"{name} must be a string or an integer")
        # Read the (converted) value through text() for the trimming and the length limit.
        text = Fields({name: value}).text(name, max_length=255)
        return None if text == "0" else text


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in pairs:
        if key in values:
            raise InvalidArgument(f"parameter {key} is repeated")
        values[key] = value
    return values


def is_form(content_type: str) -> bool:
    """Whether a Content-Type names a form-encoded body (parameters such as charset aside)."""
    return content_type.split(";", 1)[0].strip().lower() == FORM


def parse_body(body: bytes, content_type: str) -> Fields:
    if not body.strip():
        return Fields({})
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument("body is not valid UTF-8") from exc
    if is_form(content_type):
        pairs: list[tuple[str, Any]] = parse_qsl(text, keep_blank_values=True)
        values = _no_repeats(pairs)
    else:
        try:
            values = json.loads(text, object_pairs_hook=_no_repeats)
        except (ValueError, RecursionError) as exc:
            raise InvalidArgument("body is not valid JSON (or a form-encoded body)") from exc
        if not isinstance(values, dict):
            raise InvalidArgument("body must be a JSON object")
    problem = unstorable_text(values)
    if problem is not None:
        raise InvalidArgument(problem)
    return Fields(values)


async def read_fields(request: Request) -> Fields:
    return parse_body(await request.body(), request.headers.get("content-type", ""))


def validated(model: type[M], fields: Fields) -> M:
    """The fields as `model`. Its validators raise the contract's own errors (code 3 with the
    message of the first rule broken); anything Pydantic refuses itself is described as FastAPI's
    validation errors are (kit/schemas.py)."""
    try:
        return model.model_validate(fields.values)
    except ValidationError as exc:
        problems = [describe_validation_error(dict(e)) for e in exc.errors()[:3]]
        raise InvalidArgument("; ".join(problems)) from None
