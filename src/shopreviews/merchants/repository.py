"""Every query on merchant users, sessions and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.merchants.models import AuditEntry, MerchantSession, MerchantUser


class MerchantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def users_by_email(self, email: str) -> list[MerchantUser]:
        result = await self.session.execute(
            select(MerchantUser)
            .where(MerchantUser.email == email.lower())
            .order_by(MerchantUser.id)
        )
        return list(result.scalars())

    async def user_in_shop(self, shop_id: str, email: str) -> MerchantUser | None:
        result = await self.session.execute(
            select(MerchantUser).where(
                MerchantUser.shop_id == shop_id, MerchantUser.email == email.lower()
            )
        )
        return result.scalar_one_or_none()

    async def users(self, shop_id: str | None) -> list[MerchantUser]:
        """Every user (of one shop, when given), by shop then email."""
        query = select(MerchantUser).order_by(MerchantUser.shop_id, MerchantUser.email)
        if shop_id is not None:
            query = query.where(MerchantUser.shop_id == shop_id)
        return list((await self.session.execute(query)).scalars())

    async def remove_user(self, user: MerchantUser) -> None:
        """The user and, with it, every session of theirs (so none can be used again)."""
        await self.session.execute(
            delete(MerchantSession).where(MerchantSession.user_id == user.id)
        )
        await self.session.delete(user)
        await self.session.flush()

    async def get_session(self, sid: str) -> MerchantSession | None:
        return await self.session.get(MerchantSession, sid)

    async def session_and_role(self, sid: str) -> tuple[MerchantSession, str] | None:
        """A session with its user's current role (read on every request, so a changed role
        applies at once)."""
        result = await self.session.execute(
            select(MerchantSession, MerchantUser.role)
            .join(MerchantUser, MerchantUser.id == MerchantSession.user_id)
            .where(MerchantSession.sid == sid)
        )
        row = result.one_or_none()
        return None if row is None else (row[0], row[1])

    async def get_user(self, user_id: int) -> MerchantUser | None:
        return await self.session.get(MerchantUser, user_id)

    async def add(self, row: MerchantUser | MerchantSession | AuditEntry) -> None:
        self.session.add(row)
        await self.session.flush()

    async def end_sessions(self, user_id: int, now: datetime) -> None:
        await self.session.execute(
            update(MerchantSession)
            .where(MerchantSession.user_id == user_id, MerchantSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )

    async def end_shop_sessions(self, shop_id: str, now: datetime) -> int:
        """End every live session of the shop's users; how many there were."""
        result = await self.session.execute(
            update(MerchantSession)
            .where(MerchantSession.shop_id == shop_id, MerchantSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
