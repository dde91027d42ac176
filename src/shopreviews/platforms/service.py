"""Platforms (OAuth clients): registration by the operator, secrets, client authentication."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import same
from shopreviews.kit.envelope import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from shopreviews.kit.netguard import UrlRejected, check_url
from shopreviews.kit.pagination import PageRequest, Pagination
from shopreviews.kit.webhook_signatures import new_secret as new_system_webhook_secret
from shopreviews.platforms.models import Platform as Platform
from shopreviews.platforms.repository import PlatformRepository
from shopreviews.platforms.schemas import CreatePlatformIn as CreatePlatformIn
from shopreviews.platforms.schemas import RotatePlatformSecretIn as RotatePlatformSecretIn
from shopreviews.platforms.schemas import UpdatePlatformIn as UpdatePlatformIn

# Compared against when the client_id is unknown, so both failures take the same time.
_DUMMY_SECRET = "cs_" + "x" * 43


def new_client_secret() -> str:
    """cs_ + base64url of 32 random bytes, unpadded (46 characters)."""
    return "cs_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


@dataclass(frozen=True)
class PlatformCreated:
    platform: Platform
    client_secret: str
    system_webhook_secret: str


async def _webhook_url(ctx: AppContext, value: str | None) -> str:
    """The URL once its target passes the rules of docs/api.md, "Webhook URLs"; "" for none."""
    if not value:
        return ""
    try:
        await check_url(value, allow_private=ctx.settings.webhook_allow_private_targets)
    except UrlRejected as exc:
        raise InvalidArgument(f"webhook_url: {exc}") from exc
    return value


async def create(ctx: AppContext, session: AsyncSession, new: CreatePlatformIn) -> PlatformCreated:
    webhook_url = await _webhook_url(ctx, new.webhook_url)
    client_secret = new.client_secret or new_client_secret()
    system_secret = new_system_webhook_secret()
    repo = PlatformRepository(session)
    if await repo.get(new.client_id) is not None:
        raise AlreadyExists(f"platform {new.client_id}")
    platform = await repo.add(
        Platform(
            client_id=new.client_id,
            name=new.name,
            client_secret_encrypted=ctx.box.seal(client_secret),
            system_webhook_secret_encrypted=ctx.box.seal(system_secret),
            redirect_uris=new.redirect_uris,
            allowed_scopes=new.allowed_scopes,
            webhook_url=webhook_url,
            skip_shop_oauth=bool(new.skip_shop_oauth),
            status="active",
        )
    )
    return PlatformCreated(platform, client_secret, system_secret)


async def find(session: AsyncSession, client_id: str) -> Platform | None:
    return await PlatformRepository(session).get(client_id)


async def webhook_urls(session: AsyncSession, client_ids: Collection[str]) -> dict[str, str]:
    """The system webhook URL ("" for none) of each platform named that exists."""
    return await PlatformRepository(session).webhook_urls(client_ids) if client_ids else {}


async def get(session: AsyncSession, client_id: str) -> Platform:
    platform = await PlatformRepository(session).get(client_id)
    if platform is None:
        raise NotFound(f"platform {client_id}")
    return platform


async def update(ctx: AppContext, session: AsyncSession, change: UpdatePlatformIn) -> Platform:
    platform = await get(session, change.client_id)
    if change.name is not None:
        platform.name = change.name
    if change.redirect_uris is not None:
        platform.redirect_uris = change.redirect_uris
    if change.allowed_scopes is not None:
        # Narrowing applies to every existing token at once: bearer checks intersect with it.
        platform.allowed_scopes = change.allowed_scopes
    if "webhook_url" in change.model_fields_set:
        platform.webhook_url = await _webhook_url(ctx, change.webhook_url)
    if change.skip_shop_oauth is not None:
        platform.skip_shop_oauth = bool(change.skip_shop_oauth)
    if change.status is not None:
        platform.status = change.status
    platform.updated_at = ctx.now_datetime()
    await session.flush()
    return platform


async def disable(ctx: AppContext, session: AsyncSession, client_id: str) -> Platform:
    """Mark the platform disabled in this transaction: its tokens stop working and it receives
    no more system webhooks (code 5 for an unknown platform)."""
    platform = await get(session, client_id)
    platform.status = "disabled"
    platform.updated_at = ctx.now_datetime()
    await session.flush()
    return platform


async def delete(session: AsyncSession, client_id: str) -> None:
    """Remove the platform: its grants, tokens and pending system webhooks go with it. Its
    webhook subscriptions are the webhooks domain's: end its grants first (oauth.service)."""
    repo = PlatformRepository(session)
    platform = await repo.get(client_id)
    if platform is None:
        raise NotFound(f"platform {client_id}")
    await repo.delete(platform)


async def rotate_secret(
    ctx: AppContext, session: AsyncSession, client_id: str, which: str
) -> dict[str, str]:
    """A new secret that replaces the old one at once (deliveries from now on use it)."""
    platform = await get(session, client_id)
    if which == "client_secret":
        secret = new_client_secret()
        platform.client_secret_encrypted = ctx.box.seal(secret)
    elif which == "system_webhook_secret":
        secret = new_system_webhook_secret()
        platform.system_webhook_secret_encrypted = ctx.box.seal(secret)
    else:
        raise InvalidArgument("which must be client_secret or system_webhook_secret")
    platform.updated_at = ctx.now_datetime()
    await session.flush()
    return {which: secret}


async def listing(session: AsyncSession, page: PageRequest) -> tuple[Pagination, list[Platform]]:
    total, rows = await PlatformRepository(session).page(page.offset, page.page_size)
    return Pagination.of(page, total), list(rows)


def client_secret(ctx: AppContext, platform: Platform) -> str:
    return ctx.box.open(platform.client_secret_encrypted)


def system_webhook_secret(ctx: AppContext, platform: Platform) -> str:
    return ctx.box.open(platform.system_webhook_secret_encrypted)


async def authenticate(
    ctx: AppContext, session: AsyncSession, client_id: str | None, secret: str | None
) -> Platform:
    """Client authentication (client_secret_post): code 16 for a missing or unknown client or
    a wrong secret (one message for all three); code 7 for a disabled platform."""
    platform = await PlatformRepository(session).get(client_id) if client_id else None
    expected = client_secret(ctx, platform) if platform is not None else _DUMMY_SECRET
    if platform is None or not secret or not same(expected, secret):
        raise Unauthenticated("unknown client_id or wrong client_secret")
    if not platform.is_active:
        raise PermissionDenied(f"platform {platform.client_id} is disabled")
    return platform


async def active_platform(session: AsyncSession, client_id: str | None) -> Platform:
    """A platform named by client_id alone (no secret): unknown is code 3, disabled code 7."""
    if not client_id:
        raise InvalidArgument("client_id is required")
    platform = await PlatformRepository(session).get(client_id)
    if platform is None:
        raise InvalidArgument(f"unknown client_id {client_id}")
    if not platform.is_active:
        raise PermissionDenied(f"platform {client_id} is disabled")
    return platform
