"""What get_review, get_reviews and get_rating ask for (docs/api.md, "Reviews"): frozen, as the read
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


# --- the storefront's public reads (docs/storefront.md) ----------------------------------------
# Each holds the shop's display settings that shape its answer, so the read cache keeps one
# answer per setting and a changed setting is never answered from the old one.


@dataclass(frozen=True)
class PublicListRequest:
    """The public reviews list: published reviews only (the filter says so), authors shown
    as `author_display` says."""

    filter: ReviewFilter
    page: PageRequest
    cursor: str | None
    author_display: str


@dataclass(frozen=True)
class PublicRatingRequest:
    """One public rating: a product ("0" the store), or the whole shop (None)."""

    product_id: str | None
    reviews_disclosure: str


@dataclass(frozen=True)
class ProductRatingsRequest:
    """Ratings of up to 100 products, in the order asked (distinct ids)."""

    product_ids: tuple[str, ...]


@dataclass(frozen=True)
class HandleRatingsRequest:
    """get_products_rating: one entry per handle as given (duplicates included)."""

    handles: tuple[str, ...]
