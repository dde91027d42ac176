"""Every query on platforms."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.platforms.models import Platform


class PlatformRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, client_id: str) -> Platform | None:
        return await self.session.get(Platform, client_id)

    async def webhook_urls(self, client_ids: Collection[str]) -> dict[str, str]:
        rows = await self.session.execute(
            select(Platform.client_id, Platform.webhook_url).where(
                Platform.client_id.in_(client_ids)
            )
        )
        return {client_id: url for client_id, url in rows}

    async def add(self, platform: Platform) -> Platform:
        self.session.add(platform)
        await self.session.flush()
        return platform

    async def delete(self, platform: Platform) -> None:
        """The platform's row; its grants, tokens and system webhook deliveries go with it
        (ON DELETE CASCADE)."""
        await self.session.delete(platform)
        await self.session.flush()

    async def page(self, offset: int, limit: int) -> tuple[int, Sequence[Platform]]:
        total = int(
            (await self.session.execute(select(func.count(Platform.client_id)))).scalar_one()
        )
        rows = await self.session.execute(
            select(Platform)
            .order_by(Platform.created_at, Platform.client_id)
            .offset(offset)
            .limit(limit)
        )
        return total, rows.scalars().all()
