"""Queries on recorded uploads. Keys are global (their first segment names the shop), so
serving looks a key up directly; every use in a review also checks the shop."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.media.models import MediaUpload


class UploadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, key: str) -> MediaUpload | None:
        query = select(MediaUpload).where(MediaUpload.key == key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add(self, upload: MediaUpload) -> MediaUpload:
        """Record an upload; a concurrent record of the same key wins and is returned."""
        try:
            async with self.session.begin_nested():
                self.session.add(upload)
                await self.session.flush()
            return upload
        except IntegrityError:
            found = await self.by_key(upload.key)
            assert found is not None
            return found
