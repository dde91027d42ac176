"""Platforms (OAuth clients): registration by the operator, secrets, client authentication."""

from __future__ import annotations

import base64
import re
import secrets
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.scopes import join_scopes, parse_scopes
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
from shopreviews.kit.params import parse_flag
from shopreviews.kit.webhook_signatures import new_secret as new_system_webhook_secret
from shopreviews.platforms.models import Platform
from shopreviews.platforms.repository import PlatformRepository

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2048
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
PRINTABLE_ASCII = frozenset(string.printable) - frozenset(string.whitespace) | {" "}
STATUSES = ("active", "disabled")
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


def _client_id(value: Any) -> str:
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise InvalidArgument("client_id must match ^[a-z0-9][a-z0-9_-]{1,63}$")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 120:
        raise InvalidArgument("name must be 1 to 120 characters")
    return value.strip()


def check_redirect_uri(uri: Any) -> str:
    if not isinstance(uri, str) or not uri:
        raise InvalidArgument("redirect_uris: each item must be a non-empty string")
    if len(uri) > MAX_URI_LENGTH:
        raise InvalidArgument(f"redirect_uris: {uri[:60]}... is longer than {MAX_URI_LENGTH}")
    if any(c.isspace() for c in uri):
        raise InvalidArgument(f"redirect_uris: {uri} contains whitespace")
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise InvalidArgument(f"redirect_uris: {uri} is not a valid URI") from exc
    if not parts.scheme or not parts.netloc:
        raise InvalidArgument(f"redirect_uris: {uri} is not an absolute URI")
    if "#" in uri:
        raise InvalidArgument(f"redirect_uris: {uri} must not contain a fragment")
    host = parts.netloc.rpartition("@")[2].lower()
    host = host if host.startswith("[") else host.split(":")[0]
    if host.startswith("["):
        host = host[: host.index("]") + 1]
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidArgument(
            f"redirect_uris: {uri} must use https (http only for localhost, 127.0.0.1, [::1])"
        )
    if parts.scheme not in ("http", "https"):
        raise InvalidArgument(f"redirect_uris: {uri} must use https")
    return uri


def _redirect_uris(value: Any) -> list[str]:
    uris = [value] if isinstance(value, str) else value
    if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_REDIRECT_URIS:
        raise InvalidArgument(f"redirect_uris must be a list of 1 to {MAX_REDIRECT_URIS} URIs")
    checked = [check_redirect_uri(u) for u in uris]
    return list(dict.fromkeys(checked))


def _allowed_scopes(value: Any) -> str:
    if not isinstance(value, str | list):
        raise InvalidArgument("allowed_scopes must be a list or a comma/space separated string")
    return join_scopes(parse_scopes(value, "allowed_scopes"))


async def _webhook_url(ctx: AppContext, value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise InvalidArgument("webhook_url must be a string")
    try:
        await check_url(value, allow_private=ctx.settings.webhook_allow_private_targets)
    except UrlRejected as exc:
        raise InvalidArgument(f"webhook_url: {exc}") from exc
    return value


def _client_secret(value: Any) -> str:
    if value is None or value == "":
        return new_client_secret()
    if not isinstance(value, str) or len(value) < 16 or not set(value) <= PRINTABLE_ASCII:
        raise InvalidArgument("client_secret must be at least 16 printable ASCII characters")
    if value != value.strip():
        # Presented secrets are trimmed like every request field: a secret that starts or
        # ends with a space could never authenticate.
        raise InvalidArgument("client_secret must not start or end with a space")
    return value


async def create(ctx: AppContext, session: AsyncSession, fields: dict[str, Any]) -> PlatformCreated:
    client_id = _client_id(fields.get("client_id"))
    name = _name(fields.get("name"))
    redirect_uris = _redirect_uris(fields.get("redirect_uris"))
    if fields.get("allowed_scopes") is None:
        raise InvalidArgument("allowed_scopes is required")
    scopes = _allowed_scopes(fields["allowed_scopes"])
    webhook_url = await _webhook_url(ctx, fields.get("webhook_url"))
    skip = parse_flag(fields.get("skip_shop_oauth", 0), "skip_shop_oauth")
    client_secret = _client_secret(fields.get("client_secret"))
    system_secret = new_system_webhook_secret()
    repo = PlatformRepository(session)
    if await repo.get(client_id) is not None:
        raise AlreadyExists(f"already exists: platform {client_id}")
    platform = await repo.add(
        Platform(
            client_id=client_id,
            name=name,
            client_secret_encrypted=ctx.box.seal(client_secret),
            system_webhook_secret_encrypted=ctx.box.seal(system_secret),
            redirect_uris=redirect_uris,
            allowed_scopes=scopes,
            webhook_url=webhook_url,
            skip_shop_oauth=skip,
            status="active",
        )
    )
    return PlatformCreated(platform, client_secret, system_secret)


async def get(session: AsyncSession, client_id: str) -> Platform:
    platform = await PlatformRepository(session).get(client_id)
    if platform is None:
        raise NotFound(f"not found: platform {client_id}")
    return platform


async def update(ctx: AppContext, session: AsyncSession, fields: dict[str, Any]) -> Platform:
    client_id = fields.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise InvalidArgument("client_id is required")
    platform = await get(session, client_id)
    if fields.get("name") is not None:
        platform.name = _name(fields["name"])
    if fields.get("redirect_uris") is not None:
        platform.redirect_uris = _redirect_uris(fields["redirect_uris"])
    if fields.get("allowed_scopes") is not None:
        # Narrowing applies to every existing token at once: bearer checks intersect with it.
        platform.allowed_scopes = _allowed_scopes(fields["allowed_scopes"])
    if "webhook_url" in fields:
        platform.webhook_url = await _webhook_url(ctx, fields["webhook_url"])
    if fields.get("skip_shop_oauth") is not None:
        platform.skip_shop_oauth = parse_flag(fields["skip_shop_oauth"], "skip_shop_oauth")
    if fields.get("status") is not None:
        if fields["status"] not in STATUSES:
            raise InvalidArgument("status must be active or disabled")
        platform.status = fields["status"]
    platform.updated_at = ctx.now_datetime()
    await session.flush()
    return platform


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
        raise Unauthenticated("unauthenticated: unknown client_id or wrong client_secret")
    if not platform.is_active:
        raise PermissionDenied(f"permission denied: platform {platform.client_id} is disabled")
    return platform


async def active_platform(session: AsyncSession, client_id: str | None) -> Platform:
    """A platform named by client_id alone (no secret): unknown is code 3, disabled code 7."""
    if not client_id:
        raise InvalidArgument("client_id is required")
    platform = await PlatformRepository(session).get(client_id)
    if platform is None:
        raise InvalidArgument(f"unknown client_id {client_id}")
    if not platform.is_active:
        raise PermissionDenied(f"permission denied: platform {client_id} is disabled")
    return platform
