"""Response shapes of a shop's settings: intake (docs/intake.md §1) and storefront
(docs/storefront.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ShopSettingsOut(BaseModel):
    """The intake settings; the Shopify app secret is write-only, so only whether it is set."""

    review_request_delay_days: int = Field(
        examples=[7], description="days after fulfilment before the review request is sent"
    )
    storefront_origins: list[str] = Field(
        examples=[["https://www.example-shop.com"]],
        description="origins allowed to send storefront events, besides https://<myshopify_domain>",
    )
    shopify_app_secret_set: bool = Field(
        examples=[True], description="whether a Shopify app secret is stored (never shown)"
    )
    web_reviews: str = Field(
        examples=["enabled"],
        description="who may write reviews on the storefront: enabled, verified_buyers_only, "
        "disabled",
    )
    auto_publish_min_rating: int = Field(
        examples=[1],
        description="web reviews of at least this rating publish at once (0: none; the rest "
        "wait for the merchant's decision)",
    )
    author_display: str = Field(
        examples=["first_last_initial"],
        description="how authors are shown: first_last_initial, full, initials, anonymous",
    )
    reviews_disclosure: str = Field(
        examples=[""], description="the widget's notice on how reviews are collected ('' default)"
    )
    review_request_subject: str = Field(
        examples=[""],
        description="the review request's subject ('' built-in); placeholders {customer_name}, "
        "{order_name}, {shop_name}",
    )
    review_request_text: str = Field(
        examples=[""],
        description="the review request's text, paragraphs separated by blank lines ('' "
        "built-in); placeholders {customer_name}, {order_name}, {shop_name}",
    )
