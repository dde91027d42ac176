"""The queries of the emails domain's own table: web review confirmations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.emails.models import ReviewConfirmation


async def confirmation(
    session: AsyncSession, confirmation_id: int, *, for_update: bool = False
) -> ReviewConfirmation | None:
    """A confirmation by id. The one lookup not filtered by shop: it serves the worker and the
    signed link of the email, whose id tells the shop."""
    query = select(ReviewConfirmation).where(ReviewConfirmation.id == confirmation_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


class ConfirmationRepository:
    """A shop's confirmations."""

    def __init__(self, session: AsyncSession, shop_id: str) -> None:
        self.session = session
        self.shop_id = shop_id

    async def add(self, row: ReviewConfirmation) -> ReviewConfirmation:
        if row.shop_id != self.shop_id:
            raise ValueError("a confirmation of another shop")
        self.session.add(row)
        await self.session.flush()
        return row
