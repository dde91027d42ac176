"""What get_review, get_reviews and get_rating ask for (spec reviews.md): frozen, as the read
cache keys answers by them (kit/read_cache.py). The router reads them from the query."""

from __future__ import annotations

from dataclasses import dataclass

from shopreviews.kit.pagination import PageRequest
from shopreviews.reviews.repository import ReviewFilter


@dataclass(frozen=True)
class ReviewRequest:
    """get_review's request: one review by id."""

    review_id: int


@dataclass(frozen=True)
class ListRequest:
    """get_reviews' request: the filters, the page and the keyset cursor."""

    filter: ReviewFilter
    page: PageRequest
    cursor: str | None


@dataclass(frozen=True)
class RatingTarget:
    """Which aggregate get_rating reads: scope plus product id or handle."""

    scope: str
    product_id: str = ""
    handle: str | None = None
