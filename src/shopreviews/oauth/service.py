"""The token, revocation, introspection, disconnect/cancel and shop-status endpoints."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.auth.scopes import (
    ALL_SCOPES,
    OPERATOR_SCOPE,
    common_scopes,
    join_scopes,
    parse_scopes,
    split_scopes,
)
from shopreviews.kit import signals
from shopreviews.kit.context import AppContext
from shopreviews.kit.crypto import same, sha256_hex
from shopreviews.kit.envelope import ApiError, InvalidArgument, NotFound, PermissionDenied
from shopreviews.kit.timefmt import rfc3339
from shopreviews.kit.unit_of_work import commit_despite
from shopreviews.merchants import service as merchants
from shopreviews.merchants.service import LoginIn as LoginIn
from shopreviews.merchants.service import LoginOut
from shopreviews.oauth import grants, tokens
from shopreviews.oauth.authorize import PKCE_VALUE
from shopreviews.oauth.client_auth import authenticate_client
from shopreviews.oauth.errors import OAuthError
from shopreviews.oauth.models import ACCESS, REFRESH, AuthorizationCode, Grant, Token, TokenChain
from shopreviews.oauth.repository import OAuthRepository
from shopreviews.oauth.schemas import (
    AuthorizationInfo,
    ClientShopRequest,
    InstallStatus,
    PresentedToken,
    ShopRef,
    TokenExchange,
    TokenOut,
)
from shopreviews.oauth.schemas import AuthorizedPlatform as AuthorizedPlatform
from shopreviews.oauth.signals import GrantApproved as GrantApproved
from shopreviews.oauth.signals import GrantEnded as GrantEnded
from shopreviews.oauth.signals import TokensRevoked as TokensRevoked
from shopreviews.platforms import service as platforms
from shopreviews.platforms.service import Platform
from shopreviews.shops import service as shops
from shopreviews.shops.service import Shop

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


def _scope_error(exc: ApiError) -> OAuthError:
    return OAuthError("invalid_scope", exc.detail)


def _narrowed(requested: str | None, available: frozenset[str]) -> list[str]:
    """`scope` of a refresh or client_credentials request: a subset of what is available."""
    if requested is None:
        scopes = [s for s in parse_scopes(sorted(available)) if s != OPERATOR_SCOPE]
        if not scopes:
            # E.g. a re-approval left this token's scopes and the grant's with nothing in common.
            raise OAuthError("invalid_scope", "nothing of the granted scope is left to issue")
        return scopes
    try:
        scopes = [s for s in parse_scopes(requested) if s != OPERATOR_SCOPE]
    except ApiError as exc:
        raise _scope_error(exc) from exc
    wider = [s for s in scopes if s not in available]
    if wider:
        raise OAuthError("invalid_scope", f"scope {wider[0]} is wider than what was granted")
    if not scopes:
        raise OAuthError("invalid_scope", "the requested scope is empty")
    return scopes


async def _shop_of(session: AsyncSession, grant: Grant) -> Shop:
    shop = await shops.find(session, grant.shop_id)
    assert shop is not None  # grants are deleted with their shop
    return shop


def _token_out(issued: tokens.IssuedTokens, ctx: AppContext, shop: Shop) -> TokenOut:
    return TokenOut(
        access_token=issued.access_token,
        token_type="Bearer",  # noqa: S106 - the scheme name
        expires_in=ctx.settings.oauth_access_token_seconds,
        refresh_token=issued.refresh_token,
        refresh_token_expires_in=ctx.settings.oauth_refresh_token_seconds
        if issued.refresh_token
        else 0,
        scope=issued.scopes,
        shop_id=shop.shop_id,
        myshopify_domain=shop.myshopify_domain,
    )


async def token(
    ctx: AppContext, session: AsyncSession, request: TokenExchange, *, ip: str
) -> TokenOut:
    platform = await authenticate_client(ctx, session, request.client, ip=ip)
    grant_type = request.grant_type.get()
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type == "authorization_code":
        return await _authorization_code(ctx, session, platform, request)
    if grant_type == "refresh_token":
        return await _refresh(ctx, session, platform, request)
    if grant_type == "client_credentials":
        return await _client_credentials(ctx, session, platform, request)
    raise OAuthError(
        "unsupported_grant_type", f"grant_type must be one of {', '.join(GRANT_TYPES)}"
    )


async def _authorization_code(
    ctx: AppContext, session: AsyncSession, platform: Platform, request: TokenExchange
) -> TokenOut:
    presented = request.code.get()
    redirect_uri = request.redirect_uri.get()
    verifier = request.code_verifier.get()
    if presented is None:
        raise OAuthError("invalid_request", "code is required")
    if redirect_uri is None:
        raise OAuthError("invalid_request", "redirect_uri is required")
    if verifier is not None and not PKCE_VALUE.match(verifier):
        raise OAuthError(
            "invalid_request", "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~"
        )
    repo = OAuthRepository(session)
    now = ctx.now_datetime()
    code_hash = sha256_hex(presented)
    code = await repo.code(code_hash)
    if code is None or not same(code.client_id, platform.client_id):
        raise OAuthError("invalid_grant", "unknown authorization code")
    if code.used_at is not None:
        await _code_reused(session, platform, code, now)
    if code.expires_at <= now:
        raise OAuthError("invalid_grant", "authorization code has expired")
    if redirect_uri != code.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if code.code_challenge:
        if verifier is None:
            raise OAuthError("invalid_grant", "code_verifier is required for this code")
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        if not same(base64.urlsafe_b64encode(digest).decode().rstrip("="), code.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    elif verifier is not None:
        raise OAuthError("invalid_grant", "code_verifier sent for a code without code_challenge")
    grant = await repo.grant(code.grant_id)
    if grant is None or not grant.is_active:
        raise OAuthError("invalid_grant", "the authorization has ended")
    if not await repo.use_code(code_hash, now):
        # A concurrent exchange of the same code won the race: that is a reuse too.
        await session.refresh(code)
        await _code_reused(session, platform, code, now)
    chain = await tokens.start_chain(ctx, session, grant, "authorization_code")
    await repo.set_code_chain(code_hash, chain.id)
    # The code's scopes, limited by the grant and platform as they are now (docs/api.md,
    # "Bearer tokens"): a
    # re-approval or an operator change since the code was issued shows in the answer.
    scopes = common_scopes(code.scopes, grant.scopes, platform.allowed_scopes)
    issued = await tokens.issue(
        ctx, session, chain=chain, grant=grant, scopes=scopes, with_refresh=True
    )
    return _token_out(issued, ctx, await _shop_of(session, grant))


async def _code_reused(
    session: AsyncSession, platform: Platform, code: AuthorizationCode, now: datetime
) -> None:
    """A used code presented again: revoke what it issued (RFC 6749 §4.1.2), tell the platform
    as for a reused refresh token, then refuse. Only a presentation that revoked something
    sends the event: presenting the code a third time is no news."""
    if code.chain_id is not None and await OAuthRepository(session).revoke(
        now, chain_id=code.chain_id
    ):
        await signals.send(
            session,
            TokensRevoked(code.shop_id, platform.client_id, "authorization_code_reuse", now),
        )
    raise commit_despite(
        session, OAuthError("invalid_grant", "authorization code has already been used")
    )


async def _refresh(
    ctx: AppContext, session: AsyncSession, platform: Platform, request: TokenExchange
) -> TokenOut:
    presented = request.refresh_token.get()
    if presented is None:
        raise OAuthError("invalid_request", "refresh_token is required")
    repo = OAuthRepository(session)
    now = ctx.now_datetime()
    token_hash = sha256_hex(presented)
    current = await repo.token(token_hash)
    if (
        current is None
        or current.kind != REFRESH
        or not same(current.client_id, platform.client_id)
    ):
        raise OAuthError("invalid_grant", "unknown refresh token")
    if current.revoked_at is not None or current.expires_at <= now:
        raise OAuthError("invalid_grant", "refresh token has expired or was revoked")
    grant = await repo.grant(current.grant_id)
    if grant is None or not grant.is_active:
        raise OAuthError("invalid_grant", "the authorization has ended")
    if current.retired_at is not None or not await repo.retire(token_hash, now):
        await _refresh_reused(ctx, session, grant, platform)
    # A subset of what the presented token may do now: its scopes as limited by the grant's
    # current scopes and the platform's allowed ones (docs/api.md, "Bearer tokens").
    available = tokens.effective_scopes(current, grant, platform.allowed_scopes)
    scopes = _narrowed(request.scope.get(), available)
    issued = await tokens.issue(
        ctx,
        session,
        chain=await _chain_of(session, current),
        grant=grant,
        scopes=scopes,
        with_refresh=True,
    )
    return _token_out(issued, ctx, await _shop_of(session, grant))


async def _chain_of(session: AsyncSession, token: Token) -> TokenChain:
    chain = await OAuthRepository(session).chain(token.chain_id)
    assert chain is not None
    return chain


async def _refresh_reused(
    ctx: AppContext, session: AsyncSession, grant: Grant, platform: Platform
) -> None:
    """A retired refresh token came back (RFC 9700 §4.14.2): someone holds a stolen copy.
    Every token of every chain of the grant is revoked; the grant itself stays."""
    now = ctx.now_datetime()
    await OAuthRepository(session).revoke(now, grant_id=grant.id)
    await signals.send(
        session, TokensRevoked(grant.shop_id, platform.client_id, "refresh_token_reuse", now)
    )
    raise commit_despite(
        session,
        OAuthError(
            "invalid_grant",
            "refresh token was already used; every token of this authorization is revoked",
        ),
    )


async def resolve_shop(
    session: AsyncSession, shop_id: str | None, domain: str | None
) -> Shop | None:
    """The shop named by shop_id and/or myshopify_domain; code 3 for neither or two shops."""
    if shop_id is None and domain is None:
        raise InvalidArgument("shop_id or myshopify_domain is required")
    by_id = await shops.find(session, shop_id) if shop_id is not None else None
    by_domain = await shops.by_domain(session, domain) if domain is not None else None
    if by_id is not None and by_domain is not None and by_id.shop_id != by_domain.shop_id:
        raise InvalidArgument("shop_id and myshopify_domain name different shops")
    return by_id or by_domain


async def _client_credentials(
    ctx: AppContext, session: AsyncSession, platform: Platform, request: TokenExchange
) -> TokenOut:
    if not platform.skip_shop_oauth:
        raise OAuthError(
            "unauthorized_client", "client_credentials is only for platforms that skip shop OAuth"
        )
    shop = await resolve_shop(session, *_shop_ref(request.shop))
    if shop is None or not shop.is_active:
        raise OAuthError("invalid_request", "shop not found", code=NotFound.code)
    scopes = _narrowed(request.scope.get(), split_scopes(platform.allowed_scopes))
    repo = OAuthRepository(session)
    grant = await repo.active_grant(shop.shop_id, platform.client_id, lock=True)
    if grant is None:
        grant = await grants.approve(
            ctx,
            session,
            shop=shop,
            platform=platform,
            scopes=scopes,
            grant_type="client_credentials",
        )
    else:
        grant.scopes = join_scopes(scopes)
        await session.flush()
    chain = await tokens.start_chain(ctx, session, grant, "client_credentials")
    issued = await tokens.issue(
        ctx, session, chain=chain, grant=grant, scopes=scopes, with_refresh=False
    )
    return _token_out(issued, ctx, shop)


async def revoke(
    ctx: AppContext, session: AsyncSession, request: PresentedToken, *, ip: str
) -> None:
    """RFC 7009: an access token alone, or a refresh token's whole chain. Anything unknown,
    expired, already revoked or another platform's: success, nothing revoked."""
    platform = await authenticate_client(ctx, session, request.client, ip=ip)
    presented = request.token.get()
    if presented is None:
        raise OAuthError("invalid_request", "token is required")
    request.token_type_hint.get()  # only for its refusal: the value changes no lookup
    repo = OAuthRepository(session)
    found = await repo.token(sha256_hex(presented))
    now = ctx.now_datetime()
    if (
        found is None
        or not same(found.client_id, platform.client_id)
        or found.revoked_at is not None
        or found.expires_at <= now
    ):
        return
    if found.kind == ACCESS:
        await repo.revoke(now, token_sha256=found.token_sha256)
    else:
        await repo.revoke(now, chain_id=found.chain_id)


async def introspect(
    ctx: AppContext, session: AsyncSession, request: PresentedToken, *, ip: str
) -> dict[str, Any]:
    platform = await authenticate_client(ctx, session, request.client, ip=ip)
    presented = request.token.get()
    if presented is None:
        raise OAuthError("invalid_request", "token is required")
    repo = OAuthRepository(session)
    found = await repo.token(sha256_hex(presented))
    if found is None or not same(found.client_id, platform.client_id):
        return {"active": False}
    grant = await repo.grant(found.grant_id)
    if grant is None or not grant.is_active or not found.is_current(ctx.now_datetime()):
        return {"active": False}
    shop = await _shop_of(session, grant)
    if not shop.is_active:
        return {"active": False}
    return {
        "active": True,
        "token_type": "access_token" if found.kind == ACCESS else "refresh_token",
        "scope": join_scopes(tokens.effective_scopes(found, grant, platform.allowed_scopes)),
        "client_id": platform.client_id,
        "sub": shop.shop_id,
        "shop_id": shop.shop_id,
        "myshopify_domain": shop.myshopify_domain,
        "iat": int(found.issued_at.timestamp()),
        "exp": int(found.expires_at.timestamp()),
        "iss": ctx.public_url,
    }


async def disconnect(ctx: AppContext, session: AsyncSession, caller: Caller) -> None:
    """The platform, carrying out the shop's wish, ends its own grant."""
    assert caller.grant_id is not None
    grant = await OAuthRepository(session).grant(caller.grant_id)
    assert grant is not None
    await grants.end(ctx, session, grant, reason="disconnected", initiated_by="platform")


def _shop_ref(shop: ShopRef) -> tuple[str | None, str | None]:
    return shop.shop_id.get(), shop.myshopify_domain.get()


async def cancel(
    ctx: AppContext, session: AsyncSession, request: ClientShopRequest, *, ip: str
) -> None:
    platform = await authenticate_client(ctx, session, request.client, ip=ip)
    shop = await resolve_shop(session, *_shop_ref(request.shop))
    if shop is None:
        raise NotFound("shop")
    grant = await OAuthRepository(session).active_grant(shop.shop_id, platform.client_id, lock=True)
    if grant is None:
        return
    await grants.end(ctx, session, grant, reason="cancelled", initiated_by="platform")


async def _installation(
    session: AsyncSession, platform: Platform, ref: ShopRef
) -> tuple[Shop, Grant] | None:
    """The named shop and the platform's active grant there, or None."""
    shop = await resolve_shop(session, *_shop_ref(ref))
    if shop is None:
        return None
    grant = await OAuthRepository(session).active_grant(shop.shop_id, platform.client_id)
    return None if grant is None else (shop, grant)


async def authorization_info(
    ctx: AppContext, session: AsyncSession, request: ClientShopRequest, *, ip: str
) -> AuthorizationInfo:
    platform = await authenticate_client(ctx, session, request.client, ip=ip)
    found = await _installation(session, platform, request.shop)
    if found is None:
        # The reference as sent: the answer never tells whether an unknown shop exists.
        shop_id, domain = _shop_ref(request.shop)
        return AuthorizationInfo(
            is_authorized=False,
            authorized_at="",
            granted_scopes="",
            shop_id=shop_id or "",
            myshopify_domain=domain or "",
        )
    shop, grant = found
    return AuthorizationInfo(
        is_authorized=True,
        authorized_at=rfc3339(grant.authorized_at),
        granted_scopes=grant.scopes,
        shop_id=shop.shop_id,
        myshopify_domain=shop.myshopify_domain,
    )


async def install_status(
    ctx: AppContext, session: AsyncSession, request: ClientShopRequest, *, ip: str
) -> InstallStatus:
    platform = await authenticate_client(ctx, session, request.client, ip=ip)
    if OPERATOR_SCOPE not in split_scopes(platform.allowed_scopes):
        raise PermissionDenied(f"this platform lacks the {OPERATOR_SCOPE} scope")
    found = await _installation(session, platform, request.shop)
    if found is None:
        shop_id, domain = _shop_ref(request.shop)
        return InstallStatus(
            is_installed=0, installed_at="", shop_id=shop_id or "", myshopify_domain=domain or ""
        )
    shop, grant = found
    return InstallStatus(
        is_installed=1,
        installed_at=rfc3339(grant.installed_at),
        shop_id=shop.shop_id,
        myshopify_domain=shop.myshopify_domain,
    )


async def authorized_platforms(session: AsyncSession, caller: Caller) -> list[AuthorizedPlatform]:
    """The platforms the shop has authorized; the owner's alone (code 7 for staff users)."""
    caller.require_owner()
    return [
        AuthorizedPlatform(
            client_id=platform.client_id,
            name=platform.name,
            granted_scopes=grant.scopes,
            installed_at=rfc3339(grant.installed_at),
            authorized_at=rfc3339(grant.authorized_at),
        )
        for grant, platform in await OAuthRepository(session).shop_grants(caller.shop_id)
    ]


async def merchant_disconnect(
    ctx: AppContext, session: AsyncSession, caller: Caller, client_id: str
) -> None:
    """End a platform's access to the shop; the owner's alone (code 7 for staff users)."""
    caller.require_owner()
    grant = await OAuthRepository(session).active_grant(caller.shop_id, client_id, lock=True)
    if grant is None:
        raise NotFound(f"no active authorization of {client_id}")
    await grants.end(ctx, session, grant, reason="disconnected", initiated_by="merchant")


# Client authentication at the standard endpoints (RFC 6749 §2.3.1); the enveloped ones take
# client_secret_post alone.
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def metadata(ctx: AppContext) -> dict[str, Any]:
    """RFC 8414: the standard endpoints, so that a generic client configured from this document
    alone needs no adapter; the enveloped twins are not named here."""
    base = ctx.public_url
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "response_types_supported": ["code"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
        # Every scope, the operator's too: a platform may be allowed read_shop_install_status,
        # though no merchant grants it (docs/api.md, "Scopes").
        "scopes_supported": list(ALL_SCOPES),
        "authorization_response_iss_parameter_supported": True,
    }


async def operator_disconnect(
    ctx: AppContext, session: AsyncSession, client_id: str, shop_id: str
) -> bool:
    """The operator ends a shop's grant (CLI); False when there was no active grant."""
    await platforms.get(session, client_id)  # code 5 for an unknown platform
    if await shops.find(session, shop_id) is None:
        raise NotFound(f"shop {shop_id}")
    grant = await OAuthRepository(session).active_grant(shop_id, client_id, lock=True)
    if grant is None:
        return False
    await grants.end(ctx, session, grant, reason="disconnected", initiated_by="operator")
    return True


async def active_authorizations(session: AsyncSession, client_id: str) -> int:
    """How many shops have an active grant of the platform (code 5 for an unknown platform)."""
    await platforms.get(session, client_id)
    return len(await OAuthRepository(session).platform_grants(client_id))


async def delete_platform(ctx: AppContext, session: AsyncSession, client_id: str) -> int:
    """The operator removes a platform (CLI): it is disabled first, so from this transaction on
    its tokens fail and nothing more is sent to it; every active grant ends (tokens revoked,
    its webhook subscriptions for that shop removed), then the platform and its records go.
    Returns how many grants ended."""
    await platforms.disable(ctx, session, client_id)  # code 5 for an unknown platform
    ended = await OAuthRepository(session).platform_grants(client_id, lock=True)
    for grant in ended:
        await grants.end(ctx, session, grant, reason="disconnected", initiated_by="operator")
    await platforms.delete(session, client_id)
    return len(ended)


async def current_scopes(
    session: AsyncSession, shop_id: str, client_ids: Collection[str]
) -> dict[str, frozenset[str]]:
    """What each of these platforms may do in the shop now: its active grant's scopes narrowed
    by its allowed ones; platforms that are disabled or hold no active grant are left out."""
    found: dict[str, frozenset[str]] = {}
    for grant in await OAuthRepository(session).active_grants(shop_id, client_ids):
        platform = await platforms.find(session, grant.client_id)
        if platform is not None and platform.is_active:
            found[grant.client_id] = common_scopes(grant.scopes, platform.allowed_scopes)
    return found


async def sign_in(ctx: AppContext, session: AsyncSession, body: LoginIn, *, ip: str) -> LoginOut:
    """A merchant signs in on the consent pages (merchants.service decides)."""
    return await merchants.login(ctx, session, body, ip=ip)


async def authenticate_bearer(ctx: AppContext, session: AsyncSession, token: str) -> Caller:
    """The caller of an OAuth access token (auth's `Authenticators.bearer_token`, wired in
    main.create_app)."""
    return await tokens.authenticate(ctx, session, token)
