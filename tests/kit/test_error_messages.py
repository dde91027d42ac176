"""An error carries its code and its detail apart; its envelope message is written in one place
(kit/envelope.py envelope_message): "<category>: <detail>", the bare category when there is no
detail, the bare detail for the few refusals worded as a sentence of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from shopreviews.kit.envelope import (
    CATEGORY,
    HTTP_STATUS,
    INVALID_ARGUMENT,
    AlreadyExists,
    ApiError,
    InvalidArgument,
    InvalidValue,
    NotFound,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unauthenticated,
)
from shopreviews.kit.schemas import describe_validation_error, error_text

SRC = Path(__file__).resolve().parents[2] / "src" / "shopreviews"
NAMED = {
    InvalidArgument: "invalid argument",
    NotFound: "not found",
    AlreadyExists: "already exists",
    PermissionDenied: "permission denied",
    Rejected: "rejected",
    Unauthenticated: "unauthenticated",
}


@pytest.mark.parametrize("code", sorted(CATEGORY))
def test_each_code_writes_its_category_once(code: int) -> None:
    category = CATEGORY[code]
    error = ApiError(code, "rating must be 1-5")
    assert error.message == f"{category}: rating must be 1-5"
    assert str(error) == error.message
    assert error.detail == error.description == "rating must be 1-5"
    assert error.http_status == HTTP_STATUS[code]
    bare = ApiError(code)
    assert bare.message == bare.description == category


def test_a_detail_is_taken_as_given() -> None:
    # The detail is never read: text that happens to start like a category (a client's own
    # words echoed back) gets the category in front like any other. No raise site writes a
    # category itself (test_no_raise_site_writes_a_category below).
    error = InvalidArgument("invalid argument: x")
    assert error.message == "invalid argument: invalid argument: x"
    assert error.detail == "invalid argument: x"


@pytest.mark.parametrize(("cls", "category"), list(NAMED.items()), ids=lambda v: str(v))
def test_named_errors_carry_their_code(cls: type[InvalidArgument], category: str) -> None:
    error = cls("the detail")
    assert CATEGORY[error.code] == category
    assert error.message == f"{category}: the detail"


def test_a_sentence_of_its_own_is_sent_without_category() -> None:
    error = NotFound("review 5 not found", prefixed=False)
    assert (error.code, error.message, error.description) == (5, "review 5 not found", error.detail)


def test_rate_limited_is_a_sentence_with_its_own_status() -> None:
    error = RateLimited(retry_after=7)
    assert error.code == 8 and error.http_status == 429
    assert error.message == error.detail == "rate limit exceeded; retry after 7 s"
    assert error.headers == {"Retry-After": "7"}


def test_an_invalid_value_keeps_its_problem_apart() -> None:
    error = InvalidValue("is_top", "must be 0 or 1")
    assert error.code == INVALID_ARGUMENT
    assert error.message == "invalid argument: is_top must be 0 or 1"
    assert error.problem == "must be 0 or 1"


def test_headers_are_the_errors_own() -> None:
    shared = {"WWW-Authenticate": "Bearer"}
    error = Unauthenticated("no token", headers=shared)
    error.headers["Access-Control-Allow-Origin"] = "*"
    assert shared == {"WWW-Authenticate": "Bearer"}


def test_pydantic_error_text_is_the_validators_own() -> None:
    class Body(BaseModel):
        rating: int

        @field_validator("rating")
        @classmethod
        def _in_range(cls, value: int) -> int:
            raise ValueError("must be 1 to 5")

    for given, text in (({"rating": 9}, "must be 1 to 5"), ({}, "is required")):
        with pytest.raises(ValidationError) as caught:
            Body.model_validate(given)
        assert [error_text(e) for e in caught.value.errors()] == [text]


class _Typed(BaseModel):
    """Fields with Pydantic's own rules, whose errors must read as the API's."""

    text: str = Field(default="", max_length=3)
    name: str = Field(default="x", min_length=1)
    code: str = Field(default="abc", min_length=3)
    count: int = Field(default=0, ge=0, le=5)
    ratio: float = 0.0
    items: list[int] = Field(default_factory=list, max_length=2)
    nested: list[dict[str, int]] = Field(default_factory=list)
    required: bool


# Pydantic's English that must never reach a client (every API answer and the CLI).
PYDANTIC_WORDS = ("should", "Input", "Field required", "valid dictionary", "Value error")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"text": 5}, "text: must be a string"),
        ({"text": "abcd"}, "text: must be at most 3 characters"),
        ({"name": ""}, "name: must not be empty"),
        ({"code": "ab"}, "code: must be at least 3 characters"),
        ({"count": "many"}, "count: must be an integer"),
        ({"count": 1.5}, "count: must be an integer"),
        ({"count": 9}, "count: must be at most 5"),
        ({"count": -1}, "count: must be at least 0"),
        ({"ratio": "half"}, "ratio: must be a number"),
        ({"items": "1"}, "items: must be an array"),
        ({"items": [1, 2, 3]}, "items: must have at most 2 items"),
        ({"items": [1, "x"]}, "items[1]: must be an integer"),
        ({"nested": [{"a": 1}, 5]}, "nested[1]: must be an object"),
        ({"nested": [{"a": "x"}]}, "nested[0].a: must be an integer"),
        ({"required": "maybe"}, "required: must be true or false"),
    ],
)
def test_pydantic_errors_read_as_the_apis_own(given: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Typed.model_validate({"required": True, **given})
    described = [describe_validation_error(dict(e)) for e in caught.value.errors()]
    assert described == [message]
    assert not any(word in message for word in PYDANTIC_WORDS)


def test_a_missing_field_is_required() -> None:
    with pytest.raises(ValidationError) as caught:
        _Typed.model_validate({})
    assert [describe_validation_error(dict(e)) for e in caught.value.errors()] == [
        "required is required"
    ]


def test_an_unknown_pydantic_error_never_shows_pydantics_words() -> None:
    error = {"type": "uuid_parsing", "loc": ("id",), "msg": "Input should be a valid UUID"}
    assert describe_validation_error(error) == "id: has an invalid value"


def _leading_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_text(node.values[0])
    return None


def test_no_raise_site_writes_a_category() -> None:
    names = {cls.__name__ for cls in NAMED} | {"InvalidValue", "ApiError"}
    categories = tuple(CATEGORY.values())
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in names:
                continue
            for arg in node.args:
                text = _leading_text(arg)
                if text is not None and text.startswith(categories):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}: {text!r}")
    assert found == []
