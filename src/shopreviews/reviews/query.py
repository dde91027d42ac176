"""Reading the query parameters of get_review, get_reviews and get_rating (spec reviews.md)
into their requests: frozen, as the read cache keys answers by them (kit/read_cache.py)."""

from __future__ import annotations

from dataclasses import dataclass

from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.params import QueryParams, parse_external_id, parse_flag, parse_id
from shopreviews.reviews.repository import SORTS, ReviewFilter

__all__ = [
    "SORTS",
    "ListRequest",
    "RatingTarget",
    "ReviewRequest",
    "rating_target",
    "review_filter",
]

MAX_KEYWORD = 200


def review_filter(query: QueryParams) -> ReviewFilter:
    product_ids = [parse_external_id(v, "product_ids") for v in query.array("product_ids")]
    single = query.scalar("product_id")
    if single is not None:
        pid = parse_external_id(single, "product_id")
        if pid not in product_ids:
            product_ids.append(pid)
    ratings: list[int] = []
    for value in query.array("ratings"):
        if value not in ("1", "2", "3", "4", "5"):
            raise InvalidArgument("ratings must be integers from 1 to 5")
        if int(value) not in ratings:
            ratings.append(int(value))
    keyword = query.scalar("keyword")  # QueryParams refuses U+0000 in every value
    if keyword is not None and len(keyword) > MAX_KEYWORD:
        raise InvalidArgument(f"keyword must be at most {MAX_KEYWORD} characters")
    sources = query.array("sources")
    store = query.scalar("is_store_review")
    published_text = query.scalar("is_published")
    published: bool | None = True
    if published_text == "all":
        published = None
    elif published_text is not None:
        if published_text not in ("0", "1", "true", "false"):
            # parse_flag's message ("must be 0 or 1") would hide the `all` value.
            raise InvalidArgument("is_published must be 0, 1 or all")
        published = parse_flag(published_text, "is_published", query=True)
    sort_by = query.scalar("sort_by") or "created-descending"
    if sort_by not in SORTS:
        raise InvalidArgument(f"sort_by must be one of {', '.join(SORTS)}")
    return ReviewFilter(
        product_ids=tuple(product_ids),
        product_handle=query.scalar("product_handle"),
        is_store_review=None if store is None else parse_flag(store, "is_store_review", query=True),
        keyword=keyword,
        ratings=tuple(ratings),
        sources=tuple(sources),
        published=published,
        sort_by=sort_by,
    )


@dataclass(frozen=True)
class ReviewRequest:
    """get_review's request: one review by id."""

    review_id: int

    @classmethod
    def of(cls, query: QueryParams) -> ReviewRequest:
        review_id = query.aliased("id", "review_id", parse=parse_id)
        if review_id is None:
            raise InvalidArgument("id is required")
        return cls(review_id)


@dataclass(frozen=True)
class ListRequest:
    """get_reviews' request: the filters, the page and the keyset cursor."""

    filter: ReviewFilter
    page: PageRequest
    cursor: str | None

    @classmethod
    def of(cls, query: QueryParams) -> ListRequest:
        return cls(review_filter(query), PageRequest.from_query(query), query.scalar("cursor"))


@dataclass(frozen=True)
class RatingTarget:
    """Which aggregate get_rating reads: scope plus product id or handle."""

    scope: str
    product_id: str = ""
    handle: str | None = None


def rating_target(query: QueryParams) -> RatingTarget:
    def flag(name: str) -> bool:
        value = query.scalar(name)
        return value is not None and parse_flag(value, name, query=True)

    # Precedence: the first rule that applies decides; the rest is ignored.
    if flag("is_all_rating"):
        return RatingTarget("all")
    if flag("is_all_products_rating"):
        return RatingTarget("all_products")
    if flag("is_store_rating"):
        return RatingTarget("product", "0")
    product_id = query.scalar("product_id")
    if product_id is not None:
        return RatingTarget("product", parse_external_id(product_id, "product_id"))
    handle = query.scalar("product_handle")
    if handle is not None:
        return RatingTarget("product", handle=handle)
    raise InvalidArgument(
        "give product_id, product_handle, is_store_rating, is_all_products_rating or is_all_rating"
    )
