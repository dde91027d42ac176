"""Queries on recorded uploads. Keys are global (their first segment names the shop), so
serving looks a key up directly; every use in a review also checks the shop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shopreviews.media.models import MediaUpload, UploadPolicy


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

    async def count_under(self, prefix: str) -> int:
        """How many uploads have keys starting with `prefix`."""
        query = select(func.count(MediaUpload.id)).where(
            MediaUpload.key.startswith(prefix, autoescape=True)
        )
        return int((await self.session.execute(query)).scalar_one())

    # Storefront upload policies ----------------------------------------------------------

    async def add_policy(
        self, shop_id: str, dir: str, *, max_files: int, now: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            UploadPolicy(
                shop_id=shop_id,
                dir=dir,
                max_files=max_files,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self.session.flush()

    async def policy(self, dir: str) -> UploadPolicy | None:
        query = select(UploadPolicy).where(UploadPolicy.dir == dir)
        return (await self.session.execute(query)).scalar_one_or_none()
