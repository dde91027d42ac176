"""page/page_size parsing and the pagination object (docs/api.md, "Pagination")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, Field

from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.params import QueryParams, parse_positive_int

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Keeps offsets inside a 64-bit integer on every database.
MAX_PAGE = 10**12


@dataclass(frozen=True)
class PageRequest:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @classmethod
    def from_query(cls, query: QueryParams) -> PageRequest:
        page = parse_positive_int(query.scalar("page"), "page", 1)
        size = parse_positive_int(query.scalar("page_size"), "page_size", DEFAULT_PAGE_SIZE)
        if page > MAX_PAGE:
            raise InvalidArgument(f"page must be at most {MAX_PAGE}")
        return cls(page=page, page_size=min(size, MAX_PAGE_SIZE))


class Pagination(BaseModel):
    page: int = Field(examples=[1])
    page_size: int = Field(examples=[20])
    total_page: int = Field(examples=[3])
    count: int = Field(examples=[47])

    @classmethod
    def of(cls, request: PageRequest, count: int) -> Pagination:
        total = -(-count // request.page_size) if count else 0
        return cls(page=request.page, page_size=request.page_size, total_page=total, count=count)


T = TypeVar("T")


async def fetch_page(
    request: PageRequest,
    count: Awaitable[int],
    rows: Callable[[int, int], Awaitable[Sequence[T]]],
) -> tuple[Pagination, Sequence[T]]:
    """Count the matches, then read the page's rows (offset, limit) only if the page has any."""
    total = await count
    found = await rows(request.offset, request.page_size) if request.offset < total else []
    return Pagination.of(request, total), found
