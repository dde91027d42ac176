"""Response models of customer events (docs/api.md, "Orders, customer events and customers")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from shopreviews.kit.pagination import Pagination


class CustomerEventOut(BaseModel):
    id: str = Field(examples=["88001"])
    event_type: str = Field(examples=["CLICK_MEDIA"])
    event_source: str = Field(examples=["STOREFRONT"])
    os_type: str = Field(examples=["IOS"])
    customer_id: str = Field(examples=["7712345678901"])
    customer_email: str = Field(examples=["jane@example.com"])
    product_id: str = Field(examples=["9200305176832"])
    review_id: str = Field(examples=["1024"])
    page_url: str = Field(examples=["https://example-shop.myshopify.com/products/linen-shirt"])
    created_at: str = Field(examples=["2026-06-07T17:00:12Z"])


class CustomerEventPage(BaseModel):
    page: Pagination
    list: list[CustomerEventOut]


# The storefront widget's event types (docs/intake.md §4).
StorefrontEventType = Literal[
    "VIEW_REVIEW",
    "EXPAND_CONTENT",
    "SUBMIT_REVIEW",
    "CLICK_REVIEW",
    "PAGINATION",
    "FILTER_REVIEW",
    "SORT_REVIEW",
    "CLICK_MEDIA",
    "CLOSE_VIDEO_POPUP",
]
OsType = Literal["IOS", "ANDROID", "WINDOWS", "MACOS", "LINUX", "OTHER"]
_ID_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "maxLength": 64}, {"type": "integer"}, {"type": "null"}]
}


# Documentation of the storefront body only: the route reads the body by hand, so that a bad
# event is named `events[i].field` and an allowed origin's CORS headers stay on every answer.
class StorefrontEventIn(BaseModel):
    """One storefront event; unknown fields are ignored, `event_source` is always STOREFRONT."""

    event_type: StorefrontEventType
    os_type: OsType | None = Field(
        default=None, description="absent: taken from the User-Agent header"
    )
    product_id: Annotated[str | int | None, WithJsonSchema(_ID_SCHEMA)] = Field(
        default=None, examples=["9200305176832"]
    )
    customer_id: Annotated[str | int | None, WithJsonSchema(_ID_SCHEMA)] = Field(
        default=None, examples=["7712345678901"]
    )
    review_id: Annotated[
        str | int | None,
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "pattern": "^[0-9]+$"},
                    {"type": "integer", "minimum": 1},
                    {"type": "null"},
                ]
            }
        ),
    ] = Field(default=None, examples=["1024"])
    customer_email: str | None = Field(default=None, examples=["jane@example.com"])
    page_url: str | None = Field(
        default=None,
        max_length=2048,
        examples=["https://example-shop.myshopify.com/products/linen-shirt"],
    )


class StorefrontEventsIn(BaseModel):
    """Body of the storefront collection endpoint: 1 to 20 events, all stored or none."""

    events: list[StorefrontEventIn] = Field(min_length=1, max_length=20)


class StorefrontAccepted(BaseModel):
    accepted: int = Field(examples=[1])
