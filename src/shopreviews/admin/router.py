"""Operator administration endpoints [ext] (docs/oauth.md, "Register a platform")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from shopreviews.admin import service as admin_service
from shopreviews.admin.schemas import (
    CreateShopIn,
    MerchantRoleIn,
    MerchantUserIn,
    MerchantUserOut,
    NewMerchantUserIn,
    PlatformCreatedOut,
    PlatformOut,
    PlatformPage,
    ShopCreatedOut,
    ShopPage,
)
from shopreviews.admin.service import CreatePlatformIn, RotatePlatformSecretIn, UpdatePlatformIn
from shopreviews.auth.dependencies import Admin
from shopreviews.kit.dependencies import Ctx, Query, ReadSession, WriteSession
from shopreviews.kit.envelope import AlreadyExists, EmptyData, Envelope, NotFound
from shopreviews.kit.openapi_params import PAGE, PAGE_SIZE, query_doc
from shopreviews.kit.pagination import PageRequest
from shopreviews.kit.routes import DocumentedRoute, refuses, validated_body

router = APIRouter(tags=["admin"], dependencies=[Admin], route_class=DocumentedRoute)

CreatePlatform = Annotated[CreatePlatformIn, validated_body(CreatePlatformIn)]
UpdatePlatform = Annotated[UpdatePlatformIn, validated_body(UpdatePlatformIn)]
RotatePlatformSecret = Annotated[RotatePlatformSecretIn, validated_body(RotatePlatformSecretIn)]
CreateShop = Annotated[CreateShopIn, validated_body(CreateShopIn)]
MerchantUser = Annotated[MerchantUserIn, validated_body(MerchantUserIn)]
NewMerchantUser = Annotated[NewMerchantUserIn, validated_body(NewMerchantUserIn)]
MerchantRole = Annotated[MerchantRoleIn, validated_body(MerchantRoleIn)]


@router.post("/api/v1/admin/create_platform", response_model=Envelope[PlatformCreatedOut])
@refuses(AlreadyExists)
async def create_platform(ctx: Ctx, session: WriteSession, body: CreatePlatform) -> Envelope[Any]:
    """Register a platform; its two secrets are shown only in this answer."""
    return Envelope(data=await admin_service.create_platform(ctx, session, body))


@router.get(
    "/api/v1/admin/get_platforms",
    response_model=Envelope[PlatformPage],
    openapi_extra=query_doc(PAGE, PAGE_SIZE),
)
async def get_platforms(query: Query, session: ReadSession) -> Envelope[Any]:
    """Every platform, oldest first."""
    return Envelope(data=await admin_service.list_platforms(session, PageRequest.from_query(query)))


@router.post("/api/v1/admin/update_platform", response_model=Envelope[PlatformOut])
@refuses(NotFound)
async def update_platform(ctx: Ctx, session: WriteSession, body: UpdatePlatform) -> Envelope[Any]:
    """Change a platform; narrowing allowed_scopes narrows its tokens at once."""
    return Envelope(data=await admin_service.update_platform(ctx, session, body))


@router.post("/api/v1/admin/rotate_platform_secret", response_model=Envelope[dict[str, str]])
@refuses(NotFound)
async def rotate_platform_secret(
    ctx: Ctx,
    session: WriteSession,
    body: RotatePlatformSecret,
) -> Envelope[Any]:
    """Replace the client secret or the system webhook secret; the old one stops at once."""
    return Envelope(data=await admin_service.rotate(ctx, session, body))


@router.post("/api/v1/admin/create_shop", response_model=Envelope[ShopCreatedOut])
@refuses(AlreadyExists)
async def create_shop(ctx: Ctx, session: WriteSession, body: CreateShop) -> Envelope[Any]:
    """Create a shop with fresh tokens."""
    return Envelope(data=await admin_service.create_shop(ctx, session, body))


@router.get(
    "/api/v1/admin/get_shops",
    response_model=Envelope[ShopPage],
    openapi_extra=query_doc(PAGE, PAGE_SIZE),
)
async def get_shops(query: Query, session: ReadSession) -> Envelope[Any]:
    """Every shop, oldest first."""
    return Envelope(data=await admin_service.list_shops(session, PageRequest.from_query(query)))


@router.post("/api/v1/admin/create_merchant_user", response_model=Envelope[MerchantUserOut])
@refuses(NotFound, AlreadyExists)
async def create_merchant_user(session: WriteSession, body: NewMerchantUser) -> Envelope[Any]:
    """Create a merchant user who can sign in for a shop: an owner, or staff."""
    return Envelope(data=await admin_service.create_merchant_user(session, body))


@router.post("/api/v1/admin/set_merchant_password", response_model=Envelope[EmptyData])
@refuses(NotFound)
async def set_merchant_password(
    ctx: Ctx, session: WriteSession, body: MerchantUser
) -> Envelope[Any]:
    """Set a merchant user's password; every session of that user ends."""
    await admin_service.set_merchant_password(ctx, session, body)
    return Envelope(data=EmptyData())


@router.post("/api/v1/admin/set_merchant_role", response_model=Envelope[MerchantUserOut])
@refuses(NotFound)
async def set_merchant_role(ctx: Ctx, session: WriteSession, body: MerchantRole) -> Envelope[Any]:
    """Give a merchant user another role; it applies to their next request."""
    return Envelope(data=await admin_service.set_merchant_role(ctx, session, body))
