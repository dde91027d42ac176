"""Response shapes of a shop's intake settings (docs/intake.md §1)."""

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
