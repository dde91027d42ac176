"""Request and response shapes of merchant access."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shopreviews.kit.schemas import In


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
