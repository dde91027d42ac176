"""Merchant sign-in and the merchant's token endpoints (docs/api.md, "Merchant sessions and
the operator token")."""

from __future__ import annotations

from fastapi import APIRouter, Request

from shopreviews.auth.dependencies import Merchant
from shopreviews.kit.dependencies import Ctx, ReadSession, WriteSession
from shopreviews.kit.envelope import (
    EmptyData,
    Envelope,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)
from shopreviews.kit.routes import refuses
from shopreviews.merchants import service as merchant_service
from shopreviews.merchants.schemas import (
    LoginIn,
    LoginOut,
    OpenApiInformation,
    PrivateTokenOut,
    ShopSettingsIn,
)
from shopreviews.merchants.service import ShopSettingsOut

router = APIRouter(tags=["merchant"])


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/api/v1/merchant/login", response_model=Envelope[LoginOut])
@refuses(Unauthenticated, RateLimited)
async def login(
    body: LoginIn, request: Request, ctx: Ctx, session: WriteSession
) -> Envelope[LoginOut]:
    """Sign in a merchant user and issue a session JWT [ext]."""
    return Envelope(data=await merchant_service.login(ctx, session, body, ip=_ip(request)))


@router.post("/api/v1/merchant/logout", response_model=Envelope[EmptyData])
async def logout(caller: Merchant, ctx: Ctx, session: WriteSession) -> Envelope[EmptyData]:
    """End the merchant session; its JWT stops working at once [ext]."""
    await merchant_service.logout(ctx, session, caller)
    return Envelope(data=EmptyData())


@router.get("/api/v1/openapi/get_open_api_information", response_model=Envelope[OpenApiInformation])
async def get_open_api_information(
    caller: Merchant, session: ReadSession
) -> Envelope[OpenApiInformation]:
    """The shop's public token and identifiers."""
    return Envelope(data=await merchant_service.information(session, caller))


@router.get("/api/v1/openapi/get_open_api_private_token", response_model=Envelope[PrivateTokenOut])
@refuses(PermissionDenied)
async def get_open_api_private_token(
    caller: Merchant, request: Request, ctx: Ctx, session: WriteSession
) -> Envelope[PrivateTokenOut]:
    """The shop's private token (every read is audit-logged)."""
    return Envelope(
        data=await merchant_service.reveal_private_token(ctx, session, caller, ip=_ip(request))
    )


@router.post("/api/v1/openapi/reset_private_token", response_model=Envelope[PrivateTokenOut])
@refuses(PermissionDenied)
async def reset_private_token(
    caller: Merchant, request: Request, ctx: Ctx, session: WriteSession
) -> Envelope[PrivateTokenOut]:
    """Issue a new private token; the old one stops working immediately [ext]."""
    return Envelope(
        data=await merchant_service.reset_private_token(ctx, session, caller, ip=_ip(request))
    )


@router.get("/api/v1/merchant/settings", response_model=Envelope[ShopSettingsOut])
@refuses(PermissionDenied)
async def get_settings(caller: Merchant, session: ReadSession) -> Envelope[ShopSettingsOut]:
    """The shop's intake and storefront settings (the app secret: whether set) [ext]."""
    return Envelope(data=await merchant_service.get_settings(session, caller))


@router.post("/api/v1/merchant/settings", response_model=Envelope[ShopSettingsOut])
@refuses(PermissionDenied)
async def update_settings(
    body: ShopSettingsIn, caller: Merchant, request: Request, ctx: Ctx, session: WriteSession
) -> Envelope[ShopSettingsOut]:
    """Change intake and storefront settings; fields left out keep their value [ext]."""
    return Envelope(
        data=await merchant_service.update_settings(
            ctx,
            session,
            caller,
            delay_days=body.review_request_delay_days,
            origins=body.storefront_origins,
            shopify_app_secret=body.shopify_app_secret,
            storefront=body.storefront(),
            wording=body.wording(),
            ip=_ip(request),
        )
    )
