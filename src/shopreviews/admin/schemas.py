"""Shapes of the operator administration endpoints [ext] (docs/oauth.md,
"Register a platform"); the platform requests are the platforms' own (platforms/schemas.py).

The models' docstrings would show in the API document: notes on them are comments."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shopreviews.kit.envelope import InvalidArgument
from shopreviews.kit.pagination import Pagination


class PlatformOut(BaseModel):
    client_id: str = Field(examples=["acme-sync"])
    name: str = Field(examples=["Acme Sync"])
    redirect_uris: list[str]
    allowed_scopes: str = Field(examples=["read_reviews,write_reviews"])
    webhook_url: str
    skip_shop_oauth: int = Field(examples=[0])
    status: str = Field(examples=["active"])
    created_at: str
    updated_at: str


class PlatformCreatedOut(BaseModel):
    platform: PlatformOut
    client_secret: str = Field(description="shown only here")
    system_webhook_secret: str = Field(description="shown only here")


class PlatformPage(BaseModel):
    page: Pagination
    list: list[PlatformOut]


class ShopOut(BaseModel):
    shop_id: str
    myshopify_domain: str
    name: str
    status: str
    created_at: str


class ShopCreatedOut(BaseModel):
    shop: ShopOut
    public_token: str
    private_token: str


class ShopPage(BaseModel):
    page: Pagination
    list: list[ShopOut]


class MerchantUserOut(BaseModel):
    shop_id: str
    email: str
    role: str = Field(examples=["owner"])
    created_at: str


def _text(sent: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = sent.get(name)
    if value is None or value == "":
        if required:
            raise InvalidArgument(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a string")
    return value


def _given(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


# These bodies are checked for their fields' presence and type here, their values by the
# shops and merchants services, which the CLI shares.
class CreateShopIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> dict[str, Any]:
        sent = _given(data)
        return {
            "shop_id": _text(sent, "shop_id"),
            "myshopify_domain": _text(sent, "myshopify_domain"),
            "name": _text(sent, "name", required=False),
        }


class MerchantUserIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    shop_id: str = Field(examples=["61234567890"])
    email: str = Field(examples=["owner@example-shop.com"])
    password: str = Field(description="10 to 128 characters")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> dict[str, Any]:
        sent = _given(data)
        return {name: _text(sent, name) for name in ("shop_id", "email", "password")}


class NewMerchantUserIn(MerchantUserIn):
    role: str = Field(
        default="owner",
        description="owner (everything) or staff (moderation and replies only)",
        examples=["owner"],
    )

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> dict[str, Any]:
        sent = _given(data)
        fields = {name: _text(sent, name) for name in ("shop_id", "email", "password")}
        return {**fields, "role": _text(sent, "role", required=False) or "owner"}


class MerchantRoleIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    shop_id: str = Field(examples=["61234567890"])
    email: str = Field(examples=["helper@example-shop.com"])
    role: str = Field(
        description="owner (everything) or staff (moderation and replies only)",
        examples=["staff"],
    )

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> dict[str, Any]:
        sent = _given(data)
        return {name: _text(sent, name) for name in ("shop_id", "email", "role")}
