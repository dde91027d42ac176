"""Every query on grants, codes, token chains and tokens."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.oauth.models import (
    ACCESS,
    ACTIVE,
    AuthorizationCode,
    Grant,
    Token,
    TokenChain,
)
from shopreviews.platforms.models import Platform
from shopreviews.shops.models import Shop


class OAuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def chain(self, chain_id: int) -> TokenChain | None:
        return await self.session.get(TokenChain, chain_id)

    async def add(self, row: Grant | TokenChain | AuthorizationCode | Token) -> None:
        self.session.add(row)
        await self.session.flush()

    # --- grants --------------------------------------------------------------------------
    async def active_grant(
        self, shop_id: str, client_id: str, *, lock: bool = False
    ) -> Grant | None:
        query = select(Grant).where(
            Grant.shop_id == shop_id, Grant.client_id == client_id, Grant.status == ACTIVE
        )
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def active_grants(self, shop_id: str, client_ids: Collection[str]) -> Sequence[Grant]:
        rows = await self.session.execute(
            select(Grant).where(
                Grant.shop_id == shop_id, Grant.client_id.in_(client_ids), Grant.status == ACTIVE
            )
        )
        return rows.scalars().all()

    async def platform_grants(self, client_id: str, *, lock: bool = False) -> Sequence[Grant]:
        """The platform's active grants, in every shop."""
        query = select(Grant).where(Grant.client_id == client_id, Grant.status == ACTIVE)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query.order_by(Grant.id))).scalars().all()

    async def grant(self, grant_id: int) -> Grant | None:
        return await self.session.get(Grant, grant_id)

    async def shop_grants(self, shop_id: str) -> Sequence[tuple[Grant, Platform]]:
        rows = await self.session.execute(
            select(Grant, Platform)
            .join(Platform, Platform.client_id == Grant.client_id)
            .where(Grant.shop_id == shop_id, Grant.status == ACTIVE)
            .order_by(Grant.installed_at, Grant.id)
        )
        return [(g, p) for g, p in rows]

    # --- codes ---------------------------------------------------------------------------
    async def code(self, code_sha256: str) -> AuthorizationCode | None:
        return await self.session.get(AuthorizationCode, code_sha256)

    async def use_code(self, code_sha256: str, now: datetime) -> bool:
        """Mark the code used; False when it already was (a concurrent exchange won)."""
        result = await self.session.execute(
            update(AuthorizationCode)
            .where(
                AuthorizationCode.code_sha256 == code_sha256, AuthorizationCode.used_at.is_(None)
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def set_code_chain(self, code_sha256: str, chain_id: int) -> None:
        await self.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.code_sha256 == code_sha256)
            .values(chain_id=chain_id)
            .execution_options(synchronize_session=False)
        )

    # --- tokens --------------------------------------------------------------------------
    async def token(self, token_sha256: str) -> Token | None:
        return await self.session.get(Token, token_sha256)

    async def bearer(self, token_sha256: str) -> tuple[Token, Grant, Platform, Shop] | None:
        """An access token with its grant, platform and shop, in one query."""
        row = (
            await self.session.execute(
                select(Token, Grant, Platform, Shop)
                .join(Grant, Grant.id == Token.grant_id)
                .join(Platform, Platform.client_id == Token.client_id)
                .join(Shop, Shop.shop_id == Token.shop_id)
                .where(Token.token_sha256 == token_sha256, Token.kind == ACCESS)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1], row[2], row[3])

    async def retire(self, token_sha256: str, now: datetime) -> bool:
        """Retire a current refresh token; False when a concurrent refresh already did."""
        result = await self.session.execute(
            update(Token)
            .where(
                Token.token_sha256 == token_sha256,
                Token.retired_at.is_(None),
                Token.revoked_at.is_(None),
            )
            .values(retired_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    async def revoke(self, now: datetime, **where: int | str) -> int:
        """Revoke the current tokens matching `where` (token_sha256, chain_id or grant_id);
        returns how many were still current."""
        conditions = [getattr(Token, column) == value for column, value in where.items()]
        result = await self.session.execute(
            update(Token)
            .where(*conditions, Token.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount
