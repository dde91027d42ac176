"""Keys of the read cache (kit/read_cache.py) are derived from the typed request of each
cached service, never written by hand: two requests that differ in any one field, at any
depth, are two keys, and a request type that could hide a field from the key is refused."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from shopreviews.kit.read_cache import CachedService, cached_service, check_request_type
from shopreviews.reviews import service as review_service
from shopreviews.reviews.query import ListRequest, RatingTarget, ReviewRequest

# The services the read cache answers, each with requests drawn from its request type's own
# field types (so a field added to a request is drawn too, with nothing to update here).
CASES: list[CachedService[Any, Any, Any, Any]] = [
    review_service.get,
    review_service.list_reviews,
    review_service.rating,
]


def one_field_changed(a: Any, b: Any) -> Iterator[tuple[str, Any]]:
    """`a` with one field (at any depth) taken from `b`, for every field where they differ."""
    for field in dataclasses.fields(a):
        mine, theirs = getattr(a, field.name), getattr(b, field.name)
        if dataclasses.is_dataclass(mine):
            for path, inner in one_field_changed(mine, theirs):
                yield f"{field.name}.{path}", dataclasses.replace(a, **{field.name: inner})
        elif mine != theirs:
            yield field.name, dataclasses.replace(a, **{field.name: theirs})


@pytest.mark.parametrize("service", CASES, ids=lambda service: service.__name__)
@given(data=st.data())
def test_requests_differing_in_one_field_have_different_keys(
    service: CachedService[Any, Any, Any, Any], data: Any
) -> None:
    requests = st.from_type(service.request_type)
    a, b = data.draw(requests), data.draw(requests)
    # The same request, built again, is the same key (a hit).
    same = dataclasses.replace(a)
    assert service.key(same) == service.key(a) and hash(service.key(same)) == hash(service.key(a))
    for path, changed in one_field_changed(a, b):
        assert service.key(changed) != service.key(a), path


def test_the_requests_are_the_parsed_queries() -> None:
    assert [service.request_type for service in CASES] == [
        ReviewRequest,
        ListRequest,
        RatingTarget,
    ]


def test_the_same_request_of_two_services_is_two_keys() -> None:
    target = RatingTarget("all")

    @cached_service
    async def other(session: object, caller: object, request: RatingTarget) -> BaseModel:
        raise AssertionError("not run")

    assert other.key(target) != review_service.rating.key(target)


@dataclasses.dataclass(frozen=True)
class ListField:
    ids: list[str]


@dataclasses.dataclass(frozen=True)
class Uncompared:
    page: int
    cursor: str = dataclasses.field(default="", compare=False)


@dataclasses.dataclass
class Mutable:
    page: int


@dataclasses.dataclass(frozen=True)
class NestedBad:
    inner: Uncompared


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (ListField, "ListField.ids must be of an immutable type"),
        (Uncompared, "Uncompared.cursor must be compared and hashed"),
        (Mutable, "Mutable must be a frozen dataclass"),
        (NestedBad, "Uncompared.cursor must be compared and hashed"),
        (dict, "must be a frozen dataclass"),
    ],
)
def test_request_types_that_could_hide_a_field_are_refused(kind: type, message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        check_request_type(kind)


def test_a_service_of_such_a_request_type_is_refused_when_defined() -> None:
    async def service(session: object, caller: object, request: Uncompared) -> BaseModel:
        raise AssertionError("not run")

    with pytest.raises(TypeError, match=re.escape("Uncompared.cursor must be compared")):
        cached_service(service)
