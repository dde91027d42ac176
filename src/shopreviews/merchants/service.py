"""Merchant users: creation, sign-in, sessions, and the shop tokens they may read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.auth.caller import Caller
from shopreviews.kit.context import AppContext
from shopreviews.kit.envelope import AlreadyExists, InvalidArgument, NotFound, Unauthenticated
from shopreviews.merchants import session_jwt
from shopreviews.merchants.models import AuditEntry, MerchantSession, MerchantUser
from shopreviews.merchants.passwords import hash_password, verify_password
from shopreviews.merchants.repository import MerchantRepository
from shopreviews.merchants.schemas import LoginIn as LoginIn
from shopreviews.merchants.schemas import LoginOut as LoginOut
from shopreviews.merchants.schemas import OpenApiInformation, PrivateTokenOut
from shopreviews.shops import service as shop_service
from shopreviews.shops.service import Shop, ShopDisabled
from shopreviews.shops.service import ShopSettingsOut as ShopSettingsOut

# owner: everything; staff: moderation and replies only (docs/back-office.md "Roles").
ROLES = ("owner", "staff")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
BAD_LOGIN = "wrong email or password"


@dataclass(frozen=True)
class NewMerchant:
    id: int
    shop_id: str
    email: str
    created_at: datetime
    role: str = "owner"


def _valid_email(email: str) -> bool:
    local, at, domain = email.partition("@")
    return bool(
        at and local and domain and "@" not in domain and not any(c.isspace() for c in email)
    )


def check_role(role: object) -> str:
    if role not in ROLES:
        raise InvalidArgument("role must be owner or staff")
    return str(role)


async def create_user(
    session: AsyncSession, *, shop_id: str, email: str, password: str, role: str = "owner"
) -> NewMerchant:
    email = email.strip().lower()
    if not _valid_email(email):
        raise InvalidArgument("email must be an address such as owner@example.com")
    role = check_role(role)
    _check_password(password)
    if await shop_service.find(session, shop_id) is None:
        raise NotFound(f"shop {shop_id} not found", prefixed=False)
    repo = MerchantRepository(session)
    if await repo.user_in_shop(shop_id, email) is not None:
        raise AlreadyExists(f"{email} is already a user of shop {shop_id}", prefixed=False)
    user = MerchantUser(
        shop_id=shop_id, email=email, password_hash=await hash_password(password), role=role
    )
    await repo.add(user)
    return NewMerchant(user.id, shop_id, email, user.created_at, role)


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )


async def set_password(
    ctx: AppContext, session: AsyncSession, *, shop_id: str, email: str, password: str
) -> None:
    """A new password; every session of the user ends (their JWTs answer code 16)."""
    _check_password(password)
    repo = MerchantRepository(session)
    user = await repo.user_in_shop(shop_id, email.strip().lower())
    if user is None:
        raise NotFound(f"no user {email} in shop {shop_id}")
    user.password_hash = await hash_password(password)
    user.updated_at = ctx.now_datetime()
    await repo.end_sessions(user.id, ctx.now_datetime())


@dataclass(frozen=True)
class MerchantUserRow:
    """A merchant user as the operator lists them (never the password hash)."""

    id: int
    shop_id: str
    email: str
    created_at: datetime
    role: str


async def list_users(session: AsyncSession, shop_id: str | None = None) -> list[MerchantUserRow]:
    """Every merchant user, or those of one shop (code 5 for an unknown shop)."""
    if shop_id is not None and await shop_service.find(session, shop_id) is None:
        raise NotFound(f"shop {shop_id} not found", prefixed=False)
    return [
        MerchantUserRow(user.id, user.shop_id, user.email, user.created_at, user.role)
        for user in await MerchantRepository(session).users(shop_id)
    ]


async def set_role(
    ctx: AppContext, session: AsyncSession, *, shop_id: str, email: str, role: str
) -> MerchantUserRow:
    """Give a user of a shop another role. Their sessions go on: the role is read with the
    session on every request, so the change applies to their next request."""
    role = check_role(role)
    repo = MerchantRepository(session)
    user = await repo.user_in_shop(shop_id, email.strip().lower())
    if user is None:
        raise NotFound(f"no user {email.strip().lower()} in shop {shop_id}")
    if user.role != role:
        user.role = role
        user.updated_at = ctx.now_datetime()
        await session.flush()
    return MerchantUserRow(user.id, user.shop_id, user.email, user.created_at, user.role)


async def remove_user(session: AsyncSession, *, shop_id: str, email: str) -> None:
    """Remove a user from a shop; their sessions end with them (their JWTs answer code 16)."""
    repo = MerchantRepository(session)
    user = await repo.user_in_shop(shop_id, email.strip().lower())
    if user is None:
        raise NotFound(f"no user {email} in shop {shop_id}")
    await repo.remove_user(user)


async def on_shop_disabled(session: AsyncSession, disabled: ShopDisabled) -> None:
    """Receiver (wiring.py) of shops' ShopDisabled: the shop's merchants are signed out. Sign-in
    already refuses a disabled shop; ending the sessions once here spares every merchant
    request a look at the shop's status."""
    await MerchantRepository(session).end_shop_sessions(disabled.shop_id, disabled.now)


async def _count_sign_in(ctx: AppContext, email: str, ip: str) -> str:
    """Count a sign-in attempt before the password is checked, refusing it (code 8) over any
    limit; returns the (account, address) key, which a success clears.

    Each count is atomic, so a burst of concurrent attempts never gets more than the limit
    checked. The keys are counted narrowest first and a refused attempt counts nowhere: one
    address adds at most signin_failures_per_15min to the account's count, which is higher,
    so one attacker at one address can never lock the owner out of every address."""
    limiter = ctx.limiter
    # A space never appears in a client address, so the pair key is unambiguous.
    pair = f"signin:{ip} {email}"
    await limiter.hit(limiter.signin_failures, pair)
    await limiter.hit(limiter.signin_per_address, f"signin-ip:{ip}")
    await limiter.hit(limiter.signin_per_account, f"signin-email:{email}")
    return pair


async def confirm_password(
    ctx: AppContext, session: AsyncSession, caller: Caller, password: str, ip: str
) -> None:
    """The signed-in merchant's password once more, before a step a stolen session must not
    take alone (the back office shows or replaces the private token after it). Counted as a
    sign-in attempt, under the same limits (code 8 over them); code 16 when wrong."""
    repo = MerchantRepository(session)
    user = None if caller.merchant_user_id is None else await repo.get_user(caller.merchant_user_id)
    if user is None or user.shop_id != caller.shop_id:
        raise Unauthenticated("invalid or expired merchant session")
    pair = await _count_sign_in(ctx, user.email, ip)
    if not await verify_password(user.password_hash, password):
        raise Unauthenticated("wrong password")
    await ctx.limiter.clear(ctx.limiter.signin_failures, pair)


async def login(ctx: AppContext, session: AsyncSession, body: LoginIn, *, ip: str) -> LoginOut:
    email = body.email.strip().lower()
    pair = await _count_sign_in(ctx, email, ip)

    users = await MerchantRepository(session).users_by_email(email)
    wanted: Shop | None = None
    if body.shop_id:
        wanted = await shop_service.find(session, body.shop_id.strip())
    elif body.myshopify_domain:
        wanted = await shop_service.by_domain(session, body.myshopify_domain.strip())
    if body.shop_id or body.myshopify_domain:
        users = [u for u in users if wanted is not None and u.shop_id == wanted.shop_id]
    elif len(users) > 1:
        raise InvalidArgument("shop required: this email belongs to several shops; give shop_id")

    user = users[0] if users else None
    if (
        not await verify_password(user.password_hash if user else None, body.password)
        or user is None
    ):
        raise Unauthenticated(BAD_LOGIN)
    shop = await shop_service.find(session, user.shop_id)
    if shop is None or not shop.is_active:
        raise Unauthenticated(BAD_LOGIN)
    # The right password: earlier mistakes from this address are forgiven (the address and
    # account counts keep the attempt, so a stream of sign-ins still meets their limits).
    await ctx.limiter.clear(ctx.limiter.signin_failures, pair)

    token, sid, expires_at = session_jwt.issue(ctx, user_id=user.id, shop_id=shop.shop_id)
    repo = MerchantRepository(session)
    await repo.add(
        MerchantSession(sid=sid, user_id=user.id, shop_id=shop.shop_id, expires_at=expires_at)
    )
    return LoginOut(
        token=token,
        token_type="Bearer",  # noqa: S106 - the scheme name, not a secret
        expires_in=ctx.settings.merchant_session_seconds,
        shop_id=shop.shop_id,
        myshopify_domain=shop.myshopify_domain,
        email=user.email,
    )


async def logout(ctx: AppContext, session: AsyncSession, caller: Caller) -> None:
    assert caller.session_id is not None
    record = await MerchantRepository(session).get_session(caller.session_id)
    if record is not None and record.ended_at is None:
        record.ended_at = ctx.now_datetime()
        await session.flush()


async def user_email(session: AsyncSession, caller: Caller) -> str | None:
    """The address of the caller's merchant user; None when the user is gone."""
    if caller.merchant_user_id is None:
        return None
    user = await MerchantRepository(session).get_user(caller.merchant_user_id)
    return None if user is None or user.shop_id != caller.shop_id else user.email


async def _shop(session: AsyncSession, caller: Caller) -> Shop:
    shop = await shop_service.find(session, caller.shop_id)
    if shop is None:
        raise NotFound("shop not found", prefixed=False)
    return shop


async def information(session: AsyncSession, caller: Caller) -> OpenApiInformation:
    shop = await _shop(session, caller)
    return OpenApiInformation(
        public_token=shop.public_token, shop_id=shop.shop_id, myshopify_domain=shop.myshopify_domain
    )


async def _audit(session: AsyncSession, caller: Caller, action: str, ip: str) -> None:
    await MerchantRepository(session).add(
        AuditEntry(shop_id=caller.shop_id, actor=caller.actor, action=action, ip=ip)
    )


async def reveal_private_token(
    ctx: AppContext, session: AsyncSession, caller: Caller, *, ip: str
) -> PrivateTokenOut:
    caller.require_owner()
    shop = await _shop(session, caller)
    await _audit(session, caller, "read_private_token", ip)
    return PrivateTokenOut(private_token=shop_service.private_token(ctx, shop))


async def reset_private_token(
    ctx: AppContext, session: AsyncSession, caller: Caller, *, ip: str
) -> PrivateTokenOut:
    caller.require_owner()
    token = await shop_service.reset_private_token(ctx, session, caller.shop_id)
    await _audit(session, caller, "reset_private_token", ip)
    return PrivateTokenOut(private_token=token)


async def update_settings(
    ctx: AppContext,
    session: AsyncSession,
    caller: Caller,
    *,
    delay_days: int | None,
    origins: list[str] | None,
    shopify_app_secret: str | None,
    storefront: shop_service.StorefrontSettings,
    wording: shop_service.RequestWording = shop_service.RequestWording(),  # frozen
    ip: str,
) -> ShopSettingsOut:
    """Change the shop's intake settings; a change of the Shopify app secret is audit-logged
    (it decides which order webhooks are believed). The owner's alone (code 7 for staff)."""
    caller.require_owner()
    settings = await shop_service.update_intake_settings(
        ctx,
        session,
        caller.shop_id,
        delay_days=delay_days,
        origins=origins,
        shopify_app_secret=shopify_app_secret,
        storefront=storefront,
        wording=wording,
        now=ctx.now_datetime(),
    )
    if shopify_app_secret is not None:
        action = "set_shopify_app_secret" if shopify_app_secret else "remove_shopify_app_secret"
        await _audit(session, caller, action, ip)
    return settings


async def get_settings(session: AsyncSession, caller: Caller) -> ShopSettingsOut:
    """The intake settings of the merchant's shop; the owner's alone (code 7 for staff): they
    hold the storefront origins and whether a Shopify app secret is set."""
    caller.require_owner()
    return await shop_service.get_intake_settings(session, caller.shop_id)


async def authenticate(ctx: AppContext, session: AsyncSession, token: str) -> Caller:
    """The merchant of a session JWT whose session row is live; code 16 otherwise (auth's
    `Authenticators.merchant_session`, wired in main.create_app)."""
    claims = session_jwt.decode(ctx, token)
    found = await MerchantRepository(session).session_and_role(str(claims["sid"]))
    record, role = found if found is not None else (None, None)
    if (
        record is None
        or record.ended_at is not None
        or record.expires_at.timestamp() <= ctx.now()
        or str(record.user_id) != str(claims["sub"])
        or record.shop_id != claims["shop_id"]
    ):
        raise Unauthenticated("invalid or expired merchant session")
    return Caller(
        shop_id=record.shop_id,
        kind="merchant",
        merchant_user_id=record.user_id,
        merchant_role=role,
        session_id=record.sid,
    )
