"""What the storefront's public routes ask for (docs/storefront.md), read from the request by
the router into these frozen objects, and what the service answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, TypeVar

# The public answers' shapes, as reviews defines them (the router's response models).
from shopreviews.reviews.service import HandleRatingOut as HandleRatingOut
from shopreviews.reviews.service import ProductRatingList as ProductRatingList
from shopreviews.reviews.service import PublicRatingOut as PublicRatingOut
from shopreviews.reviews.service import PublicReviewPage as PublicReviewPage

Q = TypeVar("Q")

# Cache-Control of every public GET answer: browsers and CDNs keep it a minute and may serve it
# ten more while they revalidate (an ETag makes that a 304).
PUBLIC_CACHE = "public, max-age=60, stale-while-revalidate=600"
# Public data, no credentials: any page may read it.
CORS = {"Access-Control-Allow-Origin": "*"}
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_PRODUCTS = 100


@dataclass(frozen=True)
class PublicRead(Generic[Q]):
    """One public request: the shop's domain, what it asks, and what HTTP says about it."""

    domain: str
    query: Q
    client_ip: str
    if_none_match: str = ""
    if_modified_since: str = ""


@dataclass(frozen=True)
class ReviewsQuery:
    """GET .../reviews: a product ("0" the store) or the whole shop (None)."""

    product_id: str | None
    ratings: tuple[int, ...]
    with_media: bool
    sort_by: str
    page: int
    page_size: int
    cursor: str | None


@dataclass(frozen=True)
class RatingQuery:
    """GET .../rating: a product ("0" the store) or the whole shop (None)."""

    product_id: str | None


@dataclass(frozen=True)
class RatingsQuery:
    """GET .../ratings: 1-100 distinct product ids, in the order asked."""

    product_ids: tuple[str, ...]


@dataclass(frozen=True)
class HandlesQuery:
    """get_products_rating: handles in the order given, duplicates included."""

    handles: tuple[str, ...]


@dataclass(frozen=True)
class ProductQuery:
    """The server-rendered fragment and JSON-LD of one product, in a widget language."""

    product_id: str
    lang: str = "en"


@dataclass(frozen=True)
class FeedQuery:
    """The Google product reviews feed (no parameters)."""


Kind = Literal["json", "html", "jsonld"]


@dataclass(frozen=True)
class PublicAnswer:
    """An answer's bytes (None: 304 Not Modified) and its strong ETag."""

    etag: str
    body: bytes | None
    kind: Kind = "json"


@dataclass(frozen=True)
class FeedAnswer:
    """The feed: its validators, and its XML as a stream of chunks (None: 304)."""

    etag: str
    last_modified: datetime | None
    chunks: AsyncIterator[bytes] | None
