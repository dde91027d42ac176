"""Response models of get_orders and the order intake, and the documented Shopify body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shopreviews.kit.pagination import Pagination


class OrderOut(BaseModel):
    order_id: str = Field(examples=["5512345678901"])
    order_name: str = Field(examples=["#1001"])
    customer_id: str = Field(examples=["7712345678901"])
    customer_email: str = Field(examples=["jane@example.com"])
    customer_name: str = Field(examples=["Jane Doe"])
    status: int = Field(examples=[3], description="1 Waiting … 6 Cancelled")
    scheduled_at: str = Field(examples=["2026-06-08T09:00:00Z"])
    sent_at: str = Field(examples=["2026-06-08T09:00:04Z"])
    created_at: str = Field(examples=["2026-06-01T14:22:10Z"])


class OrderPage(BaseModel):
    page: Pagination
    list: list[OrderOut]


class OrderReceived(BaseModel):
    order_id: str = Field(examples=["5512345678901"])
    status: int = Field(examples=[1])


# Documentation only: the Shopify webhook route verifies the HMAC over the raw body before it
# parses anything, so it reads the order by hand (orders.shopify). Every other field of
# Shopify's order object is accepted and ignored.


class ShopifyCustomerIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int | str | None = Field(default=None, examples=[7712345678901])
    email: str | None = Field(default=None, examples=["jane@example.com"])
    first_name: str | None = Field(default=None, examples=["Jane"])
    last_name: str | None = Field(default=None, examples=["Doe"])
    phone: str | None = Field(default=None, examples=["+15555550123"])


class ShopifyLineItemIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    product_id: int | str | None = Field(default=None, examples=[9200305176832])
    title: str | None = Field(default=None, examples=["Linen shirt"])
    sku: str | None = Field(default=None, examples=["LS-001-M"])


class ShopifyFulfillmentIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    created_at: str | None = Field(default=None, examples=["2026-06-02T10:00:00-04:00"])


class ShopifyOrderIn(BaseModel):
    """A Shopify order object as its order webhooks send it (only these fields are read)."""

    model_config = ConfigDict(extra="allow")

    id: int | str = Field(examples=[5512345678901], description="integer or digit string")
    created_at: str = Field(examples=["2026-06-01T10:22:10-04:00"], description="RFC 3339")
    name: str | None = Field(default=None, examples=["#1001"])
    order_number: int | str | None = Field(default=None, examples=[1001])
    email: str | None = Field(default=None, examples=["jane@example.com"])
    contact_email: str | None = Field(default=None, examples=["jane@example.com"])
    updated_at: str | None = Field(default=None, examples=["2026-06-02T10:00:00-04:00"])
    cancelled_at: str | None = Field(default=None, examples=["2026-06-03T08:00:00-04:00"])
    customer: ShopifyCustomerIn | None = None
    line_items: list[ShopifyLineItemIn] | None = None
    fulfillments: list[ShopifyFulfillmentIn] | None = None
