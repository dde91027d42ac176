"""Operator administration endpoints [ext] (spec oauth.md "Operator administration")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shopreviews.admin import service as admin_service
from shopreviews.auth.dependencies import Admin, Ctx, Query, Session
from shopreviews.kit.envelope import EmptyData, Envelope, InvalidArgument
from shopreviews.kit.forms import Fields
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, query_doc
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.routes import DocumentedRoute, fields_body

router = APIRouter(tags=["admin"], dependencies=[Admin], route_class=DocumentedRoute)


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
    created_at: str


class CreatePlatformIn(BaseModel):
    client_id: str = Field(examples=["acme-sync"])
    name: str = Field(examples=["Acme Sync"])
    redirect_uris: list[str] = Field(examples=[["https://app.acme.example/oauth/callback"]])
    allowed_scopes: str | list[str] = Field(examples=["read_reviews,write_reviews"])
    webhook_url: str | None = Field(default=None, examples=["https://app.acme.example/hooks"])
    skip_shop_oauth: int | None = Field(default=0, examples=[0])
    client_secret: str | None = Field(default=None, description="default: generated")


class UpdatePlatformIn(BaseModel):
    client_id: str = Field(examples=["acme-sync"])
    name: str | None = None
    redirect_uris: list[str] | None = None
    allowed_scopes: str | list[str] | None = None
    webhook_url: str | None = None
    skip_shop_oauth: int | None = None
    status: str | None = Field(default=None, examples=["disabled"])


class RotatePlatformSecretIn(BaseModel):
    client_id: str = Field(examples=["acme-sync"])
    which: str = Field(examples=["client_secret"], description="or system_webhook_secret")


class CreateShopIn(BaseModel):
    shop_id: str = Field(examples=["61234567890"])
    myshopify_domain: str = Field(examples=["example-shop.myshopify.com"])
    name: str | None = None


class MerchantUserIn(BaseModel):
    shop_id: str = Field(examples=["61234567890"])
    email: str = Field(examples=["owner@example-shop.com"])
    password: str = Field(description="10 to 128 characters")


@router.post(
    "/api/v1/admin/create_platform",
    response_model=Envelope[PlatformCreatedOut],
)
async def create_platform(
    ctx: Ctx, session: Session, body: Annotated[Fields, fields_body(CreatePlatformIn)]
) -> Envelope[Any]:
    """Register a platform; its two secrets are shown only in this answer."""
    return Envelope(data=await admin_service.create_platform(ctx, session, body.values))


@router.get(
    "/api/v1/admin/get_platforms",
    response_model=Envelope[PlatformPage],
    openapi_extra=query_doc(PAGE, PAGE_SIZE),
)
async def get_platforms(query: Query, session: Session) -> Envelope[Any]:
    """Every platform, oldest first."""
    return Envelope(data=await admin_service.list_platforms(session, PageRequest.from_query(query)))


@router.post(
    "/api/v1/admin/update_platform",
    response_model=Envelope[PlatformOut],
)
async def update_platform(
    ctx: Ctx, session: Session, body: Annotated[Fields, fields_body(UpdatePlatformIn)]
) -> Envelope[Any]:
    """Change a platform; narrowing allowed_scopes narrows its tokens at once."""
    return Envelope(data=await admin_service.update_platform(ctx, session, body.values))


@router.post(
    "/api/v1/admin/rotate_platform_secret",
    response_model=Envelope[dict[str, str]],
)
async def rotate_platform_secret(
    ctx: Ctx, session: Session, fields: Annotated[Fields, fields_body(RotatePlatformSecretIn)]
) -> Envelope[Any]:
    """Replace the client secret or the system webhook secret; the old one stops at once."""
    client_id, which = fields.values.get("client_id"), fields.values.get("which")
    if not isinstance(client_id, str) or not isinstance(which, str):
        raise InvalidArgument("client_id and which are required")
    return Envelope(data=await admin_service.rotate(ctx, session, client_id, which))


@router.post(
    "/api/v1/admin/create_shop",
    response_model=Envelope[ShopCreatedOut],
)
async def create_shop(
    ctx: Ctx, session: Session, body: Annotated[Fields, fields_body(CreateShopIn)]
) -> Envelope[Any]:
    """Create a shop with fresh tokens."""
    return Envelope(data=await admin_service.create_shop(ctx, session, body.values))


@router.get(
    "/api/v1/admin/get_shops",
    response_model=Envelope[ShopPage],
    openapi_extra=query_doc(PAGE, PAGE_SIZE),
)
async def get_shops(query: Query, session: Session) -> Envelope[Any]:
    """Every shop, oldest first."""
    return Envelope(data=await admin_service.list_shops(session, PageRequest.from_query(query)))


@router.post(
    "/api/v1/admin/create_merchant_user",
    response_model=Envelope[MerchantUserOut],
)
async def create_merchant_user(
    session: Session, body: Annotated[Fields, fields_body(MerchantUserIn)]
) -> Envelope[Any]:
    """Create a merchant user who can sign in for a shop."""
    return Envelope(data=await admin_service.create_merchant_user(session, body.values))


@router.post(
    "/api/v1/admin/set_merchant_password",
    response_model=Envelope[EmptyData],
)
async def set_merchant_password(
    ctx: Ctx, session: Session, body: Annotated[Fields, fields_body(MerchantUserIn)]
) -> Envelope[Any]:
    """Set a merchant user's password; every session of that user ends."""
    await admin_service.set_merchant_password(ctx, session, body.values)
    return Envelope(data=EmptyData())
