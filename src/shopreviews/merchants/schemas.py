"""Request and response shapes of merchant access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from shopreviews.kit.schemas import In
from shopreviews.shops import service as shop_service


class LoginIn(In):
    email: str = Field(max_length=254, examples=["owner@example-shop.com"])
    password: str = Field(max_length=1024, examples=["correct horse battery staple"])
    shop_id: str | None = Field(
        default=None,
        max_length=64,
        description="needed only when the email is a user of several shops",
    )
    myshopify_domain: str | None = Field(default=None, max_length=255)


class LoginOut(BaseModel):
    token: str = Field(description="the session JWT")
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(examples=[43200])
    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])
    email: str = Field(examples=["owner@example-shop.com"])


class OpenApiInformation(BaseModel):
    public_token: str = Field(examples=["CN4PfX5gCUQnm4zsQCXKAQ=="])
    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])


class PrivateTokenOut(BaseModel):
    private_token: str = Field(examples=["JAVLUtpYRUiTWyGvHL6Ctw=="])


def _nullable(schema: dict[str, Any]) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [schema, {"type": "null"}]})


def _setting(check: Callable[[Any], Any]) -> BeforeValidator:
    """The shop service's own rule as a field validator: one rule for the API and the CLI, and
    a wrong JSON type is code 3 naming the field like any other bad value."""

    def validate(value: Any) -> Any:
        if value is None:
            return None  # null: not given
        try:
            return check(value)
        except shop_service.InvalidSetting as exc:
            raise ValueError(exc.problem) from None

    return BeforeValidator(validate)


class ShopSettingsIn(In):
    """Intake and storefront settings to change; a field left out (or null) keeps its value."""

    review_request_delay_days: Annotated[
        int | None,
        _setting(shop_service.check_delay_days),
        _nullable({"type": "integer", "minimum": 0, "maximum": shop_service.MAX_DELAY_DAYS}),
    ] = Field(default=None, examples=[7])
    storefront_origins: Annotated[
        list[str] | None,
        _setting(shop_service.check_origins),
        _nullable(
            {
                "type": "array",
                "items": {"type": "string", "maxLength": shop_service.MAX_ORIGIN_LENGTH},
                "maxItems": shop_service.MAX_ORIGINS,
                "description": "https://host[:port] (http only for localhost); replaces the list",
            }
        ),
    ] = Field(default=None, examples=[["https://www.example-shop.com"]])
    shopify_app_secret: Annotated[
        str | None,
        _setting(shop_service.check_secret),
        _nullable(
            {
                "type": "string",
                "maxLength": 255,
                "writeOnly": True,
                "description": 'write-only; 16 to 255 printable ASCII characters, "" removes it',
            }
        ),
    ] = Field(default=None)
    web_reviews: Annotated[
        str | None,
        _setting(shop_service.check_web_reviews),
        _nullable({"type": "string", "enum": list(shop_service.WEB_REVIEWS)}),
    ] = Field(default=None, examples=["enabled"])
    auto_publish_min_rating: Annotated[
        int | None,
        _setting(shop_service.check_auto_publish_min_rating),
        _nullable({"type": "integer", "minimum": 0, "maximum": 5}),
    ] = Field(default=None, examples=[1])
    author_display: Annotated[
        str | None,
        _setting(shop_service.check_author_display),
        _nullable({"type": "string", "enum": list(shop_service.AUTHOR_DISPLAYS)}),
    ] = Field(default=None, examples=["first_last_initial"])
    reviews_disclosure: Annotated[
        str | None,
        _setting(shop_service.check_reviews_disclosure),
        _nullable(
            {
                "type": "string",
                "maxLength": shop_service.MAX_DISCLOSURE,
                "description": '"" for the default notice',
            }
        ),
    ] = Field(default=None, examples=["Reviews are collected after each order."])
    review_request_subject: Annotated[
        str | None,
        _setting(shop_service.check_request_subject),
        _nullable(
            {
                "type": "string",
                "maxLength": shop_service.MAX_SUBJECT,
                "description": '"" for the built-in subject; placeholders {customer_name}, '
                "{order_name}, {shop_name}",
            }
        ),
    ] = Field(default=None, examples=["{customer_name}, how is your order {order_name}?"])
    review_request_text: Annotated[
        str | None,
        _setting(shop_service.check_request_text),
        _nullable(
            {
                "type": "string",
                "maxLength": shop_service.MAX_TEXT,
                "description": '"" for the built-in text; paragraphs separated by blank lines; '
                "placeholders {customer_name}, {order_name}, {shop_name}",
            }
        ),
    ] = Field(default=None, examples=[""])

    def storefront(self) -> shop_service.StorefrontSettings:
        return shop_service.StorefrontSettings(
            web_reviews=self.web_reviews,
            auto_publish_min_rating=self.auto_publish_min_rating,
            author_display=self.author_display,
            reviews_disclosure=self.reviews_disclosure,
        )

    def wording(self) -> shop_service.RequestWording:
        return shop_service.RequestWording(
            subject=self.review_request_subject, text=self.review_request_text
        )
