"""Response models of customer events (spec orders-events-customers.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
